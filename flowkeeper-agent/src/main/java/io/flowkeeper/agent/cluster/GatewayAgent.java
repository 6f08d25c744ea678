package io.flowkeeper.agent.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.agent.AgentListener;
import io.flowkeeper.agent.cluster.ClusterApi.ClusterApiException;
import io.flowkeeper.agent.ovsdb.OvsdbClient;
import io.flowkeeper.agent.ovsdb.OvsdbException;
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
 * <p><b>BFD.</b> {@code gateway-bfd} reads the BFD state of the host's tunnels every {@link #BFD_POLL} (the agent
 * runs BFD on every tunnel with a gateway host at an end). A renewal names the gateway hosts whose tunnel went down
 * (after being up since the agent started) {@link #UNREACHABLE_AFTER} ago or more, unless no tunnel at all is up.
 * That last case is this host being the one cut off: a tunnel to a gateway host went down and none is up. Then it
 * counts itself active only {@code unreachable_hold_millis} (400 ms) after it sent its last answered renewal, not
 * the 900 ms, since the cluster may move a router whose active another gateway host names once the lease is 600 ms
 * old (see {@code GatewayRegistry}). A host that only lost a peer (a dead standby) keeps the 900 ms hold: its
 * renewals, slow under load, must not put it in {@code fault}.
 *
 * <p>An answer may carry {@code settle_in_millis}: the active of a router placed here will count as dead sooner than
 * the next period (its switch closed, or BFD cannot reach it, and it stopped renewing); the agent renews once more
 * at that moment, so the takeover does not wait for its next turn.
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
    /** How often the tunnels' BFD states are read: a small part of BFD's own 300 ms detection. */
    static final Duration BFD_POLL = Duration.ofMillis(50);
    /**
     * A tunnel down this long is named in renewals: the other end's BFD times the same session out within about one
     * BFD interval (100 ms, jittered) of this end's, and its agent reads it within {@link #BFD_POLL}, so by then it
     * has shortened its hold.
     */
    static final Duration UNREACHABLE_AFTER = Duration.ofMillis(200);
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
    /** Where the tunnels' BFD states are read ({@code db.sock} in the OVS run directory). */
    private final Path dbSocket;
    /** What BFD says now: written by {@code gateway-bfd}, read by renewals. */
    private volatile BfdView bfd = BfdView.NONE;
    /** The hold while a tunnel to a gateway host is down, in nanoseconds (the cluster's, as last answered). */
    private volatile long unreachableHold = Duration.ofMillis(400).toNanos();
    /**
     * When (nanoTime) to renew out of turn, or 0: the cluster's {@code settle_in_millis}, when a dead active's
     * routers become this host's before the next period.
     */
    private volatile long settleAt;
    /** The provider bridges did not answer at the last renewal's time; guarded by this. */
    private boolean switchDown;
    private volatile boolean closed;
    private Thread renewer;
    private Thread watchdog;
    private Thread bfdWatcher;

    public GatewayAgent(ClusterSettings cluster, GatewaySettings settings, Path ovsRundir, AgentListener listener) {
        this.api = new ClusterApi(cluster.apiUrls(), cluster.token(),
                cluster.tls() == null ? null : cluster.tls().clientContext());
        this.host = cluster.host();
        this.bridges = cluster.bridgeMappings().values();
        this.settings = settings;
        this.responder = new ProviderBridgeResponder(settings.ofctl(), ovsRundir);
        this.dbSocket = ovsRundir.resolve("db.sock");
        this.listener = listener;
    }

    public GatewayAgent start() {
        renewer = Threads.startDaemon("gateway-lease", this::renewLoop);
        watchdog = Threads.startDaemon("gateway-watchdog", this::watchLoop);
        bfdWatcher = Threads.startDaemon("gateway-bfd", this::bfdLoop);
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
            // the next period, or sooner when the cluster said a dead active's routers are due before then
            long next = sent + settings.renew().toNanos();
            for (long now = System.nanoTime(); next - now > 0; now = System.nanoTime()) {
                long extra = settleAt;
                if (extra != 0 && extra - now <= 0) {
                    settleAt = 0;
                    break;
                }
                long until = extra != 0 && extra - next < 0 ? extra : next;
                try {
                    // in slices: an answer arriving meanwhile may set settleAt
                    TimeUnit.NANOSECONDS.sleep(Math.min(until - now, TimeUnit.MILLISECONDS.toNanos(10)));
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
            BfdView seen = bfd;
            com.fasterxml.jackson.databind.node.ObjectNode body = JSON.createObjectNode().put("incarnation",
                    incarnation);
            if (!seen.unreachable().isEmpty()) {
                seen.unreachable().forEach(body.putArray("unreachable")::add);
            }
            JsonNode answer = api.send("PUT", "/v1/network/hosts/" + host + "/gateway-lease", body,
                    Duration.ofNanos(hold));
            long tookMs = (System.nanoTime() - sent) / 1_000_000;
            if (tookMs > TimeUnit.NANOSECONDS.toMillis(hold) / 2) {
                // half the hold gone in one answer: the cluster or this host is starved; faults come next
                LOG.info("gateway: lease renewal answered in {} ms (hold {} ms)", tookMs,
                        TimeUnit.NANOSECONDS.toMillis(hold));
            }
            hold = Duration.ofMillis(answer.path("hold_millis").asLong(900)).toNanos();
            unreachableHold = Duration.ofMillis(answer.path("unreachable_hold_millis").asLong(400)).toNanos();
            // cut off in the data plane when this was sent, or now: the shorter hold
            boolean isolated = seen.isolated() || bfd.isolated();
            apply(answer, sent, sent + (isolated ? Math.min(hold, unreachableHold) : hold));
            long settleIn = answer.path("settle_in_millis").asLong(-1);
            if (settleIn >= 0) {
                settleAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settleIn);
            }
            if (round % RESOLVE_EVERY == 0) {
                resolveNextHops();
            }
        } catch (ClusterApiException e) {
            LOG.debug("gateway lease: {}", e.getMessage());
        } finally {
            inFlight.decrementAndGet();
        }
    }

    /**
     * What the tunnels' BFD says, for renewals and the hold.
     *
     * @param unreachable the gateway hosts to name in renewals (down for {@link #UNREACHABLE_AFTER}, some tunnel up)
     * @param isolated whether a tunnel to a gateway host went down and no tunnel at all is up: this host is the
     *     one cut off, and the others may name it
     */
    record BfdView(List<String> unreachable, boolean isolated) {
        static final BfdView NONE = new BfdView(List.of(), false);

        /**
         * Pure: the view from each BFD tunnel's state ({@code states}: peer host → its state), the peers whose
         * session this agent has seen up ({@code wasUp}), and since when each not-up one has been seen not up
         * ({@code downSince}, nanoTime), at {@code now}. Only sessions that went down count.
         */
        static BfdView of(Map<String, HostPlumbing.BfdState> states, Set<String> wasUp, Map<String, Long> downSince,
                          long now, long reportAfterNanos) {
            boolean anyUp = states.values().stream().anyMatch(HostPlumbing.BfdState::up);
            List<String> unreachable = new ArrayList<>();
            boolean gatewayDown = false;
            for (Map.Entry<String, HostPlumbing.BfdState> e : new java.util.TreeMap<>(states).entrySet()) {
                if (!e.getValue().gateway() || e.getValue().up() || !wasUp.contains(e.getKey())) {
                    continue; // a session never up since this agent started is a peer that is not there yet
                }
                gatewayDown = true;
                Long since = downSince.get(e.getKey());
                if (anyUp && since != null && now - since >= reportAfterNanos) {
                    unreachable.add(e.getKey());
                }
            }
            return new BfdView(List.copyOf(unreachable), gatewayDown && !anyUp);
        }
    }

    /** {@code gateway-bfd}: reads the tunnels' BFD states, keeps {@link #bfd}, and shortens the hold at once. */
    private void bfdLoop() {
        Map<String, Long> downSince = new HashMap<>();
        Map<String, String> lastState = new HashMap<>();
        Set<String> wasUp = new HashSet<>();
        OvsdbClient session = null;
        while (!closed) {
            try {
                if (session == null) {
                    session = OvsdbClient.connect(dbSocket);
                }
                Map<String, HostPlumbing.BfdState> states = new HostPlumbing(session).bfdStates();
                long now = System.nanoTime();
                states.forEach((peer, st) -> {
                    if (st.up()) {
                        downSince.remove(peer);
                        wasUp.add(peer);
                    } else {
                        downSince.putIfAbsent(peer, now);
                    }
                    String before = lastState.put(peer, st.state());
                    if (before != null && !before.equals(st.state()) && (st.up() || before.equals("up"))) {
                        LOG.info("gateway: BFD to {} {} -> {}", peer, before, st.state());
                    }
                });
                downSince.keySet().retainAll(states.keySet());
                wasUp.retainAll(states.keySet());
                lastState.keySet().retainAll(states.keySet());
                BfdView view = BfdView.of(states, wasUp, downSince, now, UNREACHABLE_AFTER.toNanos());
                bfd = view;
                if (view.isolated()) {
                    synchronized (this) {
                        // act no longer than the shorter hold after the last answered renewal was sent
                        long limit = appliedSentNanos + unreachableHold;
                        if (limit - holdUntilNanos < 0) {
                            holdUntilNanos = limit;
                        }
                    }
                }
            } catch (OvsdbException | RuntimeException e) {
                // ovsdb-server restarting: no BFD view until it answers again (the hold stays as it was)
                LOG.debug("gateway: reading BFD: {}", e.getMessage());
                bfd = BfdView.NONE;
                if (session != null) {
                    session.close();
                    session = null;
                }
            }
            try {
                Thread.sleep(BFD_POLL.toMillis());
            } catch (InterruptedException e) {
                break;
            }
        }
        if (session != null) {
            session.close();
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
            // too late to act on, the switch is down, or a later renewal's answer was applied already
            LOG.debug("gateway: answer to a renewal sent {} ms ago not applied", (System.nanoTime() - sent) / 1_000_000);
            return;
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
        for (Thread t : new Thread[] {renewer, watchdog, bfdWatcher}) {
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
