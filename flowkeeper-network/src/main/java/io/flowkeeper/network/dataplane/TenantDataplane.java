package io.flowkeeper.network.dataplane;

import io.flowkeeper.api.dhcp.DhcpBinding;
import io.flowkeeper.api.dhcp.DhcpPacket;
import io.flowkeeper.api.dhcp.DhcpResponder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.flow.Action;
import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.FlowId;
import io.flowkeeper.api.network.FloatingIp;
import io.flowkeeper.api.network.Host;
import io.flowkeeper.api.network.Network;
import io.flowkeeper.api.network.NetworkService;
import io.flowkeeper.api.network.Subnet;
import io.flowkeeper.network.NetworkManager;
import io.flowkeeper.api.network.NetworkType;
import io.flowkeeper.api.network.Port;
import io.flowkeeper.api.network.PortBinding;
import io.flowkeeper.api.network.Router;
import io.flowkeeper.api.network.SecurityGroup;
import io.flowkeeper.api.network.SecurityGroupRule;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.store.Precondition;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.StoreException;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.api.store.VersionedValue;
import io.flowkeeper.api.store.Watch;
import io.flowkeeper.api.store.WatchEvent;
import io.flowkeeper.api.store.WatchListener;
import io.flowkeeper.api.switches.PacketIn;
import io.flowkeeper.api.switches.PacketProcessor;
import io.flowkeeper.api.switches.FlowParts;
import io.flowkeeper.api.switches.PacketService;
import io.flowkeeper.api.switches.Switch;
import io.flowkeeper.api.switches.SwitchException;
import io.flowkeeper.api.switches.SwitchFlowSource;
import io.flowkeeper.api.util.Threads;
import io.flowkeeper.network.dataplane.HostView.LocalPort;
import io.flowkeeper.network.dataplane.HostView.NetworkView;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tenant data plane on one controller node, at the edges of the pure pieces: it follows the network model (a
 * watch on the {@code network-config} shard), gives each switch this node masters the flows {@link FlowCompiler}
 * compiles for the host whose integration bridge it is ({@link Host#datapathId()}), answers DHCP packet-ins with
 * {@link DhcpServer}, and writes a port's {@code status}: ACTIVE once its flows are on the switch, DOWN when its
 * binding is gone. It is the only writer of that status.
 *
 * <p>Threads: {@link #flows} and {@link #installed} run on the switch's thread; model changes, status writes and
 * DHCP answers each on a thread of this service's own (a status write may wait for a busy Raft leader; a model
 * change or a DHCP answer must not), so neither a store write nor a packet-out ever blocks a switch or the
 * southbound.
 */
public final class TenantDataplane implements SwitchFlowSource, PacketProcessor, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TenantDataplane.class);
    private static final String SHARD = "network-config";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Neutron's default {@code dhcp_lease_duration}. */
    public static final long LEASE_SECONDS = 86_400;
    /** Packet-ins are handled above the default processors. */
    public static final int PACKET_PRIORITY = 100;
    private static final int STATUS_BATCH = 200;

    private final NetworkService network;
    private final DatastoreService store;
    private final PacketService packets;
    private final Clock clock;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(Threads.daemon("tenant-dataplane"));
    /**
     * Status writes and DHCP answers have threads of their own: a status write may wait for a busy Raft leader, and
     * neither a model change nor a DHCP answer should queue behind it.
     */
    private final ScheduledExecutorService statusWriter =
            Executors.newSingleThreadScheduledExecutor(Threads.daemon("tenant-status"));
    /**
     * Status writes not yet committed, by port id: a write that fails (no shard leader yet after a node died, or
     * a precondition lost three times) stays here and is tried again, so a port never keeps a stale status because
     * one write failed; a newer report for the same port replaces its entry.
     */
    private final Map<String, String> pendingStatus = new ConcurrentHashMap<>();
    private final AtomicBoolean statusRetryScheduled = new AtomicBoolean();
    private final ExecutorService dhcp = Executors.newSingleThreadExecutor(Threads.daemon("tenant-dhcp"));
    private final List<LongConsumer> listeners = new CopyOnWriteArrayList<>();
    private final Map<Long, SwitchState> switches = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<WatchEvent> events = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean applyQueued = new AtomicBoolean();
    /** The model's objects by id (name for hosts, port id for bindings); changed and copied only under this lock. */
    private final Map<String, Network> networks = new TreeMap<>();
    private final Map<String, Subnet> subnets = new TreeMap<>();
    private final Map<String, Port> ports = new TreeMap<>();
    private final Map<String, Host> hosts = new TreeMap<>();
    private final Map<String, PortBinding> bindings = new TreeMap<>();
    private final Map<String, Router> routers = new TreeMap<>();
    /** Security groups without their rules (revision 0: a rename changes no flow), and the rules by id. */
    private final Map<String, SecurityGroup> groups = new TreeMap<>();
    private final Map<String, SecurityGroupRule> rules = new TreeMap<>();
    private final Map<String, FloatingIp> floatingIps = new TreeMap<>();
    /** Each HA router's gateway placement and active host ({@code /neutron/gateways/{router}}). */
    private final Map<String, HostViews.GatewayPlacement> gateways = new TreeMap<>();
    private boolean resetting;
    private final AtomicLong dhcpAnswered = new AtomicLong();
    private final AtomicLong dhcpMalformed = new AtomicLong();
    private final AtomicLong dhcpUnanswered = new AtomicLong();
    /** The last built model ({@link #model()}); {@code stale} once a batch changed the maps since. */
    private volatile HostViews.Model model;
    private volatile boolean stale;
    /**
     * Each host's last agent heartbeat (epoch ms), kept apart from the model: heartbeats change every few seconds
     * and no flow. Read by a master deciding whether to wait for the host agent's restore.
     */
    private final Map<String, Long> heartbeats = new ConcurrentHashMap<>();
    private volatile Watch watch;
    private volatile boolean closed;

    /** What one switch's compiles keep between calls (used on the switch's thread; {@code view} read by DHCP). */
    private static final class SwitchState {
        final FlowCompiler compiler = new FlowCompiler();
        final HostViewBuilder views = new HostViewBuilder();
        /** Each flow identity's id, and each part of the last compile with its flows by id. */
        final Map<FlowId, String> ids = new HashMap<>();
        List<List<Flow>> parts = List.of();
        List<Map<String, Flow>> partsById = List.of();
        long nextId;
        volatile HostView view;
        volatile String host;
        Set<String> reportedActive = new HashSet<>();
    }

    public TenantDataplane(NetworkService network, DatastoreService store, PacketService packets, Clock clock) {
        this.network = network;
        this.store = store;
        this.packets = packets;
        this.clock = clock;
    }

    /** Reads the model and follows its changes, one watched document at a time. */
    public void start() {
        follow();
    }

    /**
     * Reads the whole model, publishes it, and watches from the revision read. Run at start and again when the watch
     * closes by itself (it fell behind, or its node's replica restarted), so the data plane never stops following.
     */
    private void follow() {
        long revision = store.list(SHARD, DataPath.of("/neutron/hosts"), ReadConsistency.STALE).revision();
        List<Network> n = network.networks();
        List<Subnet> sn = network.subnets();
        List<Port> p = network.ports();
        List<Host> h = network.hosts();
        List<PortBinding> b = network.bindings();
        List<Router> r = network.routers();
        List<SecurityGroup> g = network.securityGroups();
        List<FloatingIp> f = network.floatingIps();
        Map<String, HostViews.GatewayPlacement> placements = new TreeMap<>();
        for (VersionedValue v : store.list(SHARD, DataPath.of("/neutron/gateways"), ReadConsistency.STALE).values()) {
            String id = v.path().substring(v.path().lastIndexOf('/') + 1);
            placements.put(id, placement(NetworkManager.parse(v.json())));
        }
        synchronized (this) { // the maps are read and changed under this lock only
            clearModel();
            events.clear();
            n.forEach(x -> networks.put(x.id(), x));
            sn.forEach(x -> subnets.put(x.id(), x));
            p.forEach(x -> ports.put(x.id(), normalized(x)));
            h.forEach(x -> hosts.put(x.name(), normalized(x)));
            heartbeats.clear();
            h.forEach(x -> heartbeats.put(x.name(), x.heartbeatMillis()));
            b.forEach(x -> bindings.put(x.portId(), x));
            r.forEach(x -> routers.put(x.id(), x));
            g.forEach(x -> {
                groups.put(x.id(), normalized(x));
                x.rules().forEach(rule -> rules.put(rule.id(), rule));
            });
            f.forEach(x -> floatingIps.put(x.id(), x));
            gateways.putAll(placements);
            resetting = false;
            model = snapshot();
            stale = false;
        }
        watch = store.watch(SHARD, DataPath.of("/neutron"), Math.max(1, revision), new WatchListener() {
            @Override
            public void onEvent(WatchEvent event) {
                events.add(event);
                if (applyQueued.compareAndSet(false, true)) {
                    worker.execute(TenantDataplane.this::apply);
                }
            }

            @Override
            public void onClosed(String reason) {
                if (closed) {
                    return;
                }
                LOG.warn("network model watch closed ({}): reading the model again", reason);
                worker.execute(() -> {
                    try {
                        follow();
                        listeners.forEach(l -> l.accept(-1));
                    } catch (RuntimeException e) {
                        LOG.warn("cannot read the network model ({}); trying again in 1 s", e.getMessage());
                        Threads.startDaemon("tenant-model-retry", () -> {
                            try {
                                Thread.sleep(1_000);
                            } catch (InterruptedException ie) {
                                return;
                            }
                            onClosed("retry");
                        });
                    }
                });
            }
        });
    }

    /**
     * Applies the queued changes to the model; tells the switches when the data plane's part of it changed. After a
     * RESET the model is published again only once the state dump is complete (SYNCED), never half-filled.
     */
    private synchronized void apply() {
        applyQueued.set(false);
        Touched touched = new Touched();
        for (WatchEvent e; (e = events.poll()) != null; ) {
            switch (e.type()) {
                case RESET -> {
                    resetting = true;
                    clearModel();
                }
                case SYNCED -> {
                    touched.everything |= resetting;
                    resetting = false;
                }
                case PUT, DELETE -> applyDocument(e, touched);
            }
        }
        if (resetting || !touched.any()) {
            return;
        }
        stale = true; // the next reader builds the immutable copy: a batch nobody compiles from costs no copy
        if (touched.everything) {
            listeners.forEach(l -> l.accept(-1));
            return;
        }
        // Only the hosts of the networks that changed (and the hosts whose own bindings did) can compile differently,
        // and, since routing is compiled on the sender's host, the hosts of every network routed to one that did.
        routedNetworks(touched.networks);
        Set<String> names = new HashSet<>(touched.hosts);
        for (PortBinding b : bindings.values()) {
            Port p = ports.get(b.portId());
            if (p != null && touched.networks.contains(p.networkId())) {
                names.add(b.host());
            }
        }
        for (String name : names) {
            Host h = hosts.get(name);
            if (h != null) {
                listeners.forEach(l -> l.accept(h.datapathId()));
            }
        }
    }

    /** What a batch of changes touched: networks (their hosts recompile), hosts, or everything. */
    private static final class Touched {
        final Set<String> networks = new HashSet<>();
        final Set<String> hosts = new HashSet<>();
        boolean everything;

        boolean any() {
            return everything || !networks.isEmpty() || !hosts.isEmpty();
        }
    }

    /** Applies one changed document of the six collections the data plane reads, noting what it touched. */
    private void applyDocument(WatchEvent e, Touched touched) {
        String[] parts = e.path().split("/"); // "", "neutron", collection, id
        if (parts.length != 4) {
            return; // claims, markers: not the model's objects
        }
        String id = parts[3];
        boolean put = e.type() == WatchEvent.Type.PUT;
        try {
            switch (parts[2]) {
                case "networks" -> {
                    if (changed(networks, id, put ? NetworkManager.network(NetworkManager.parse(e.json())) : null)) {
                        touched.networks.add(id);
                    }
                }
                case "subnets" -> {
                    Subnet before = subnets.get(id);
                    Subnet after = put ? NetworkManager.subnet(NetworkManager.parse(e.json())) : null;
                    if (changed(subnets, id, after)) {
                        touchNetwork(touched, before == null ? null : before.networkId());
                        touchNetwork(touched, after == null ? null : after.networkId());
                    }
                }
                case "ports" -> {
                    Port before = ports.get(id);
                    Port after = put ? normalized(NetworkManager.port(NetworkManager.parse(e.json()))) : null;
                    if (changed(ports, id, after)) {
                        touchNetwork(touched, before == null ? null : before.networkId());
                        touchNetwork(touched, after == null ? null : after.networkId());
                        // a router interface added or removed changes which networks route to which: rare
                        touched.everything |= isRouterInterface(before) || isRouterInterface(after);
                        // a member of a remote group joined, left or moved: every port with a rule naming it
                        touched.everything |= remoteMembershipChanged(before, after);
                    }
                }
                case "security-groups" -> {
                    // the rules live in their own documents; a group's removal removes them too
                    changed(groups, id, put ? normalized(NetworkManager.group(NetworkManager.parse(e.json()))) : null);
                }
                case "security-group-rules" -> {
                    // which ports use a group is spread over every network: recompile everywhere (rule edits are
                    // rarer than port changes, and each host recompiles only the ports whose rules changed)
                    touched.everything |= changed(rules, id, put ? NetworkManager.rule(NetworkManager.parse(
                            e.json())) : null);
                }
                case "hosts" -> {
                    Host h = put ? NetworkManager.host(NetworkManager.parse(e.json())) : null;
                    if (h == null) {
                        heartbeats.remove(id);
                    } else {
                        heartbeats.put(id, h.heartbeatMillis());
                    }
                    // a host's tunnel address or bridge changes every host sharing a network with it: rare
                    touched.everything |= changed(hosts, id, h == null ? null : normalized(h));
                }
                case "routers" -> {
                    // a router's routes or state change the hosts of all its networks: rare
                    touched.everything |= changed(routers, id, put ? NetworkManager.router(NetworkManager.parse(
                            e.json())) : null);
                }
                case "floatingips" -> {
                    // the router's gateway host and the hosts of its subnets: rare next to port changes
                    touched.everything |= changed(floatingIps, id, put ? NetworkManager.floatingIp(
                            NetworkManager.parse(e.json())) : null);
                }
                case "gateways" -> {
                    // a failover moves the router's NAT to the new active host and every default route to it
                    touched.everything |= changed(gateways, id, put ? placement(NetworkManager.parse(e.json()))
                            : null);
                }
                case "bindings" -> {
                    PortBinding before = bindings.get(id);
                    PortBinding after = put ? NetworkManager.binding(NetworkManager.parse(e.json())) : null;
                    if (changed(bindings, id, after)) {
                        Port p = ports.get(id);
                        touchNetwork(touched, p == null ? null : p.networkId());
                        if (before != null) {
                            touched.hosts.add(before.host());
                        }
                        if (after != null) {
                            touched.hosts.add(after.host());
                        }
                    }
                }
                default -> { }
            }
        } catch (RuntimeException ex) {
            LOG.warn("skipping unreadable {}: {}", e.path(), ex.getMessage());
        }
    }

    /** The model {@link #routedPeers} last answered from, and its answer per host. */
    private volatile RoutedPeers routedPeers;

    private record RoutedPeers(HostViews.Model model, Map<String, Set<String>> byHost) {
    }

    /**
     * The other hosts with a plugged port on a VXLAN network that shares a router with a network {@code host} has
     * a plugged port on: routing happens on the sender's host, so these need tunnels too. Computed once per model
     * published (the agents ask every second), and nothing at all while there are no routers.
     */
    public Set<String> routedPeers(String host) {
        HostViews.Model m = model();
        if (m == null || m.routers().isEmpty()) {
            return Set.of();
        }
        RoutedPeers cached = routedPeers;
        if (cached == null || cached.model() != m) {
            cached = new RoutedPeers(m, routedPeersByHost(m));
            routedPeers = cached;
        }
        return cached.byHost().getOrDefault(host, Set.of());
    }

    /** The model {@link #dhcpBindings} last answered from, when, and its answer per host. */
    private volatile DhcpByHost dhcpByHost;

    private record DhcpByHost(HostViews.Model model, long builtNanos, Map<String, List<DhcpBinding>> byHost) {
    }

    /** How long one computation of every host's DHCP bindings is answered from while the model changes under it. */
    private static final long DHCP_BINDINGS_REUSE_NANOS = 2_000_000_000L;

    /**
     * The DHCP bindings of the ports plugged on {@code host}, for its agent's own DHCP server. Computed for every host
     * at once, and again only once the model changed and the last computation is 2 s old: the agents ask every
     * second, and a bulk create changes the model many times a second. A binding that is a little late costs
     * nothing while a controller answers too.
     */
    public List<DhcpBinding> dhcpBindings(String host) {
        DhcpByHost cached = dhcpByHost;
        long now = System.nanoTime();
        boolean changed = cached == null || stale || cached.model() != model;
        if (changed && (cached == null || now - cached.builtNanos() >= DHCP_BINDINGS_REUSE_NANOS)) {
            HostViews.Model m = model();
            if (m == null) {
                return List.of();
            }
            cached = new DhcpByHost(m, now, dhcpBindingsByHost(m));
            dhcpByHost = cached;
        }
        return cached.byHost().getOrDefault(host, List.of());
    }

    /** Per host, the DHCP bindings of its usable plugged ports, sorted by port id. */
    static Map<String, List<DhcpBinding>> dhcpBindingsByHost(HostViews.Model m) {
        Map<String, Port> portById = new HashMap<>(m.ports().size() * 2);
        m.ports().forEach(p -> portById.put(p.id(), p));
        Map<String, Network> networkById = new HashMap<>();
        m.networks().forEach(n -> networkById.put(n.id(), n));
        Map<String, List<Subnet>> subnetsOf = new HashMap<>();
        m.subnets().forEach(sn -> subnetsOf.computeIfAbsent(sn.networkId(), k -> new ArrayList<>()).add(sn));
        Map<String, List<DhcpBinding>> out = new HashMap<>();
        for (PortBinding b : HostViews.usableBindings(m).values()) {
            Port p = portById.get(b.portId());
            Network n = p == null ? null : networkById.get(p.networkId());
            if (n == null) {
                continue;
            }
            DhcpServer.binding(p, n, subnetsOf.getOrDefault(n.id(), List.of()))
                    .ifPresent(d -> out.computeIfAbsent(b.host(), k -> new ArrayList<>()).add(d));
        }
        out.values().forEach(l -> l.sort(java.util.Comparator.comparing(DhcpBinding::portId)));
        return out;
    }

    /** Per host, the hosts {@link #routedPeers} answers for it. */
    static Map<String, Set<String>> routedPeersByHost(HostViews.Model m) {
        Set<String> up = new HashSet<>();
        m.routers().stream().filter(Router::adminStateUp).forEach(r -> up.add(r.id()));
        Set<String> vxlan = new HashSet<>();
        m.networks().stream().filter(n -> n.type() == NetworkType.VXLAN).forEach(n -> vxlan.add(n.id()));
        Map<String, Set<String>> networksOfRouter = new HashMap<>();
        for (Port p : m.ports()) {
            if (isRouterInterface(p) && up.contains(p.deviceId())) {
                networksOfRouter.computeIfAbsent(p.deviceId(), k -> new HashSet<>()).add(p.networkId());
            }
        }
        Map<String, Set<String>> hostsOfNetwork = new HashMap<>();
        Map<String, String> networkOfPort = new HashMap<>();
        m.ports().forEach(p -> networkOfPort.put(p.id(), p.networkId()));
        for (PortBinding b : HostViews.usableBindings(m).values()) {
            String n = networkOfPort.get(b.portId());
            if (n != null) {
                hostsOfNetwork.computeIfAbsent(n, k -> new HashSet<>()).add(b.host());
            }
        }
        Map<String, Set<String>> out = new HashMap<>();
        // A router's gateway hosts (active and standby, so a failover waits for no tunnel) and the hosts of its
        // subnets: the default route crosses from these to the active one, and the NAT's replies back. The gateway
        // hosts of one router also peer each other.
        for (Map.Entry<String, HostViews.GatewayPlacement> g : m.gateways().entrySet()) {
            Set<String> linked = networksOfRouter.getOrDefault(g.getKey(), Set.of());
            Set<String> subnetHosts = new HashSet<>();
            linked.stream().filter(vxlan::contains).forEach(n -> subnetHosts.addAll(hostsOfNetwork.getOrDefault(n,
                    Set.of())));
            for (String gw : g.getValue().hosts()) {
                out.computeIfAbsent(gw, k -> new HashSet<>()).addAll(subnetHosts);
                subnetHosts.forEach(h -> out.computeIfAbsent(h, k -> new HashSet<>()).add(gw));
                // and each other: BFD on that tunnel is how a standby sees its active die with its links
                out.get(gw).addAll(g.getValue().hosts());
            }
        }
        for (Set<String> linked : networksOfRouter.values()) {
            Set<String> reached = new HashSet<>();
            linked.stream().filter(vxlan::contains).forEach(n -> reached.addAll(hostsOfNetwork.getOrDefault(n,
                    Set.of())));
            for (String n : linked) {
                for (String h : hostsOfNetwork.getOrDefault(n, Set.of())) {
                    out.computeIfAbsent(h, k -> new HashSet<>()).addAll(reached);
                }
            }
        }
        out.forEach((h, peers) -> peers.remove(h));
        return out;
    }

    private static boolean isRouterInterface(Port p) {
        return p != null && HostViews.ROUTER_INTERFACE.equals(p.deviceOwner());
    }

    /** Adds to {@code networks} every network that shares a router with one of them. */
    private void routedNetworks(Set<String> networks) {
        if (routers.isEmpty() || networks.isEmpty()) {
            return;
        }
        Map<String, Set<String>> byRouter = new HashMap<>();
        for (Port p : ports.values()) {
            if (isRouterInterface(p)) {
                byRouter.computeIfAbsent(p.deviceId(), k -> new HashSet<>()).add(p.networkId());
            }
        }
        Set<String> more = new HashSet<>();
        byRouter.values().forEach(linked -> {
            if (linked.stream().anyMatch(networks::contains)) {
                more.addAll(linked);
            }
        });
        networks.addAll(more);
    }

    private static void touchNetwork(Touched touched, String networkId) {
        if (networkId != null) {
            touched.networks.add(networkId);
        }
    }

    /** Puts (or, for null, removes) a record; whether the map changed. */
    private static <T> boolean changed(Map<String, T> map, String id, T value) {
        return value == null ? map.remove(id) != null : !value.equals(map.put(id, value));
    }

    private void clearModel() {
        networks.clear();
        subnets.clear();
        ports.clear();
        hosts.clear();
        bindings.clear();
        routers.clear();
        groups.clear();
        rules.clear();
        floatingIps.clear();
        gateways.clear();
    }

    /**
     * The model as of the last applied batch. Built on first read after a change rather than per batch: copying every
     * port per created port made a bulk create quadratic (17% of a node's CPU in {@code bench api} at 2,000 ports),
     * while a batch that touches no plugged host is never read. During a RESET's dump the last complete model stays.
     */
    private HostViews.Model model() {
        if (!stale) {
            return model;
        }
        synchronized (this) {
            if (stale && !resetting) {
                model = snapshot();
                stale = false;
            }
            return model;
        }
    }

    private HostViews.Model snapshot() {
        Map<String, List<SecurityGroupRule>> byGroup = new HashMap<>();
        rules.values().forEach(r -> byGroup.computeIfAbsent(r.securityGroupId(), k -> new ArrayList<>()).add(r));
        List<SecurityGroup> withRules = new ArrayList<>(groups.size());
        groups.values().forEach(g -> withRules.add(new SecurityGroup(g.id(), g.name(), g.projectId(),
                byGroup.getOrDefault(g.id(), List.of()), 0)));
        return new HostViews.Model(List.copyOf(networks.values()), List.copyOf(subnets.values()),
                List.copyOf(ports.values()), List.copyOf(hosts.values()), List.copyOf(bindings.values()),
                List.copyOf(routers.values()), withRules, List.copyOf(floatingIps.values()), Map.copyOf(gateways));
    }

    /** A gateway document's placement (hosts by priority) and active host. */
    static HostViews.GatewayPlacement placement(JsonNode g) {
        List<String> placed = new ArrayList<>();
        g.path("hosts").forEach(h -> placed.add(h.path("host").asText()));
        JsonNode active = g.path("active");
        return new HostViews.GatewayPlacement(placed, active.isTextual() ? active.asText() : null);
    }

    /**
     * Whether a port change moves the members of a group some rule names as remote: its groups or addresses
     * changed, and one of its groups (before or after) is such a remote group.
     */
    private boolean remoteMembershipChanged(Port before, Port after) {
        if (before != null && after != null && before.securityGroups().equals(after.securityGroups())
                && before.fixedIps().equals(after.fixedIps())
                && before.allowedAddressPairs().equals(after.allowedAddressPairs())) {
            return false;
        }
        Set<String> moved = new HashSet<>();
        if (before != null) {
            moved.addAll(before.securityGroups());
        }
        if (after != null) {
            moved.addAll(after.securityGroups());
        }
        if (moved.isEmpty()) {
            return false;
        }
        for (SecurityGroupRule r : rules.values()) {
            if (r.remoteGroupId() != null && moved.contains(r.remoteGroupId())) {
                return true;
            }
        }
        return false;
    }

    /** A group as the data plane keeps it: its rules apart, no revision. */
    private static SecurityGroup normalized(SecurityGroup g) {
        return new SecurityGroup(g.id(), g.name(), g.projectId(), List.of(), 0);
    }

    /** A status write changes a port's revision and no flow: the data plane's model leaves it out. */
    private static Port normalized(Port p) {
        return p.revision() == 0 ? p : new Port(p.id(), p.name(), p.projectId(), p.networkId(), p.macAddress(),
                p.fixedIps(), p.deviceId(), p.deviceOwner(), p.hostId(), p.vifType(), p.adminStateUp(),
                p.securityGroups(), p.allowedAddressPairs(), p.portSecurityEnabled(), 0);
    }

    /** Heartbeats change a host every few seconds and no flow: the data plane's model leaves them out. */
    private static Host normalized(Host h) {
        return new Host(h.name(), h.tunnelIp(), h.integrationBridge(), h.datapathId(), h.bridgeMappings(),
                h.agentVersion(), 0, h.flowSnapshot());
    }

    @Override
    public void onChange(LongConsumer listener) {
        listeners.add(listener);
    }

    @Override
    public boolean restoresFromSnapshot(Switch sw) {
        HostViews.Model m = model();
        return m != null && m.hostOf(sw.dpid()).map(h -> h.flowSnapshot()
                && Host.agentAlive(heartbeats.getOrDefault(h.name(), 0L), clock.millis())).orElse(false);
    }

    @Override
    public Map<String, Flow> flows(Switch sw) {
        HostViews.Model m = model();
        if (m == null) {
            throw new IllegalStateException("the network model is not read yet"); // unknown is not "no flows"
        }
        SwitchState state = switches.computeIfAbsent(sw.dpid(), d -> new SwitchState());
        Optional<Host> host = m.hostOf(sw.dpid());
        if (host.isEmpty()) {
            state.view = null;
            return Map.of();
        }
        Map<String, Long> ports = new HashMap<>();
        sw.ports().values().forEach(p -> ports.put(p.name(), p.number()));
        HostView view = state.views.of(host.get(), m, ports);
        List<List<Flow>> parts = state.compiler.compileParts(view);
        state.view = view;
        state.host = host.get().name();
        return flowIds(state, parts);
    }

    /**
     * The flows by id, in the compiler's parts ({@link FlowParts}: the master compares the parts that changed, not
     * the table). Ids only need to be stable between this switch's compiles (the reconciler compares flows, not
     * ids): an identity (table, priority, match) keeps its id, also when it moves to another part. A part the
     * compiler handed back unchanged keeps its flows by id from the last call, so a change costs its own parts.
     */
    private static FlowParts flowIds(SwitchState state, List<List<Flow>> parts) {
        int[] match = FlowParts.matchByReference(state.parts, parts);
        boolean[] kept = new boolean[state.parts.size()];
        Set<String> assigned = new HashSet<>();
        List<Map<String, Flow>> maps = new ArrayList<>(parts.size());
        for (int i = 0; i < match.length; i++) {
            if (match[i] >= 0) {
                kept[match[i]] = true;
                maps.add(state.partsById.get(match[i]));
                continue;
            }
            List<Flow> part = parts.get(i);
            Map<String, Flow> byId = new HashMap<>(part.size() * 2);
            for (Flow f : part) {
                String id = state.ids.computeIfAbsent(f.id(), k -> "net/" + Long.toString(++state.nextId, 36));
                byId.put(id, f);
                assigned.add(id);
            }
            maps.add(Collections.unmodifiableMap(byId));
        }
        // Identities of parts no longer compiled lose their ids, unless a new part has them.
        for (int j = 0; j < kept.length; j++) {
            if (!kept[j]) {
                state.partsById.get(j).forEach((id, f) -> {
                    if (!assigned.contains(id)) {
                        state.ids.remove(f.id(), id);
                    }
                });
            }
        }
        state.parts = List.copyOf(parts);
        state.partsById = List.copyOf(maps);
        return new FlowParts(maps);
    }

    @Override
    public void installed(Switch sw, Map<String, Flow> flows) {
        SwitchState state = switches.get(sw.dpid());
        HostView view = state == null ? null : state.view;
        Set<String> local = new HashSet<>();
        if (view != null) {
            view.networks().forEach(n -> n.local().forEach(lp -> local.add(lp.port().id())));
        }
        Set<String> up = new HashSet<>(local);
        up.removeAll(state == null ? Set.of() : state.reportedActive);
        Set<String> gone = new HashSet<>(state == null ? Set.of() : state.reportedActive);
        gone.removeAll(local);
        if (state != null) {
            state.reportedActive = local;
        }
        if (!up.isEmpty() || !gone.isEmpty()) {
            up.forEach(id -> pendingStatus.put(id, "ACTIVE"));
            gone.forEach(id -> pendingStatus.put(id, "DOWN"));
            submitStatusWrites();
        }
    }

    private void submitStatusWrites() {
        try {
            statusWriter.execute(this::writePendingStatus);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    /** Writes every pending status; what fails stays pending and is tried again a second later. */
    private void writePendingStatus() {
        Map<String, String> batch = new HashMap<>(pendingStatus);
        if (batch.isEmpty()) {
            return;
        }
        Map<String, PortBinding> bound = HostViews.usableBindings(model());
        Set<String> up = new HashSet<>();
        Set<String> gone = new HashSet<>();
        batch.forEach((id, status) -> {
            if (status.equals("ACTIVE")) {
                up.add(id);
            } else if (bound.containsKey(id)) {
                pendingStatus.remove(id, status); // plugged elsewhere now: that host's master reports it
            } else {
                gone.add(id);
            }
        });
        Set<String> failed = new HashSet<>(writeStatus(up, "ACTIVE"));
        failed.addAll(writeStatus(gone, "DOWN"));
        for (String id : up) {
            if (!failed.contains(id)) {
                pendingStatus.remove(id, "ACTIVE");
            }
        }
        for (String id : gone) {
            if (!failed.contains(id)) {
                pendingStatus.remove(id, "DOWN");
            }
        }
        if (!failed.isEmpty() && !closed && statusRetryScheduled.compareAndSet(false, true)) {
            LOG.warn("status of {} ports not written yet; trying again in 1 s", failed.size());
            try {
                statusWriter.schedule(() -> {
                    statusRetryScheduled.set(false);
                    writePendingStatus();
                }, 1, TimeUnit.SECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closing
            }
        }
    }

    /**
     * Sets {@code status} on the ports' documents that hold another, in batches, each write conditional.
     *
     * @return the ports whose write did not commit (the store failed, or another writer won three times)
     */
    private Set<String> writeStatus(Set<String> portIds, String status) {
        Set<String> failed = new HashSet<>();
        List<String> ids = new ArrayList<>(portIds);
        for (int from = 0; from < ids.size(); from += STATUS_BATCH) {
            List<String> batch = ids.subList(from, Math.min(ids.size(), from + STATUS_BATCH));
            boolean written = false;
            for (int attempt = 0; attempt < 3 && !written; attempt++) {
                Transaction.Builder txn = Transaction.builder();
                int n = 0;
                for (String id : batch) {
                    String path = "/neutron/ports/" + id;
                    Optional<VersionedValue> doc = store.get(SHARD, DataPath.of(path),
                            attempt == 0 ? ReadConsistency.STALE : ReadConsistency.LINEARIZABLE);
                    if (doc.isEmpty()) {
                        continue;
                    }
                    ObjectNode port;
                    try {
                        port = (ObjectNode) JSON.readTree(doc.get().json());
                    } catch (IOException | ClassCastException e) {
                        continue;
                    }
                    if (status.equals(port.path("status").asText())) {
                        continue;
                    }
                    port.put("status", status).put("revision_number", port.path("revision_number").asLong() + 1)
                            .put("updated_at", Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString());
                    txn.require(Precondition.modRevision(path, doc.get().modRevision())).put(path, port.toString());
                    n++;
                }
                try {
                    written = n == 0 || store.commit(SHARD, txn.build()).succeeded();
                } catch (StoreException e) {
                    LOG.warn("cannot write status {} of {} ports: {}", status, n, e.getMessage());
                    break;
                }
            }
            if (!written) {
                failed.addAll(batch);
            }
        }
        return failed;
    }

    @Override
    public boolean process(Switch sw, PacketIn packet) {
        if ((packet.cookie() & FlowCompiler.COOKIE_KIND_MASK) != FlowCompiler.COOKIE_DHCP) {
            return false;
        }
        try {
            dhcp.execute(() -> answerDhcp(sw, packet));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
        return true;
    }

    private void answerDhcp(Switch sw, PacketIn packet) {
        SwitchState state = switches.get(sw.dpid());
        HostView view = state == null ? null : state.view;
        DhcpPacket request;
        try {
            request = DhcpPacket.parseFrame(packet.data());
        } catch (DhcpPacket.Malformed e) {
            dhcpMalformed.incrementAndGet();
            LOG.debug("switch {}: malformed DHCP packet from port {} dropped: {}", sw.dpidString(), packet.inPort(),
                    e.getMessage());
            return;
        }
        if (view != null) {
            for (NetworkView n : view.networks()) {
                for (LocalPort lp : n.local()) {
                    if (lp.ofPort() != packet.inPort()) {
                        continue;
                    }
                    Optional<DhcpResponder.Reply> reply = DhcpServer.answer(request, lp.port(), n.network(), n.subnets(),
                            LEASE_SECONDS);
                    if (reply.isPresent()) {
                        try {
                            packets.packetOut(sw.dpid(), Action.PORT_CONTROLLER,
                                    List.of(Action.Output.to(lp.ofPort())), reply.get().frame());
                            dhcpAnswered.incrementAndGet();
                            return;
                        } catch (SwitchException e) {
                            LOG.debug("switch {}: DHCP reply not sent: {}", sw.dpidString(), e.getMessage());
                        }
                    }
                }
            }
        }
        dhcpUnanswered.incrementAndGet();
    }

    /** DHCP packets answered, dropped as malformed, and left unanswered (no port, RELEASE, another server's). */
    public long[] dhcpCounters() {
        return new long[] {dhcpAnswered.get(), dhcpMalformed.get(), dhcpUnanswered.get()};
    }

    @Override
    public void close() {
        closed = true;
        Watch w = watch;
        if (w != null) {
            w.close();
        }
        worker.shutdownNow();
        statusWriter.shutdownNow();
        dhcp.shutdownNow();
    }
}
