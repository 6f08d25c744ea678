package io.flowkeeper.agent.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.agent.AgentListener;
import io.flowkeeper.agent.AgentStatus;
import io.flowkeeper.agent.SnapshotReport;
import io.flowkeeper.agent.cluster.ClusterApi.ClusterApiException;
import io.flowkeeper.agent.cluster.VifTable.Delta;
import io.flowkeeper.agent.cluster.VifTable.Vif;
import io.flowkeeper.agent.ovsdb.OvsdbClient;
import io.flowkeeper.agent.ovsdb.OvsdbException;
import io.flowkeeper.api.util.Threads;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's cluster side on one host. Two threads:
 * <ul>
 * <li>{@code agent-vifs} holds an OVSDB monitor of the {@code Interface} table and publishes the host's plugged VM
 * interfaces whenever they change (no polling: OVSDB pushes each change);</li>
 * <li>{@code agent-cluster} does everything that talks to the cluster, one call at a time: it creates the bridges,
 * registers the host, reports what changed since the last accepted report (everything that changed while a report
 * was in flight goes in the next one: batches form by themselves under load), renews the registration every
 * {@link ClusterSettings#heartbeat()}, and keeps the tunnel ports equal to what the cluster says this host needs.</li>
 * </ul>
 * A report that fails is followed by a full one (the cluster then drops this host's bindings it did not list), so
 * a lost answer or an agent restart never leaves a stale binding.
 */
public final class ClusterAgent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterAgent.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How long to wait before trying again after OVSDB or every node failed: short, it is local or cheap. */
    private static final Duration RETRY = Duration.ofMillis(500);
    /** The longest pause between calls to a cluster that keeps failing: well inside the 30 s agent-down time. */
    private static final Duration MAX_RETRY = Duration.ofSeconds(8);
    /** How soon to register again while the integration bridge has no datapath id (OVS sets it within ms). */
    private static final Duration DATAPATH_RETRY = Duration.ofMillis(200);
    /** The jar's version, as {@code flowkeeper --version} reads it; classes run from a build tree have none. */
    static final String VERSION = java.util.Objects.requireNonNullElse(
            ClusterAgent.class.getPackage().getImplementationVersion(), "development build");

    private final ClusterSettings settings;
    private final Path dbSocket;
    private final AgentListener listener;
    private final ClusterApi api;
    /** The host agent's figures of the integration bridge's snapshot (told at every heartbeat). */
    private final Supplier<SnapshotReport> snapshot;
    /** What the last registration told of {@link #snapshot} (confined to {@code agent-cluster}). */
    private SnapshotReport told = SnapshotReport.NONE;
    private final BlockingQueue<Boolean> wake = new LinkedBlockingQueue<>();
    private volatile Map<String, Vif> current;
    private volatile boolean closed;
    private volatile OvsdbClient monitorSession;
    private Thread vifs;
    private Thread cluster;
    /** The agent's own DHCP server, or null (off). */
    private LocalDhcp dhcp;

    public ClusterAgent(ClusterSettings settings, Path dbSocket, AgentListener listener) {
        this(settings, dbSocket, listener, () -> SnapshotReport.NONE);
    }

    /**
     * @param snapshot the host agent's figures of its snapshot of the integration bridge (whether it holds flows: the
     *     agent then restores the bridge when {@code ovs-vswitchd} comes back empty; its size and age; the last
     *     restore): told to the cluster with every heartbeat
     */
    public ClusterAgent(ClusterSettings settings, Path dbSocket, AgentListener listener,
                        Supplier<SnapshotReport> snapshot) {
        this.snapshot = snapshot;
        this.settings = settings;
        this.dbSocket = dbSocket;
        this.listener = listener;
        this.api = new ClusterApi(settings.apiUrls(), settings.token(),
                settings.tls() == null ? null : settings.tls().clientContext());
    }

    /**
     * Also answer the VMs' DHCP here ({@link LocalDhcp}), keeping the bindings in {@code bindingsFile}. Before
     * {@link #start}.
     */
    public ClusterAgent localDhcp(Path bindingsFile) {
        dhcp = new LocalDhcp(dbSocket.resolveSibling(settings.integrationBridge() + ".mgmt"), bindingsFile,
                () -> current, listener);
        return this;
    }

    public ClusterAgent start() {
        if (dhcp != null) {
            dhcp.start();
        }
        vifs = Threads.startDaemon("agent-vifs", this::watchInterfaces);
        cluster = Threads.startDaemon("agent-cluster", this::talkToCluster);
        return this;
    }

    // ---- OVSDB: the host's VM interfaces -------------------------------------------------------------------

    private void watchInterfaces() {
        VifTable table = new VifTable();
        while (!closed) {
            BlockingQueue<JsonNode> updates = new LinkedBlockingQueue<>();
            try (OvsdbClient ovsdb = OvsdbClient.connect(dbSocket)) {
                monitorSession = ovsdb;
                ovsdb.monitor("Interface", List.of("name", "external_ids", "ofport", "ofport_request"), updates);
                table.clear();
                boolean open = true;
                while (open && !closed) {
                    // Apply everything that arrived together before looking: one report for a burst of changes.
                    for (JsonNode u = updates.take(); u != null && open; u = updates.poll()) {
                        open = u != OvsdbClient.CLOSED;
                        if (open) {
                            table.apply(u);
                        }
                    }
                    pin(ovsdb, table.unpinned());
                    Map<String, Vif> plugged = table.plugged();
                    if (!plugged.equals(current)) {
                        current = plugged;
                        wake.add(Boolean.TRUE);
                    }
                }
            } catch (OvsdbException e) {
                LOG.debug("OVSDB monitor: {}", e.getMessage());
            } catch (InterruptedException e) {
                return;
            }
            sleep(RETRY);
        }
    }

    /** Sets {@code ofport_request} to the current number of each interface (see {@link VifTable#unpinned}). */
    private static void pin(OvsdbClient ovsdb, Map<String, Integer> unpinned) {
        if (unpinned.isEmpty()) {
            return;
        }
        List<ObjectNode> updates = new ArrayList<>();
        unpinned.forEach((uuid, ofport) -> {
            ObjectNode op = JSON.createObjectNode().put("op", "update").put("table", "Interface");
            op.putArray("where").addArray().add("_uuid").add("==").addArray().add("uuid").add(uuid);
            op.putObject("row").put("ofport_request", ofport);
            updates.add(op);
        });
        try {
            ovsdb.transact(updates.toArray(ObjectNode[]::new));
        } catch (OvsdbException e) {
            // Best effort: an interface deleted meanwhile fails the transaction; the next update tries again.
            LOG.debug("pinning OpenFlow port numbers: {}", e.getMessage());
        }
    }

    // ---- the cluster: bridges, registration, reports, tunnels ----------------------------------------------

    private void talkToCluster() {
        OvsdbClient ovsdb = null;
        boolean plumbed = false;
        boolean registered = false;
        boolean full = true;
        Map<String, Vif> reported = new HashMap<>();
        long nextHeartbeat = 0;
        long nextPeerPoll = 0;
        int failures = 0;
        while (!closed) {
            try {
                if (ovsdb == null) {
                    ovsdb = OvsdbClient.connect(dbSocket);
                }
                HostPlumbing plumbing = new HostPlumbing(ovsdb);
                if (!plumbed) {
                    plumb(plumbing);
                    plumbed = true;
                }
                long now = System.nanoTime();
                // A snapshot that starts (or stops) holding flows is told at once, not a heartbeat later: a reboot
                // soon after a host's first programming must find the cluster knowing that its agent restores. So
                // is a new restore, for the operators watching the timeline (one write per restore: rare).
                SnapshotReport figures = snapshot.get();
                if (!registered || now >= nextHeartbeat || figures.holdsFlows() != told.holdsFlows()
                        || !Objects.equals(figures.lastRestore(), told.lastRestore())) {
                    boolean knowsDatapath = register(plumbing, figures);
                    if (!registered) {
                        listener.registered(settings.host());
                    }
                    registered = true;
                    // The flow compiler finds the host's switch by datapath id, which a bridge created a moment ago
                    // may not have yet: register again soon rather than a heartbeat later.
                    nextHeartbeat = now + (knowsDatapath ? settings.heartbeat() : DATAPATH_RETRY).toNanos();
                }
                Map<String, Vif> snapshot = current;
                boolean reportedNow = false;
                if (snapshot != null) {
                    Delta delta = full ? new Delta(new ArrayList<>(snapshot.values()), List.of())
                            : VifTable.delta(reported, snapshot);
                    if (full || !delta.isEmpty()) {
                        report(delta, full);
                        reported = snapshot;
                        full = false;
                        reportedNow = true;
                    }
                }
                if (reportedNow || System.nanoTime() >= nextPeerPoll) {
                    syncTunnels(plumbing);
                    syncDhcp();
                    nextPeerPoll = System.nanoTime() + settings.peerPoll().toNanos();
                }
                failures = 0;
                long wait = Math.min(nextHeartbeat, nextPeerPoll) - System.nanoTime();
                if (wait > 0) {
                    wake.poll(wait, TimeUnit.NANOSECONDS);
                    wake.clear();
                }
            } catch (OvsdbException e) {
                LOG.warn("OVSDB at {}: {}", dbSocket, e.getMessage());
                if (ovsdb != null) {
                    ovsdb.close();
                    ovsdb = null;
                }
                sleep(RETRY);
            } catch (ClusterApiException e) {
                if (e.status == 404) {
                    registered = false; // the cluster forgot the host (an operator deleted the agent): again
                }
                full = true;
                listener.clusterCallFailed(e.getMessage());
                LOG.warn("cluster: {}", e.getMessage());
                sleep(backoff(failures++));
            } catch (InterruptedException e) {
                break;
            }
        }
        if (ovsdb != null) {
            ovsdb.close();
        }
    }

    /**
     * The pause after {@code failures} failed rounds in a row: 0.5, 1, 2, 4 s, then 8 s. A cluster that is down, or
     * that keeps refusing (a 4xx does not change by itself), is asked a few times a minute by each host, not twice a
     * second, and a recovered one hears from the host well within the 30 s agent-down time.
     */
    static Duration backoff(int failures) {
        Duration pause = RETRY.multipliedBy(1L << Math.min(failures, 4));
        return pause.compareTo(MAX_RETRY) > 0 ? MAX_RETRY : pause;
    }

    private void plumb(HostPlumbing plumbing) throws OvsdbException {
        String integration = settings.integrationBridge();
        HostTls tls = settings.tls();
        if (tls != null && plumbing.ensureSsl(tls.files())) {
            LOG.info("OVS SSL set to {} ({} and CA {})", tls.files().certificate(), tls.files().key(),
                    tls.files().ca());
        }
        Long datapathId = tls == null ? null : tls.integrationDatapathId();
        if (plumbing.ensureBridge(integration, settings.controllerTargets(), "secure", datapathId)) {
            if (settings.controllers().isEmpty()) {
                // fail_mode secure and no controller: nothing will forward until one is set (and that flushes)
                LOG.warn("created {} without a controller: give --controller so the cluster programs it", integration);
            } else {
                LOG.info("created {} with controllers {}{}", integration, settings.controllerTargets(),
                        datapathId == null ? "" : String.format(" and datapath id %016x", datapathId));
            }
        } else if (tls != null) {
            long existing = plumbing.datapathId(integration);
            if (existing != 0 && !tls.datapathIds().contains(existing)) {
                // Left as it is (its controllers and flows are live); the OpenFlow server will close it.
                LOG.warn("{} exists with datapath id {}, which {} does not bind: the cluster will refuse it (ovs-vsctl"
                        + " set bridge {} other-config:datapath-id={})", integration, String.format("%016x", existing),
                        tls.files().certificate(), integration, String.format("%016x", tls.integrationDatapathId()));
            }
        }
        for (String provider : settings.bridgeMappings().values()) {
            // A provider bridge is a plain learning switch between its NIC and the patch: br-int's flows tag and
            // untag, so it needs no controller (and an operator adds its physical NIC, as with Neutron).
            plumbing.ensureBridge(provider, List.of(), "standalone", null);
            plumbing.ensurePatch(integration, provider);
        }
    }

    /** Registers (or heartbeats) the host; false if the integration bridge had no datapath id yet. */
    private boolean register(HostPlumbing plumbing, SnapshotReport figures) throws OvsdbException, ClusterApiException {
        long dpid = plumbing.datapathId(settings.integrationBridge());
        ObjectNode body = JSON.createObjectNode();
        body.put("tunnel_ip", settings.tunnelIp() == null ? "" : settings.tunnelIp())
                .put("integration_bridge", settings.integrationBridge())
                .put("datapath_id", dpid)
                .put("agent_version", VERSION)
                .put("flow_snapshot", figures.holdsFlows());
        ObjectNode mappings = body.putObject("bridge_mappings");
        settings.bridgeMappings().forEach(mappings::put);
        snapshotFields(body, figures, Instant.now());
        if (dhcp != null) {
            dhcp.status(body.putObject("local_dhcp"));
        }
        api.send("PUT", "/v1/network/hosts/" + settings.host(), body);
        told = figures;
        return dpid != 0;
    }

    /**
     * Adds the snapshot's figures to a registration: {@code "snapshot": {"flows", "bytes", "age_millis", "state"}}
     * and {@code "last_restore": {"agent_at_millis", "ago_millis", "flows", "duration_millis", "reason"}}. Times go
     * as ages (the node dates them by its own clock, as it does the heartbeat, so a host with a wrong clock shows
     * right); the restore's own time on this host's clock only tells one restore from the next.
     */
    static void snapshotFields(ObjectNode body, SnapshotReport figures, Instant now) {
        if (figures.state() != null) {
            ObjectNode s = body.putObject("snapshot").put("state", figures.state()).put("bytes", figures.bytes());
            if (figures.flows() != null) {
                s.put("flows", figures.flows());
            }
            if (figures.writtenAt() != null) {
                s.put("age_millis", Math.max(0, Duration.between(figures.writtenAt(), now).toMillis()));
            }
        }
        AgentStatus.Restore r = figures.lastRestore();
        if (r != null) {
            body.putObject("last_restore").put("agent_at_millis", r.at().toEpochMilli())
                    .put("ago_millis", Math.max(0, Duration.between(r.at(), now).toMillis()))
                    .put("flows", r.flows()).put("duration_millis", r.bundleMillis())
                    .put("reason", r.reason() == null ? "" : r.reason());
        }
    }

    private void report(Delta delta, boolean full) throws ClusterApiException {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode plugged = body.putArray("plugged");
        delta.plugged().forEach(v -> plugged.addObject().put("port_id", v.portId()).put("ofport", v.ofport())
                .put("attached_mac", v.attachedMac()));
        ArrayNode unplugged = body.putArray("unplugged");
        delta.unplugged().forEach(unplugged::add);
        body.put("full", full);
        // A big report (4,000 ports after a restart: a few Raft transactions of a few hundred ports) may take
        // longer than a heartbeat; giving up on it early would only send it again, full, to another node.
        JsonNode answer = api.send("POST", "/v1/network/hosts/" + settings.host() + "/bindings", body,
                Duration.ofSeconds(8).plusMillis(5L * (delta.plugged().size() + delta.unplugged().size())));
        List<String> errors = new ArrayList<>();
        answer.path("bindings").forEach(b -> {
            if (!b.path("state").asText().equals("PLUGGED")) {
                errors.add(b.path("port_id").asText() + ": " + b.path("state").asText() + " "
                        + b.path("error").asText());
            }
        });
        errors.forEach(e -> LOG.warn("binding refused: {}", e));
        listener.reported(delta.plugged().size(), answer.path("unplugged").asInt(), errors);
    }

    private void syncTunnels(HostPlumbing plumbing) throws OvsdbException, ClusterApiException {
        JsonNode answer = api.send("GET", "/v1/network/hosts/" + settings.host() + "/tunnel-peers", null);
        // BFD on every tunnel with a gateway host at an end; the far end reads the same two flags, so both run it
        boolean selfGateway = answer.path("gateway").asBoolean(false);
        Map<String, TunnelPlan.Peer> wanted = new java.util.TreeMap<>();
        answer.path("peers").forEach(p -> {
            boolean gateway = p.path("gateway").asBoolean(false);
            wanted.put(p.path("tunnel_ip").asText(), new TunnelPlan.Peer(p.path("host").asText(), gateway,
                    gateway || selfGateway));
        });
        TunnelPlan plan = TunnelPlan.of(wanted, plumbing.tunnelPorts());
        if (!plan.isEmpty()) {
            plumbing.apply(settings.integrationBridge(), plan, settings.tunnelIp());
            LOG.info("tunnels: added {}, removed {}, peers set {}", plan.add(), plan.remove(), plan.configure());
            listener.tunnelsChanged(plan.add(), plan.remove());
        }
    }

    /** Fetches the host's DHCP bindings when they changed (the cluster answers "unchanged" to the version held). */
    private void syncDhcp() throws ClusterApiException {
        if (dhcp == null) {
            return;
        }
        try {
            dhcp.update(api.send("GET", "/v1/network/hosts/" + settings.host() + "/dhcp?known=" + dhcp.version(),
                    null));
        } catch (ClusterApiException e) {
            if (e.status != 404) {
                throw e;
            }
            LOG.debug("the cluster serves no DHCP bindings to agents: {}", e.getMessage()); // an older node
        }
    }

    private void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        OvsdbClient session = monitorSession;
        if (session != null) {
            session.close();
        }
        for (Thread t : new Thread[] {vifs, cluster}) {
            if (t != null) {
                t.interrupt();
                try {
                    t.join(5_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        if (dhcp != null) {
            dhcp.close();
        }
    }
}
