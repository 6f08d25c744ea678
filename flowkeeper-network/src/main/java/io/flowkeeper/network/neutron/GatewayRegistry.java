package io.flowkeeper.network.neutron;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.gateway.GatewayElection;
import io.flowkeeper.api.gateway.GatewayElection.Decision;
import io.flowkeeper.api.gateway.GatewayHost;
import io.flowkeeper.api.gateway.HaState;
import io.flowkeeper.api.store.CommitResult;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.store.Precondition;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.network.DocumentMirror;
import io.flowkeeper.network.neutron.NeutronDocuments.Doc;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HA gateway routers in the cluster: the gateway hosts' leases, each router's placement and its active host. The
 * only writer of (layout beside {@link NeutronDocuments}'):
 * <pre>
 * /neutron/gateway-leases/{host}  {"id": host, "incarnation", "renewed_millis"}: the host's agent runs with --gateway
 *                                 and renewed this recently (this node's clock when the renewal arrived)
 * /neutron/gateways/{router}      {"id": router, "hosts": [{"host", "priority"}], "preempt", "active" (or null),
 *                                 "generation", "since_millis", "last_failover_millis" (or null)}
 * /neutron/gateway-closed/{dpid}@{node}  {"id", "host", "dpid", "node", "closed_millis", "live_nodes"}: the gateway
 *                                 host's integration switch closed its OpenFlow connection to that node (EOF or
 *                                 reset: its ovs-vswitchd exited); removed when it connects to that node again
 * </pre>
 * A host is a gateway host once its agent renewed a gateway lease, and may carry a router whose external network's
 * physical network it maps ({@code --bridge-mapping}). Every renewal settles the routers the host may carry:
 * placement and election ({@link GatewayElection}, pure) against the leases live now, committed with a
 * compare-and-set on the router's document, so two nodes deciding at once commit one decision and the generation
 * grows by one per change of active. A dead active is replaced by the next renewal of a live host placed on the
 * router once the dead one's lease is older than {@link #LEASE}.
 *
 * <p><b>Why two actives never answer together.</b> An agent counts itself active only until
 * {@link #AGENT_HOLD} after it <em>sent</em> its last renewal that was answered active; the cluster gives the
 * router to another host only when the lease is older than {@link #LEASE}, counted from when the renewal
 * <em>arrived</em> (later than it was sent). The agent therefore stops answering {@code LEASE - AGENT_HOLD} before
 * anyone else may start. Assumed: the nodes' wall clocks agree to well within that margin (600 ms; NTP keeps them
 * within milliseconds), since a lease written by one node may be judged by another.
 *
 * <p><b>A dead switch is dead at once.</b> The responder and the NAT are flows in the host's {@code ovs-vswitchd}:
 * when that process is gone, no fence is needed. So a host counts as dead once its lease is older than
 * {@link #FAST_LEASE} (two renewals missed: an agent still renewing keeps its routers, e.g. while an operator changes
 * its switch's controllers) <em>and</em> its integration switch closed its OpenFlow connection (EOF or reset, never
 * a timeout) to as many nodes as were live when they saw it ({@link #switchClosed}). A cut link gives no EOF, only
 * the dead-peer timeout, so a partition still waits the full {@link #LEASE}, and the self-fencing above keeps it
 * single-active.
 *
 * <p><b>A host the data plane cannot reach is dead soon.</b> A host that died with its links (power, kernel, cable)
 * gives no EOF. The agents run BFD (100 ms, three missed) on the tunnels of gateway hosts, and a renewal may name the
 * gateway hosts whose tunnel from the renewing host has been down for 200 ms after being up ({@code "unreachable"};
 * an agent that reaches no peer at all names none, since the fault may be its own). A host named so by the renewing
 * host counts as dead once its lease is older than {@link #UNREACHABLE_LEASE}. Why that stays single-active: a host
 * still renewing keeps its routers (a cut of the underlay alone moves nothing), and an agent whose tunnel to another
 * gateway host went down with no tunnel left up (the host cut off) counts itself active only
 * {@link #UNREACHABLE_HOLD} after it sent its last answered renewal instead of {@link #AGENT_HOLD}: 200 ms before
 * this lease runs out. A full cut times the session out at both ends within about one BFD interval of each other and
 * each agent reads its state every 50 ms, so the 200 ms the reporter waits covers the other end seeing it too. The
 * worst case, left open: a host that loses its management link and its tunnel to the other gateway host but keeps
 * another tunnel (to a compute host) and its external link keeps the 900 ms hold, so it may go on answering for up
 * to about 300 ms after the other host took over; and an agent starved for longer than these margins.
 *
 * <p>Thread-safe: no state but the datastore.
 */
public final class GatewayRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayRegistry.class);
    /** A gateway lease this old is expired: the host no longer counts as live for any router. */
    public static final Duration LEASE = Duration.ofMillis(1500);
    /** How long after sending its last answered renewal an agent may act as active (see the class comment). */
    public static final Duration AGENT_HOLD = Duration.ofMillis(900);
    /** How often agents renew: several renewals fit in {@link #AGENT_HOLD}, so one slow commit costs nothing. */
    public static final Duration RENEW = Duration.ofMillis(200);
    /** A lease this old, of a host whose switch closed its connections, is expired (see the class comment). */
    public static final Duration FAST_LEASE = RENEW.multipliedBy(2);
    /** A lease this old, of a host the renewing host's BFD cannot reach, is expired (see the class comment). */
    public static final Duration UNREACHABLE_LEASE = Duration.ofMillis(600);
    /**
     * How long after sending its last answered renewal an agent may act as active while it is cut off in the data
     * plane (its tunnel to another gateway host down, none up): {@link #UNREACHABLE_LEASE} less a 200 ms margin.
     */
    public static final Duration UNREACHABLE_HOLD = Duration.ofMillis(400);
    /** At most this many hosts named unreachable in one renewal: more than any router's placement needs. */
    static final int MAX_UNREACHABLE = 64;
    static final String LEASES = "gateway-leases";
    static final String CLOSED = "gateway-closed";
    static final String GATEWAYS = "gateways";
    private static final Pattern INCARNATION = Pattern.compile("[A-Za-z0-9-]{1,64}");

    private final NeutronDocuments docs;
    private final HostRegistry hosts;
    private final Clock clock;

    public GatewayRegistry(DatastoreService store, Clock clock) {
        this.docs = new NeutronDocuments(store);
        this.hosts = new HostRegistry(store, clock);
        this.clock = clock;
    }

    /** A router with a gateway, as the settling needs it. */
    private record Wanted(String router, String physnet, ObjectNode info) {}

    /**
     * {@code PUT /v1/network/hosts/{host}/gateway-lease}, body {@code {"incarnation", "unreachable": [host]}} (the
     * second optional: the gateway hosts whose tunnel from this one BFD reports down): renews the host's lease,
     * settles every router the host may carry, and answers what this host is for each router placed on it:
     * {@code {"lease_millis", "hold_millis", "unreachable_hold_millis", "settle_in_millis" (when the active of a
     * router placed on this host will count as dead before its next renewal, if it renews no more: renew again
     * then), "routers": [{"router", "state", "generation", "priority", "external_ip",
     * "prefix_length", "external_mac", "network_id", "physical_network", "next_hop" (the external subnet's
     * gateway_ip, or null), "floating_ips" (associated, ascending), "bridge", "vlan" (or null)}]}}.
     */
    public ObjectNode renew(String host, JsonNode body) {
        String incarnation = body.path("incarnation").asText("");
        if (!INCARNATION.matcher(incarnation).matches()) {
            throw NeutronException.badRequest("incarnation must be 1-64 letters, digits or dashes");
        }
        // No barrier: renewals come five times a second, and a decision made on a lagging replica fails its
        // compare-and-set and is made again on the current one.
        ObjectNode self = hosts.host(host).orElseThrow(() -> NeutronException.notFound("HostNotFound", "host "
                + Body.abbreviate(host) + " is not registered: PUT /v1/network/hosts/{name} first"));
        Set<String> unreachable = unreachable(body);
        long now = clock.millis();
        ObjectNode lease = NeutronDocuments.JSON.createObjectNode().put("id", host).put("incarnation", incarnation)
                .put("renewed_millis", now);
        docs.commit(Transaction.builder().put(NeutronDocuments.doc(LEASES, host), lease.toString()).build());

        Map<String, ObjectNode> leases = leases();
        leases.put(host, lease);
        Map<String, ObjectNode> all = hosts.hosts();
        Set<String> closed = switchesClosed(all);
        ObjectNode out = NeutronDocuments.JSON.createObjectNode().put("lease_millis", LEASE.toMillis())
                .put("hold_millis", AGENT_HOLD.toMillis()).put("unreachable_hold_millis", UNREACHABLE_HOLD.toMillis());
        ArrayNode routers = out.putArray("routers");
        long settleIn = Long.MAX_VALUE;
        for (Wanted w : wanted().values()) {
            String bridge = self.path("bridge_mappings").path(w.physnet()).asText("");
            if (bridge.isEmpty()) {
                continue;
            }
            ObjectNode g = settle(w, leases, all, closed, new Reports(host, unreachable), now);
            for (JsonNode h : g.path("hosts")) {
                if (h.path("host").asText().equals(host)) {
                    Decision d = decision(g);
                    settleIn = Math.min(settleIn, untilDead(d.active(), host, leases, closed, unreachable, now));
                    ObjectNode r = routers.addObject().put("router", w.router())
                            .put("state", GatewayElection.stateOf(host, d).text()).put("generation", d.generation())
                            .put("priority", h.path("priority").asInt());
                    r.setAll(w.info());
                    r.put("bridge", bridge);
                }
            }
        }
        if (settleIn < RENEW.toMillis()) {
            // the active of a router placed here counts as dead before this host's next renewal: come back then
            out.put("settle_in_millis", settleIn);
        }
        return out;
    }

    /**
     * In how many ms {@code active} (another host than {@code self}) counts as dead if it renews no more, by the
     * signals known now (its switch closed, named unreachable by {@code self}, or neither: the full lease);
     * {@link Long#MAX_VALUE} when there is no such other active.
     */
    private static long untilDead(String active, String self, Map<String, ObjectNode> leases, Set<String> closed,
                                  Set<String> unreachable, long now) {
        ObjectNode lease = active == null || active.equals(self) ? null : leases.get(active);
        if (lease == null) {
            return Long.MAX_VALUE;
        }
        Duration limit = closed.contains(active) ? FAST_LEASE : unreachable.contains(active) ? UNREACHABLE_LEASE
                : LEASE;
        long in = lease.path("renewed_millis").asLong() + limit.toMillis() + 1 - now;
        return in > 0 ? in : Long.MAX_VALUE;
    }

    /** Every router with an external gateway on a provider network, by router id, with what its gateway host needs. */
    private Map<String, Wanted> wanted() {
        Map<String, Doc> networks = new HashMap<>();
        docs.list("networks").forEach(n -> networks.put(n.id(), n));
        Map<String, Doc> gatewayPorts = new HashMap<>();
        for (Doc p : docs.list("ports", raw -> raw.contains(Ports.ROUTER_GATEWAY))) {
            if (p.json().path("device_owner").asText().equals(Ports.ROUTER_GATEWAY)) {
                gatewayPorts.put(p.json().path("device_id").asText(), p);
            }
        }
        Map<String, Doc> subnets = new HashMap<>();
        Map<String, List<String>> floating = new HashMap<>();
        for (Doc f : docs.list("floatingips")) {
            JsonNode router = f.json().path("router_id");
            if (router.isTextual() && f.json().path("port_id").isTextual()) {
                floating.computeIfAbsent(router.asText(), k -> new ArrayList<>())
                        .add(f.json().path("floating_ip_address").asText());
            }
        }
        Map<String, Wanted> out = new TreeMap<>();
        for (Doc r : docs.list("routers")) {
            JsonNode info = r.json().path("external_gateway_info");
            Doc port = gatewayPorts.get(r.id());
            Doc network = networks.get(info.path("network_id").asText());
            if (!info.isObject() || port == null || network == null || !r.json().path("admin_state_up").asBoolean()
                    || network.json().path("provider:physical_network").isNull()
                    || network.json().path("provider:physical_network").isMissingNode()) {
                continue;
            }
            JsonNode ip = port.json().path("fixed_ips").path(0);
            if (ip.isMissingNode()) {
                continue;
            }
            if (subnets.isEmpty()) {
                docs.list("subnets").forEach(s -> subnets.put(s.id(), s));
            }
            Doc subnet = subnets.get(ip.path("subnet_id").asText());
            String cidr = subnet == null ? "" : subnet.json().path("cidr").asText("");
            ObjectNode w = NeutronDocuments.JSON.createObjectNode();
            String physnet = network.json().path("provider:physical_network").asText();
            w.put("external_ip", ip.path("ip_address").asText())
                    .put("prefix_length", cidr.contains("/") ? Integer.parseInt(cidr.substring(cidr.indexOf('/') + 1))
                            : 32)
                    .put("external_mac", port.json().path("mac_address").asText())
                    .put("network_id", network.id()).put("physical_network", physnet);
            // the upstream router: where the gateway sends what it NATs out (its bridge learns the MAC by ARP)
            JsonNode nextHop = subnet == null ? null : subnet.json().path("gateway_ip");
            if (nextHop != null && nextHop.isTextual() && !nextHop.asText().isEmpty()) {
                w.put("next_hop", nextHop.asText());
            } else {
                w.putNull("next_hop");
            }
            JsonNode segment = network.json().path("provider:segmentation_id");
            if (network.json().path("provider:network_type").asText().equals("vlan") && segment.isNumber()) {
                w.put("vlan", segment.asInt());
            } else {
                w.putNull("vlan");
            }
            // the associated floating IPs: the active answers ARP for them too, and announces them
            ArrayNode fips = w.putArray("floating_ips");
            floating.getOrDefault(r.id(), List.of()).stream().sorted().forEach(fips::add);
            out.put(r.id(), new Wanted(r.id(), physnet, w));
        }
        return out;
    }

    private Map<String, ObjectNode> leases() {
        Map<String, ObjectNode> out = new HashMap<>();
        docs.list(LEASES).forEach(d -> out.put(d.id(), d.json()));
        return out;
    }

    private static Decision decision(JsonNode g) {
        JsonNode a = g.path("active");
        return new Decision(a.isTextual() ? a.asText() : null, g.path("generation").asLong());
    }

    private static List<GatewayHost> placement(JsonNode g) {
        List<GatewayHost> out = new ArrayList<>();
        g.path("hosts").forEach(h -> out.add(new GatewayHost(h.path("host").asText(), h.path("priority").asInt())));
        return out;
    }

    /**
     * Places and elects one router's gateway against the leases live at {@code now}; commits what changed (a
     * compare-and-set, retried on a race) and returns the document in force.
     */
    private ObjectNode settle(Wanted w, Map<String, ObjectNode> leases, Map<String, ObjectNode> all,
                              Set<String> closed, Reports reports, long now) {
        Set<String> eligible = new HashSet<>();
        Set<String> live = new HashSet<>();
        leases.forEach((host, lease) -> {
            ObjectNode h = all.get(host);
            if (h != null && !h.path("bridge_mappings").path(w.physnet()).asText("").isEmpty()) {
                eligible.add(host);
                if (live(now - lease.path("renewed_millis").asLong(), closed.contains(host),
                        reports.unreachable().contains(host))) {
                    live.add(host);
                }
            }
        });
        String path = NeutronDocuments.doc(GATEWAYS, w.router());
        for (int attempt = 1; ; attempt++) {
            Optional<Doc> current = docs.get(GATEWAYS, w.router());
            ObjectNode g = current.map(Doc::json).orElseGet(() -> {
                ObjectNode n = NeutronDocuments.JSON.createObjectNode().put("id", w.router()).put("preempt", false);
                n.putArray("hosts");
                return n.putNull("active").put("generation", 0).put("since_millis", now)
                        .putNull("last_failover_millis");
            });
            List<GatewayHost> placed = GatewayElection.place(w.router(), placement(g), eligible,
                    GatewayElection.MAX_HOSTS);
            Decision before = decision(g);
            Decision after = GatewayElection.elect(placed, live, before, g.path("preempt").asBoolean());
            if (current.isPresent() && placed.equals(placement(g)) && after.equals(before)) {
                return g;
            }
            ObjectNode next = g.deepCopy();
            ArrayNode list = next.putArray("hosts");
            placed.forEach(h -> list.addObject().put("host", h.host()).put("priority", h.priority()));
            if (after.changedFrom(before.active())) {
                next.put("generation", after.generation()).put("since_millis", now);
                if (after.active() == null) {
                    next.putNull("active");
                } else {
                    next.put("active", after.active());
                }
                if (before.active() != null && after.active() != null) {
                    next.put("last_failover_millis", now);
                }
            }
            Transaction.Builder txn = Transaction.builder().put(path, next.toString());
            txn.require(current.isPresent() ? Precondition.modRevision(path, current.get().modRevision())
                    : Precondition.absent(path));
            CommitResult r = docs.commit(txn.build());
            if (r.succeeded()) {
                if (after.changedFrom(before.active())) {
                    LOG.info("router {} gateway: active {} -> {} (generation {}; live {}, placed {}, {}{})", w.router(),
                            before.active(), after.active(), after.generation(), new java.util.TreeSet<>(live),
                            placed, g.path("preempt").asBoolean() ? "preempt" : "nopreempt",
                            why(before.active(), live, leases, closed, reports, now));
                }
                return next;
            }
            if (attempt >= NeutronApi.MAX_ATTEMPTS) {
                throw new NeutronException(409, "Conflict", "router " + w.router() + "'s gateway kept changing; retry");
            }
            docs.catchUp(r.revision());
        }
    }

    /**
     * Whether a host whose lease is {@code age} ms old counts as live; {@code switchClosed}: its integration switch
     * closed its connection to every live node; {@code unreachable}: the renewing host's BFD cannot reach it.
     */
    static boolean live(long age, boolean switchClosed, boolean unreachable) {
        return age <= (switchClosed ? FAST_LEASE : unreachable ? UNREACHABLE_LEASE : LEASE).toMillis();
    }

    /** The gateway hosts a renewal named unreachable, and who renewed. */
    private record Reports(String reporter, Set<String> unreachable) {}

    /** Why a dead active was found dead, for the log line of its failover ("" when it was not). */
    private static String why(String oldActive, Set<String> live, Map<String, ObjectNode> leases, Set<String> closed,
                              Reports reports, long now) {
        if (oldActive == null || live.contains(oldActive)) {
            return "";
        }
        ObjectNode lease = leases.get(oldActive);
        long age = lease == null ? -1 : now - lease.path("renewed_millis").asLong();
        if (closed.contains(oldActive) && age <= LEASE.toMillis()) {
            return "; " + oldActive + "'s switch closed its connections, lease " + age + " ms old";
        }
        if (reports.unreachable().contains(oldActive) && age <= LEASE.toMillis()) {
            return "; " + oldActive + " unreachable by BFD from " + reports.reporter() + ", lease " + age + " ms old";
        }
        return "; " + oldActive + "'s lease expired (" + age + " ms old)";
    }

    /** The optional {@code "unreachable"} of a renewal: host names, at most {@link #MAX_UNREACHABLE}. */
    private static Set<String> unreachable(JsonNode body) {
        JsonNode list = body.path("unreachable");
        if (list.isMissingNode() || list.isNull()) {
            return Set.of();
        }
        if (!list.isArray() || list.size() > MAX_UNREACHABLE) {
            throw NeutronException.badRequest("unreachable must be a list of at most " + MAX_UNREACHABLE
                    + " host names");
        }
        Set<String> out = new HashSet<>();
        for (JsonNode h : list) {
            if (!h.isTextual() || !HostRegistry.validHostName(h.asText())) {
                throw NeutronException.badRequest("unreachable: not a host name: '"
                        + Body.abbreviate(h.toString()) + "'");
            }
            out.add(h.asText());
        }
        return out;
    }

    /** The hosts that ever renewed a gateway lease: their tunnels run BFD (see {@code AgentEndpoint}). */
    public Set<String> gatewayHosts() {
        return leases().keySet();
    }

    /**
     * The hosts whose integration switch closed its OpenFlow connection (EOF or reset) to as many nodes as were
     * live when they saw it, and connected to none of them since: their {@code ovs-vswitchd} is gone.
     */
    private Set<String> switchesClosed(Map<String, ObjectNode> all) {
        Map<String, Set<String>> nodes = new HashMap<>();
        Map<String, Integer> needed = new HashMap<>();
        for (Doc d : docs.list(CLOSED)) {
            String host = d.json().path("host").asText();
            ObjectNode h = all.get(host);
            if (h == null || h.path("datapath_id").asLong() != d.json().path("dpid").asLong()) {
                continue; // the host has another switch now: this record says nothing of it
            }
            nodes.computeIfAbsent(host, k -> new HashSet<>()).add(d.json().path("node").asText());
            needed.merge(host, Math.max(1, d.json().path("live_nodes").asInt(1)), Math::max);
        }
        Set<String> out = new HashSet<>();
        nodes.forEach((host, seen) -> {
            if (seen.size() >= needed.get(host)) {
                out.add(host);
            }
        });
        return out;
    }

    /**
     * Called by a node whose OpenFlow session with switch {@code dpid} ended by the switch's doing (EOF or reset):
     * when the switch is a gateway host's integration switch, records it (see the class comment), with the number
     * of nodes live now, so the hosts' routers move as soon as the host also stops renewing. Other switches cost one
     * read of this node's replica.
     */
    public void switchClosed(long dpid, String node, int liveNodes) {
        Map<String, ObjectNode> leases = leases();
        for (Map.Entry<String, ObjectNode> h : hosts.hosts().entrySet()) {
            if (h.getValue().path("datapath_id").asLong() == dpid && dpid != 0 && leases.containsKey(h.getKey())) {
                String id = closedId(dpid, node);
                ObjectNode record = NeutronDocuments.JSON.createObjectNode().put("id", id).put("host", h.getKey())
                        .put("dpid", dpid).put("node", node).put("closed_millis", clock.millis())
                        .put("live_nodes", liveNodes);
                docs.commit(Transaction.builder().put(NeutronDocuments.doc(CLOSED, id), record.toString()).build());
                LOG.info("gateway host {}: its switch {} closed its connection to node {}", h.getKey(),
                        String.format("%016x", dpid), node);
            }
        }
    }

    /** Called by a node that switch {@code dpid} connected to: removes that node's record of it closing, if any. */
    public void switchConnected(long dpid, String node) {
        String id = closedId(dpid, node);
        if (docs.list(CLOSED).stream().anyMatch(d -> d.id().equals(id))) {
            docs.commit(Transaction.builder().delete(NeutronDocuments.doc(CLOSED, id)).build());
        }
    }

    private static String closedId(long dpid, String node) {
        return String.format("%016x", dpid) + "@" + node;
    }

    /**
     * Watches every router's gateway from this node's replica and calls {@code changed} once per change of its active
     * host committed after the watch started: a failover (a dead active replaced), a preempt, a router's first
     * active, or no live host left. For the operator's timeline; the caller closes the mirror.
     */
    public static DocumentMirror watchActive(DatastoreService store, ActiveListener changed) {
        return new DocumentMirror(store, NeutronDocuments.SHARD, NeutronDocuments.ROOT + "/" + GATEWAYS,
                (id, before, after, live) -> {
                    if (!live || after == null) {
                        return;
                    }
                    String from = before == null ? null : before.path("active").asText(null);
                    String to = after.path("active").asText(null);
                    if (!java.util.Objects.equals(from, to)) {
                        changed.activeChanged(id, from, to, after.path("generation").asLong());
                    }
                }).start();
    }

    /** Hears the changes of active gateway host {@link #watchActive} sees. */
    public interface ActiveListener {
        /** {@code from} or {@code to} null: the router had, or has, no active host. */
        void activeChanged(String router, String from, String to, long generation);
    }

    /**
     * Every router's gateway as stored, with each placed host's liveness: {@code [{"router", "hosts": [{"host",
     * "priority", "alive", "state"}], "preempt", "active", "generation", "since_millis",
     * "last_failover_millis"}]}, by router id.
     */
    public ArrayNode gateways() {
        docs.barrier();
        Map<String, ObjectNode> leases = leases();
        long now = clock.millis();
        ArrayNode out = NeutronDocuments.JSON.createArrayNode();
        for (Doc d : docs.list(GATEWAYS)) {
            out.add(view(d.json(), leases, now));
        }
        return out;
    }

    /** One router's gateway as {@link #gateways} shows it. */
    public Optional<ObjectNode> gateway(String router) {
        docs.barrier();
        return docs.get(GATEWAYS, router).map(d -> view(d.json(), leases(), clock.millis()));
    }

    private static ObjectNode view(ObjectNode g, Map<String, ObjectNode> leases, long now) {
        ObjectNode v = NeutronDocuments.JSON.createObjectNode().put("router", g.path("id").asText());
        Decision d = decision(g);
        ArrayNode hosts = v.putArray("hosts");
        for (JsonNode h : g.path("hosts")) {
            String name = h.path("host").asText();
            ObjectNode lease = leases.get(name);
            boolean alive = lease != null && now - lease.path("renewed_millis").asLong() <= LEASE.toMillis();
            hosts.addObject().put("host", name).put("priority", h.path("priority").asInt()).put("alive", alive)
                    .put("state", alive ? GatewayElection.stateOf(name, d).text() : HaState.FAULT.text());
        }
        v.put("preempt", g.path("preempt").asBoolean()).set("active", g.path("active"));
        v.put("generation", d.generation()).put("since_millis", g.path("since_millis").asLong())
                .set("last_failover_millis", g.path("last_failover_millis"));
        return v;
    }

    /**
     * {@code PUT /v1/network/gateways/{router}} {@code {"preempt": bool}}: keepalived's {@code preempt} or
     * {@code nopreempt} (the default, as Neutron's). Takes effect at the next renewal of a placed host.
     */
    public ObjectNode update(String router, JsonNode body) {
        body.fieldNames().forEachRemaining(k -> {
            if (!k.equals("preempt")) {
                throw NeutronException.badRequest("only preempt can be changed, not " + Body.abbreviate(k));
            }
        });
        if (!body.path("preempt").isBoolean()) {
            throw NeutronException.badRequest("preempt must be true or false");
        }
        docs.barrier();
        String path = NeutronDocuments.doc(GATEWAYS, router);
        for (int attempt = 1; ; attempt++) {
            Doc d = docs.get(GATEWAYS, router).orElseThrow(() -> NeutronException.notFound("GatewayNotFound",
                    "router " + Body.abbreviate(router) + " has no gateway placed (no external gateway, or no "
                            + "gateway host with its physical network has renewed a lease yet)"));
            ObjectNode next = d.json().deepCopy().put("preempt", body.path("preempt").asBoolean());
            CommitResult r = docs.commit(Transaction.builder().require(Precondition.modRevision(path, d.modRevision()))
                    .put(path, next.toString()).build());
            if (r.succeeded()) {
                LOG.info("router {} gateway: {}", router, next.path("preempt").asBoolean() ? "preempt" : "nopreempt");
                return view(next, leases(), clock.millis());
            }
            if (attempt >= NeutronApi.MAX_ATTEMPTS) {
                throw new NeutronException(409, "Conflict", "router " + router + "'s gateway kept changing; retry");
            }
            docs.catchUp(r.revision());
        }
    }

    /** The L3 agent id of a gateway host: stable per host name, distinct from its Open vSwitch agent's. */
    static String l3AgentId(String host) {
        return UUID.nameUUIDFromBytes(("flowkeeper-l3-agent:" + host).getBytes(StandardCharsets.UTF_8)).toString();
    }

    /**
     * {@code GET /v2.0/routers/{id}/l3-agents}: Neutron's {@code l3_agent_scheduler} view, one L3 agent per host the
     * router's gateway is placed on, with {@code ha_state} ({@code active}, {@code standby}; a host whose lease
     * expired shows {@code standby} and {@code alive} false, as Neutron shows a dead agent's last state).
     */
    List<ObjectNode> l3Agents(String router) {
        Optional<ObjectNode> g = gateway(router);
        List<ObjectNode> out = new ArrayList<>();
        if (g.isEmpty()) {
            return out;
        }
        Map<String, ObjectNode> registered = hosts.hosts();
        for (JsonNode h : g.get().path("hosts")) {
            String name = h.path("host").asText();
            ObjectNode a = NeutronDocuments.JSON.createObjectNode();
            a.put("id", l3AgentId(name)).put("agent_type", "L3 agent").put("binary", "neutron-l3-agent")
                    .put("host", name).put("topic", "l3_agent").put("alive", h.path("alive").asBoolean())
                    .put("admin_state_up", true).put("description", "")
                    .put("ha_state", name.equals(g.get().path("active").asText(null)) ? "active" : "standby")
                    .putNull("availability_zone").putNull("resources_synced");
            ObjectNode registration = registered.get(name);
            ObjectNode conf = a.putObject("configurations");
            conf.put("agent_mode", "dvr_snat").put("priority", h.path("priority").asInt());
            if (registration != null) {
                conf.set("bridge_mappings", registration.path("bridge_mappings").deepCopy());
            }
            out.add(a);
        }
        return out;
    }
}
