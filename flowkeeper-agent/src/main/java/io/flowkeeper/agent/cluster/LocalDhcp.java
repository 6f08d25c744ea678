package io.flowkeeper.agent.cluster;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.agent.AgentListener;
import io.flowkeeper.agent.cluster.VifTable.Vif;
import io.flowkeeper.api.dhcp.DhcpBinding;
import io.flowkeeper.api.dhcp.DhcpPacket;
import io.flowkeeper.api.dhcp.DhcpResponder;
import io.flowkeeper.api.util.Threads;
import io.flowkeeper.openflow.unix.UnixSwitchConnection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's own DHCP server: the agent answers its VMs' DHCP from the bindings the cluster computed for this host
 * ({@code GET /v1/network/hosts/{name}/dhcp}), on its own OpenFlow session with the integration bridge's management
 * socket, so a VM gets and renews its address while the switch has no master (a master's kill, lost quorum, every
 * controller down) and after the agent restarts with the cluster still down (the bindings are kept on disk).
 *
 * <p>The switch's master answers the same requests too (the bridge sends each packet-in to every session that asked
 * for them): both replies are {@link DhcpResponder}'s on the same binding, byte for byte the same, from the same
 * server address, and the client keeps the first. Why both and not the agent alone: a host whose agent is down still
 * gets answers while the cluster is up, and a host whose cluster is unreachable while the agent is up. Requests go to
 * a one-thread queue (1,024 deep; beyond that they are dropped, a client retries), never answered on the session's
 * reader thread.
 */
final class LocalDhcp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalDhcp.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How often to try the management socket while {@code ovs-vswitchd} is down. */
    private static final Duration RECONNECT = Duration.ofMillis(200);

    /** What the cluster last said: the lease time, a version of the list, and the bindings by port id. */
    record Bindings(long leaseSeconds, String version, Map<String, DhcpBinding> byPort) {
        static final Bindings NONE = new Bindings(0, "", Map.of());
    }

    private final Path managementSocket;
    private final String bridge;
    private final Path file;
    private final Supplier<Map<String, Vif>> vifs;
    private final AgentListener listener;
    private final ThreadPoolExecutor answering = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(1024), Threads.daemon("agent-dhcp-answer"),
            new ThreadPoolExecutor.DiscardPolicy());
    private final java.util.concurrent.atomic.AtomicLong answered = new java.util.concurrent.atomic.AtomicLong();
    private volatile Bindings bindings = Bindings.NONE;
    private volatile UnixSwitchConnection session;
    private volatile boolean closed;
    private Thread thread;

    /**
     * @param managementSocket the integration bridge's {@code <rundir>/<bridge>.mgmt}
     * @param file where the bindings are kept across restarts of the agent
     * @param vifs the bridge's VM interfaces by port id (their OpenFlow port numbers)
     */
    LocalDhcp(Path managementSocket, Path file, Supplier<Map<String, Vif>> vifs, AgentListener listener) {
        this.managementSocket = managementSocket;
        this.bridge = managementSocket.getFileName().toString().replaceFirst("\\.mgmt$", "");
        this.file = file;
        this.vifs = vifs;
        this.listener = listener;
    }

    LocalDhcp start() {
        bindings = load(file);
        thread = Threads.startDaemon("agent-dhcp", this::serve);
        return this;
    }

    /** The version of the bindings held ("" for none): the cluster answers "unchanged" to it. */
    String version() {
        return bindings.version();
    }

    /**
     * What the agent tells the cluster with each heartbeat ({@code "local_dhcp"}): the ports it holds bindings of,
     * whether its session with the bridge is up, and the requests it answered since it started.
     */
    void status(com.fasterxml.jackson.databind.node.ObjectNode out) {
        out.put("ports", bindings.byPort().size()).put("serving", session != null).put("answered", answered.get());
    }

    /** Takes the cluster's answer to {@code GET .../dhcp}; keeps it on disk when it changed. */
    void update(JsonNode answer) {
        if (answer.path("unchanged").asBoolean(false) || !answer.has("bindings")) {
            return;
        }
        Bindings next = parse(answer);
        if (next.version().equals(bindings.version())) {
            return;
        }
        int before = bindings.byPort().size();
        bindings = next;
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(tmp, answer.toString());
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.warn("cannot keep DHCP bindings in {}: {} (served from memory)", file, e.getMessage());
        }
        if (next.byPort().size() != before) {
            listener.dhcpServing(bridge, next.byPort().size());
        }
    }

    static Bindings parse(JsonNode answer) {
        List<DhcpBinding> list = JSON.convertValue(answer.path("bindings"), new TypeReference<List<DhcpBinding>>() {});
        Map<String, DhcpBinding> byPort = new HashMap<>(list.size() * 2);
        list.forEach(b -> byPort.put(b.portId(), b));
        return new Bindings(answer.path("lease_seconds").asLong(86_400), answer.path("version").asText(""),
                Map.copyOf(byPort));
    }

    private static Bindings load(Path file) {
        if (!Files.isRegularFile(file)) {
            return Bindings.NONE;
        }
        try {
            Bindings b = parse(JSON.readTree(file.toFile()));
            LOG.info("DHCP: {} bindings read from {}", b.byPort().size(), file);
            return b;
        } catch (IOException | IllegalArgumentException e) {
            LOG.warn("DHCP: ignoring unreadable {}: {}", file, e.getMessage());
            return Bindings.NONE;
        }
    }

    private void serve() {
        boolean told = false;
        while (!closed) {
            try (UnixSwitchConnection c = UnixSwitchConnection.connect(managementSocket)) {
                session = c;
                c.receivePacketIns(this::onPacketIn);
                listener.dhcpServing(bridge, bindings.byPort().size());
                LOG.info("DHCP: answering on {} for {} ports", bridge, bindings.byPort().size());
                told = false;
                c.closed().get();
            } catch (IOException e) {
                if (!told) {
                    LOG.debug("DHCP: no session with {}: {}", bridge, e.getMessage());
                    told = true;
                }
            } catch (ExecutionException e) {
                LOG.debug("DHCP: session with {} ended: {}", bridge, e.getMessage());
            } catch (InterruptedException e) {
                return;
            } finally {
                session = null;
            }
            try {
                Thread.sleep(RECONNECT.toMillis());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void onPacketIn(int inPort, long cookie, byte[] frame) {
        if (DhcpPacket.isToServer(frame)) {
            answering.execute(() -> answer(inPort, frame));
        }
    }

    private void answer(int inPort, byte[] frame) {
        Optional<DhcpResponder.Reply> reply = reply(inPort, frame, bindings, vifs.get());
        UnixSwitchConnection c = session;
        if (reply.isPresent() && c != null) {
            try {
                c.packetOut(inPort, reply.get().frame());
                answered.incrementAndGet();
                listener.dhcpRequest(true);
                return;
            } catch (IOException e) {
                LOG.debug("DHCP: reply on port {} not sent: {}", inPort, e.getMessage());
            }
        }
        listener.dhcpRequest(false);
    }

    /** The reply to {@code frame} from OpenFlow port {@code inPort}: empty when malformed or not one of ours. */
    static Optional<DhcpResponder.Reply> reply(int inPort, byte[] frame, Bindings bindings, Map<String, Vif> vifs) {
        if (vifs == null) {
            return Optional.empty();
        }
        DhcpPacket request;
        try {
            request = DhcpPacket.parseFrame(frame);
        } catch (DhcpPacket.Malformed e) {
            LOG.debug("DHCP: malformed request from port {} dropped: {}", inPort, e.getMessage());
            return Optional.empty();
        }
        for (Vif v : vifs.values()) {
            if (v.ofport() == inPort) {
                DhcpBinding b = bindings.byPort().get(v.portId());
                return b == null ? Optional.empty() : DhcpResponder.answer(request, b, bindings.leaseSeconds());
            }
        }
        return Optional.empty();
    }

    @Override
    public void close() {
        closed = true;
        UnixSwitchConnection c = session;
        if (c != null) {
            c.close();
        }
        if (thread != null) {
            thread.interrupt();
        }
        answering.shutdownNow();
    }
}
