package io.flowkeeper.agent.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.agent.AgentListener;
import io.flowkeeper.agent.cluster.ClusterApi.ClusterApiException;
import io.flowkeeper.api.gateway.HaState;
import io.flowkeeper.api.util.Threads;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.ArrayList;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gateway host's side of HA routers ({@code flowkeeper agent --gateway}): renews the host's gateway lease, and
 * for every router placed on the host follows the cluster's decision (active or standby, with its generation). On
 * becoming active it installs the responder for the external IP and the floating IPs on the provider bridge, with
 * the learning of the external next hop's MAC, sends gratuitous ARP {@link #GARP_REPEAT} times (and an ARP request
 * for the next hop with each, and every {@link #RESOLVE_EVERY} renewals after); the NAT itself is the controllers'
 * (compiled into the integration bridge of the host the cluster elected); on leaving active it removes the responder first. Each transition writes
 * {@code <state-dir>/ha_confs/<router>/state} and runs the configured notify hook (router id, state), on a thread
 * of its own, with a timeout.
 *
 * <p><b>Self-fencing.</b> The agent counts itself active for a router only until the cluster's hold time
 * ({@code hold_millis}, 900 ms) after it <em>sent</em> the last renewal answered active; the cluster gives the
 * router to another host only once the lease is 1.5 s old counted from when that renewal arrived. So an agent cut
 * off from the cluster (partition, every node down, a hung call) removes its responder, and goes to {@code fault},
 * 600 ms before anyone else may answer for the address. An answer older than one already applied (a lagging node's
 * lower generation) is ignored.
 *
 * <p>Threads: {@code gateway-lease} starts a renewal every period on a {@code gateway-renewal} thread (up to
 * {@link #MAX_IN_FLIGHT} at once, each bounded by the hold time; an answer to a renewal sent before one already
 * applied is dropped), and checks before each that the provider bridges answer (a host whose {@code ovs-vswitchd} is
 * gone stops renewing and goes to {@code fault}), {@code gateway-watchdog} demotes a router whose hold ran out,
 * {@code gateway-hooks} runs the hooks in order. The router table and the hold are guarded by this object's lock.
 */
public final class GatewayAgent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayAgent.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** keepalived's {@code garp_master_repeat} as Neutron sets it: five gratuitous ARPs on becoming active. */
    static final int GARP_REPEAT = 5;
    /** Between two gratuitous ARPs: the first goes out at once, the last half a second later. */
    static final Duration GARP_INTERVAL = Duration.ofMillis(100);
    private static final long WATCHDOG_MS = 20;
    /** Renewals in flight at most: the hold (900 ms) over the renewal period (200 ms), so a slow one never waits. */
    static final int MAX_IN_FLIGHT = 4;
    /**
     * Every this many renewals (5 s at 200 ms) the active asks for its routers' next hop MAC again, so the provider
     * bridge follows an upstream router that moved or changed its MAC.
     */
    static final int RESOLVE_EVERY = 25;

    /** What the agent holds for one router. */
    private static final class Held {
        HaState state = HaState.STANDBY;
        long generation = -1;
        JsonNode info;
    }

    private final ClusterApi api;
    private final String host;
    private final java.util.Collection<String> bridges;
    private final GatewaySettings settings;
    private final ProviderBridgeResponder responder;
    private final AgentListener listener;
    private final String incarnation = UUID.randomUUID().toString();
    private final Map<String, Held> routers = new HashMap<>();
    private final ExecutorService hooks = Executors.newSingleThreadExecutor(Threads.daemon("gateway-hooks"));
    private final ExecutorService garps = Executors.newSingleThreadExecutor(Threads.daemon("gateway-garp"));
    /** Until when (nanoTime) the last answered renewal lets this host act; guarded by this. */
    private long holdUntilNanos;
    /** When the renewal whose answer was applied last was sent (nanoTime); guarded by this. */
    private long appliedSentNanos = System.nanoTime();
    /** The cluster's hold ({@code hold_millis}) as last answered, in nanoseconds. */
    private volatile long hold = Duration.ofMillis(900).toNanos();
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    private final ExecutorService renewals = Executors.newFixedThreadPool(MAX_IN_FLIGHT,
            Threads.daemon("gateway-renewal"));
    /** The provider bridges did not answer at the last renewal's time; guarded by this. */
    private boolean switchDown;
    private volatile boolean closed;
    private Thread renewer;
    private Thread watchdog;

    public GatewayAgent(ClusterSettings cluster, GatewaySettings settings, Path ovsRundir, AgentListener listener) {
        this.api = new ClusterApi(cluster.apiUrls(), cluster.token(),
                cluster.tls() == null ? null : cluster.tls().clientContext());
        this.host = cluster.host();
        this.bridges = cluster.bridgeMappings().values();
        this.settings = settings;
        this.responder = new ProviderBridgeResponder(settings.ofctl(), ovsRundir);
        this.listener = listener;
    }

    public GatewayAgent start() {
        renewer = Threads.startDaemon("gateway-lease", this::renewLoop);
        watchdog = Threads.startDaemon("gateway-watchdog", this::watchLoop);
        return this;
    }

    private void renewLoop() {
        clearResponders();
        boolean down = false;
        for (long round = 1; !closed; round++) {
            long sent = System.nanoTime();
            String silent = bridges.stream().filter(b -> !responder.reachable(b)).findFirst().orElse(null);
            if (silent != null) {
                // No responder and no NAT without ovs-vswitchd: stop renewing, so the cluster moves the routers as
                // soon as it also saw the switch close its connections, and count as active no longer.
                if (!down) {
                    LOG.warn("gateway: bridge {} does not answer (ovs-vswitchd gone?): not renewing the gateway lease",
                            silent);
                }
                down = true;
                fence();
            } else if (down) {
                down = false;
                LOG.info("gateway: the provider bridges answer again: renewing the gateway lease");
                // a switch restarted with its flows saved (ovs-ctl restart) would answer with the old responder
                clearResponders();
                synchronized (this) {
                    switchDown = false;
                    // answers to renewals sent before the switch went down are not acted on: the cluster may have
                    // moved the routers meanwhile, later than such an answer's hold allows for
                    appliedSentNanos = System.nanoTime();
                }
            }
            if (!down && inFlight.get() < MAX_IN_FLIGHT) {
                long r = round;
                inFlight.incrementAndGet();
                renewals.execute(() -> renew(sent, r));
            }
            long wait = sent + settings.renew().toNanos() - System.nanoTime();
            if (wait > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(wait);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /**
     * One renewal, on its own thread: renewals overlap (up to {@link #MAX_IN_FLIGHT}), so one slow answer under load
     * does not hold back the next and the hold is kept as long as answers take less than it, each counted from when
     * its own renewal was sent.
     */
    private void renew(long sent, long round) {
        try {
            JsonNode answer = api.send("PUT", "/v1/network/hosts/" + host + "/gateway-lease",
                    JSON.createObjectNode().put("incarnation", incarnation), Duration.ofNanos(hold));
            hold = Duration.ofMillis(answer.path("hold_millis").asLong(900)).toNanos();
            apply(answer, sent, sent + hold);
            if (round % RESOLVE_EVERY == 0) {
                resolveNextHops();
            }
        } catch (ClusterApiException e) {
            LOG.debug("gateway lease: {}", e.getMessage());
        } finally {
            inFlight.decrementAndGet();
        }
    }

    /** Removes every responder from the provider bridges: what a killed predecessor (or a restored switch) left. */
    private void clearResponders() {
        for (String bridge : bridges) {
            try {
                responder.removeAll(bridge);
            } catch (IOException e) {
                // the agent's plumbing creates the bridge a moment later: it has no responder then either
                LOG.debug("gateway: clearing {}: {}", bridge, e.getMessage());
            }
        }
    }

    /** Ends the hold now: the watchdog moves every router to fault at its next look. */
    private synchronized void fence() {
        holdUntilNanos = System.nanoTime();
        switchDown = true;
    }

    private void watchLoop() {
        while (!closed) {
            try {
                Thread.sleep(WATCHDOG_MS);
            } catch (InterruptedException e) {
                return;
            }
            synchronized (this) {
                long now = System.nanoTime();
                if (now - holdUntilNanos > 0) {
                    routers.forEach((router, h) -> {
                        if (h.state != HaState.FAULT) {
                            move(router, h, HaState.FAULT, h.generation, switchDown
                                    ? "the provider bridge does not answer: ovs-vswitchd is gone"
                                    : "no answered lease renewal within the hold time: cut off from the cluster");
                        }
                    });
                }
            }
        }
    }

    /**
     * Applies one renewal's answer; {@code sent}: when that renewal was sent, {@code holdUntil}: how long an active
     * may act on it (nanoTime).
     */
    private synchronized void apply(JsonNode answer, long sent, long holdUntil) {
        if (closed || switchDown || System.nanoTime() - holdUntil > 0 || sent - appliedSentNanos < 0) {
            return; // too late to act on, the switch is down, or a later renewal's answer was applied already
        }
        appliedSentNanos = sent;
        holdUntilNanos = holdUntil;
        Set<String> seen = new HashSet<>();
        for (JsonNode r : answer.path("routers")) {
            String router = r.path("router").asText();
            seen.add(router);
            Held h = routers.computeIfAbsent(router, k -> new Held());
            long generation = r.path("generation").asLong();
            if (generation < h.generation) {
                continue; // a node behind the one that answered before
            }
            HaState to = HaState.parse(r.path("state").asText());
            boolean changedInfo = h.info != null && !h.info.equals(r);
            JsonNode before = h.info;
            h.info = r;
            if (to != h.state || h.generation == -1) {
                move(router, h, to, generation, to == HaState.ACTIVE ? "the cluster elected this host"
                        : "the cluster keeps this host standby");
            } else if (changedInfo && to == HaState.ACTIVE) {
                LOG.info("gateway: router {} changed its address while active: {} -> {}", router,
                        before.path("external_ip").asText(), r.path("external_ip").asText());
                activate(router, r);
            }
            h.generation = generation;
        }
        for (var it = routers.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (!seen.contains(e.getKey())) {
                Held h = e.getValue();
                if (h.state == HaState.ACTIVE) {
                    deactivate(e.getKey(), h.info);
                }
                listener.gatewayState(e.getKey(), h.state.text(), "removed", h.generation,
                        "no longer placed on this host");
                LOG.info("gateway: router {} {} -> removed: no longer placed on this host", e.getKey(), h.state.text());
                deleteState(e.getKey());
                it.remove();
            }
        }
    }

    /** One transition: the data plane first (off before on), then the state file, then the hook. */
    private void move(String router, Held h, HaState to, long generation, String why) {
        HaState from = h.state;
        boolean first = h.generation == -1;
        if (to == HaState.ACTIVE) {
            activate(router, h.info);
        } else if (from == HaState.ACTIVE) {
            deactivate(router, h.info);
        }
        h.state = to;
        LOG.info("gateway: router {} {} -> {} (generation {}): {}", router, first ? "new" : from.text(), to.text(),
                generation, why);
        listener.gatewayState(router, first ? "new" : from.text(), to.text(), generation, why);
        writeState(router, to);
        Path hook = settings.hooks().get(to);
        if (hook != null) {
            hooks.execute(() -> runHook(hook, router, to));
        }
    }

    /** Asks again for the next hop of every router this host is active for (on the GARP thread). */
    private synchronized void resolveNextHops() {
        routers.forEach((router, h) -> {
            if (h.state == HaState.ACTIVE && h.info != null && h.info.path("next_hop").isTextual()) {
                JsonNode r = h.info;
                garps.execute(() -> resolve(router, r));
            }
        });
    }

    private void resolve(String router, JsonNode r) {
        try {
            responder.resolve(r.path("bridge").asText(), r.path("external_ip").asText(), r.path("external_mac")
                    .asText(), r.path("next_hop").asText(), r.path("vlan").isInt() ? r.path("vlan").asInt() : null);
        } catch (IOException | IllegalArgumentException e) {
            LOG.warn("gateway: router {}: asking for next hop {}: {}", router, r.path("next_hop").asText(),
                    e.getMessage());
        }
    }

    private void activate(String router, JsonNode r) {
        String bridge = r.path("bridge").asText();
        String ip = r.path("external_ip").asText();
        String mac = r.path("external_mac").asText();
        Integer vlan = r.path("vlan").isInt() ? r.path("vlan").asInt() : null;
        String nextHop = r.path("next_hop").isTextual() ? r.path("next_hop").asText() : null;
        List<String> floating = new ArrayList<>();
        r.path("floating_ips").forEach(f -> floating.add(f.asText()));
        try {
            responder.install(bridge, router, ip, mac, vlan, nextHop, floating);
        } catch (IOException | IllegalArgumentException e) {
            LOG.warn("gateway: router {}: installing the responder for {} on {} failed: {}", router, ip, bridge,
                    e.getMessage());
        }
        garps.execute(() -> {
            for (int i = 0; i < GARP_REPEAT && !closed; i++) {
                try {
                    if (i > 0) {
                        Thread.sleep(GARP_INTERVAL.toMillis());
                    }
                    synchronized (this) {
                        Held h = routers.get(router);
                        if (h == null || h.state != HaState.ACTIVE) {
                            return; // demoted meanwhile: announcing would pull traffic to a host that drops it
                        }
                    }
                    responder.announce(bridge, ip, mac, vlan);
                    for (String f : floating) {
                        responder.announce(bridge, f, mac, vlan);
                    }
                    if (nextHop != null) {
                        resolve(router, r);
                    }
                } catch (IOException e) {
                    LOG.warn("gateway: router {}: gratuitous ARP for {} failed: {}", router, ip, e.getMessage());
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    private void deactivate(String router, JsonNode r) {
        if (r == null) {
            return;
        }
        try {
            responder.remove(r.path("bridge").asText(), router);
        } catch (IOException e) {
            LOG.warn("gateway: router {}: removing the responder from {} failed: {}", router,
                    r.path("bridge").asText(), e.getMessage());
        }
    }

    private Path stateFile(String router) {
        return settings.stateDir().resolve("ha_confs").resolve(router).resolve("state");
    }

    /** Written through a temporary file and a rename, so a reader never sees half a word. */
    private void writeState(String router, HaState state) {
        Path file = stateFile(router);
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling("state.tmp");
            Files.writeString(tmp, state.text(), StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.warn("gateway: writing {} failed: {}", file, e.getMessage());
        }
    }

    private void deleteState(String router) {
        Path dir = stateFile(router).getParent();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.debug("gateway: removing {}: {}", dir, e.getMessage());
        }
    }

    private void runHook(Path script, String router, HaState state) {
        int code;
        try {
            Process p = new ProcessBuilder(script.toString(), router, state.text()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (p.waitFor(settings.hookTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                code = p.exitValue();
            } else {
                p.destroyForcibly();
                code = -1;
                LOG.warn("gateway: hook {} {} {} still running after {} ms: killed", script, router, state.text(),
                        settings.hookTimeout().toMillis());
            }
        } catch (IOException e) {
            code = -1;
            LOG.warn("gateway: hook {} could not start: {}", script, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        LOG.info("gateway: hook {} {} {} exited {}", script, router, state.text(), code);
        listener.gatewayHook(router, state.text(), script.toString(), code);
    }

    /** Stops renewing and removes every responder this agent installed: a stopped agent answers for nothing. */
    @Override
    public void close() {
        closed = true;
        for (Thread t : new Thread[] {renewer, watchdog}) {
            if (t != null) {
                t.interrupt();
                try {
                    t.join(2_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        synchronized (this) {
            routers.forEach((router, h) -> {
                if (h.state == HaState.ACTIVE) {
                    deactivate(router, h.info);
                    writeState(router, HaState.FAULT);
                }
            });
        }
        renewals.shutdownNow();
        garps.shutdownNow();
        hooks.shutdown();
        try {
            hooks.awaitTermination(settings.hookTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
