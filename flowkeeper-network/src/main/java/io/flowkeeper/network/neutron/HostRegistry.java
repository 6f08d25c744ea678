package io.flowkeeper.network.neutron;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.store.CommitResult;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.store.Precondition;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.api.store.VersionedValue;
import io.flowkeeper.network.DocumentMirror;
import io.flowkeeper.network.Ipv4;
import io.flowkeeper.network.neutron.NeutronDocuments.Doc;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The host registry and the port bindings, as the hosts' agents report them: the only writer of
 * {@code /neutron/hosts/{name}} and {@code /neutron/bindings/{port id}} (layout in
 * {@link io.flowkeeper.network.NetworkManager}). A plug is validated against the port it names: an unknown port id,
 * or an attached MAC that is not the port's, is stored as a binding in state {@code ERROR} with the reason (the
 * flow compiler programs nothing for it); a good one is stored {@code PLUGGED} and binds the port to the host
 * ({@code binding:host_id}, {@code binding:vif_type} {@code ovs}) in the same transaction. Also answers which hosts
 * a host needs VXLAN tunnels to, and shows the hosts as Neutron agents. Thread-safe: no state but the datastore and
 * the tunnel index it keeps from it.
 */
public final class HostRegistry implements AutoCloseable {
    /**
     * An agent whose last heartbeat is older than this is shown dead (and ports bound to its host get
     * {@code binding_failed}): {@link io.flowkeeper.api.network.Host#AGENT_DOWN_TIME}.
     */
    public static final Duration AGENT_DOWN_TIME = io.flowkeeper.api.network.Host.AGENT_DOWN_TIME;
    static final String HOSTS = "hosts";
    static final String BINDINGS = "bindings";
    /** A host name is a path segment and a Neutron {@code binding:host_id}: a DNS-ish name. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    /** What a port id must look like to be stored as a binding's key (any other iface-id is refused outright). */
    private static final Pattern PORT_ID = Pattern.compile("[A-Za-z0-9._:@-]{1,128}");
    private static final Pattern BRIDGE = Pattern.compile("[A-Za-z0-9_.-]{1,15}");
    private static final Pattern MAC = Pattern.compile("[0-9a-f]{2}(:[0-9a-f]{2}){5}");
    /** A batch is committed in transactions of at most this many bytes, far below the shard's limit (4 MB+). */
    private static final int CHUNK_BYTES = 512 * 1024;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HostRegistry.class);
    private static final DateTimeFormatter NEUTRON_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneOffset.UTC);

    private final NeutronDocuments docs;
    private final DatastoreService store;
    private final Clock clock;
    private final TunnelIndex index = new TunnelIndex();
    private final Map<String, Boolean> vxlan = new java.util.concurrent.ConcurrentHashMap<>();
    private DocumentMirror bindings;

    public HostRegistry(DatastoreService store, Clock clock) {
        this.docs = new NeutronDocuments(store);
        this.store = store;
        this.clock = clock;
    }

    public static boolean validHostName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    /**
     * Registers a host or renews its heartbeat: {@code {"tunnel_ip", "integration_bridge", "datapath_id",
     * "bridge_mappings", "agent_version", "flow_snapshot", "snapshot", "last_restore", "local_dhcp": {"ports",
     * "serving", "answered"}} (the agent's own DHCP server, when it runs one; "snapshot" and "last_restore": the agent's
     * figures of its snapshot and last restore, see {@link #storeSnapshot}). The heartbeat time is this node's clock,
     * not the agent's, so a host with a wrong clock is not shown dead (or alive forever). A restore not stored before
     * is logged here, one line, on the node that stores it. Returns the stored document.
     */
    public ObjectNode register(String name, JsonNode body) {
        if (!validHostName(name)) {
            throw NeutronException.badRequest("not a host name: '" + Body.abbreviate(String.valueOf(name)) + "'");
        }
        if (body == null || !body.isObject()) {
            throw NeutronException.badRequest("expected a JSON object");
        }
        String tunnelIp = body.path("tunnel_ip").asText("");
        if (!tunnelIp.isEmpty() && Ipv4.parse(tunnelIp) < 0) {
            throw NeutronException.badRequest("tunnel_ip is not an IPv4 address: '" + Body.abbreviate(tunnelIp) + "'");
        }
        String bridge = body.path("integration_bridge").asText("br-int");
        if (!BRIDGE.matcher(bridge).matches()) {
            throw NeutronException.badRequest("not a bridge name: '" + Body.abbreviate(bridge) + "'");
        }
        JsonNode dpid = body.path("datapath_id");
        if (!dpid.isMissingNode() && !dpid.isIntegralNumber()) {
            throw NeutronException.badRequest("datapath_id must be a number");
        }
        JsonNode flowSnapshot = body.path("flow_snapshot");
        if (!flowSnapshot.isMissingNode() && !flowSnapshot.isBoolean()) {
            throw NeutronException.badRequest("flow_snapshot must be true or false");
        }
        JsonNode snapshot = figures(body, "snapshot", List.of("flows", "bytes", "age_millis"));
        JsonNode restore = figures(body, "last_restore", List.of("agent_at_millis", "ago_millis", "flows",
                "duration_millis"));
        if (restore != null && !restore.has("agent_at_millis")) {
            throw NeutronException.badRequest("last_restore needs agent_at_millis");
        }
        JsonNode localDhcp = figures(body, "local_dhcp", List.of("ports", "answered"));
        if (localDhcp != null && !localDhcp.path("serving").isMissingNode()
                && !localDhcp.path("serving").isBoolean()) {
            throw NeutronException.badRequest("local_dhcp.serving must be true or false");
        }
        ObjectNode mappings = NeutronDocuments.JSON.createObjectNode();
        JsonNode given = body.path("bridge_mappings");
        if (!given.isMissingNode() && !given.isObject()) {
            throw NeutronException.badRequest("bridge_mappings must be an object {physnet: bridge}");
        }
        given.fields().forEachRemaining(e -> {
            if (!e.getValue().isTextual() || !BRIDGE.matcher(e.getValue().asText()).matches()
                    || !NAME.matcher(e.getKey()).matches()) {
                throw NeutronException.badRequest("bad bridge mapping " + Body.abbreviate(e.getKey() + ":"
                        + e.getValue()));
            }
            mappings.put(e.getKey(), e.getValue().asText());
        });
        docs.barrier();
        String path = NeutronDocuments.doc(HOSTS, name);
        Optional<VersionedValue> old = store.get(NeutronDocuments.SHARD, DataPath.of(path),
                io.flowkeeper.api.store.ReadConsistency.STALE);
        long now = clock.millis();
        ObjectNode d = NeutronDocuments.JSON.createObjectNode();
        d.put("name", name).put("tunnel_ip", tunnelIp).put("integration_bridge", bridge)
                .put("datapath_id", dpid.asLong(0)).set("bridge_mappings", mappings);
        ObjectNode before = old.map(v -> docs.parse(v).json()).orElse(NeutronDocuments.JSON.createObjectNode());
        d.put("agent_version", Body.abbreviate(body.path("agent_version").asText("")))
                .put("heartbeat_millis", now)
                .put("flow_snapshot", flowSnapshot.asBoolean(false))
                .put("created_millis", before.path("created_millis").asLong(now))
                // what an operator set through PUT /v2.0/agents/{id}, kept across heartbeats
                .put("admin_state_up", before.path("admin_state_up").asBoolean(true))
                .put("description", before.path("description").asText(""));
        storeSnapshot(d, before, snapshot, restore, now);
        if (localDhcp != null) {
            // the agent's own DHCP server, as of this heartbeat (absent: the agent runs without it)
            d.putObject("local_dhcp").put("ports", localDhcp.path("ports").asLong(0))
                    .put("serving", localDhcp.path("serving").asBoolean(false))
                    .put("answered", localDhcp.path("answered").asLong(0));
        }
        docs.commit(Transaction.builder().put(path, d.toString()).build());
        newRestore(before, d).ifPresent(r -> LOG.info("host {}: its agent restored {} from the snapshot, {} flows in {}"
                + " ms ({})", name, bridge, r.path("flows").asLong(), r.path("duration_millis").asLong(),
                r.path("reason").asText()));
        return d;
    }

    /**
     * The object {@code field} of a registration, its {@code numeric} members whole numbers of 0 or more; null when
     * absent. A bad one is refused (400) rather than stored: the dashboard and the CLI read these.
     */
    private static JsonNode figures(JsonNode body, String field, List<String> numeric) {
        JsonNode f = body.path(field);
        if (f.isMissingNode() || f.isNull()) {
            return null;
        }
        if (!f.isObject()) {
            throw NeutronException.badRequest(field + " must be an object");
        }
        for (String n : numeric) {
            JsonNode v = f.path(n);
            if (!v.isMissingNode() && (!v.isIntegralNumber() || v.asLong() < 0)) {
                throw NeutronException.badRequest(field + "." + n + " must be a whole number of 0 or more");
            }
        }
        return f;
    }

    /**
     * Adds the agent's snapshot figures to the stored document {@code d}: {@code "snapshot": {"flows", "bytes",
     * "state", "written_millis"}} and {@code "last_restore": {"at_millis", "agent_at_millis", "flows",
     * "duration_millis", "reason"}}, dated by this node's clock from the ages the agent sent. A restore already
     * stored (same {@code agent_at_millis}) keeps its date, so it does not drift from one heartbeat to the next.
     * What the agent did not send (an agent restarted since, which has not journaled or restored yet) stays as
     * {@code before} had it: it is still the host's last known snapshot and restore.
     */
    private static void storeSnapshot(ObjectNode d, ObjectNode before, JsonNode snapshot, JsonNode restore, long now) {
        if (snapshot != null) {
            ObjectNode s = d.putObject("snapshot");
            if (snapshot.has("flows")) {
                s.put("flows", snapshot.get("flows").asLong());
            }
            s.put("bytes", snapshot.path("bytes").asLong(0))
                    .put("state", Body.abbreviate(snapshot.path("state").asText("")));
            if (snapshot.has("age_millis")) {
                s.put("written_millis", now - snapshot.get("age_millis").asLong());
            }
        } else if (before.has("snapshot")) {
            d.set("snapshot", before.get("snapshot"));
        }
        if (restore != null) {
            JsonNode old = before.path("last_restore");
            long agentAt = restore.get("agent_at_millis").asLong();
            long at = old.path("agent_at_millis").asLong(-1) == agentAt ? old.path("at_millis").asLong()
                    : now - restore.path("ago_millis").asLong(0);
            d.putObject("last_restore").put("at_millis", at).put("agent_at_millis", agentAt)
                    .put("flows", restore.path("flows").asLong(0))
                    .put("duration_millis", restore.path("duration_millis").asLong(0))
                    .put("reason", Body.abbreviate(restore.path("reason").asText("")));
        } else if (before.has("last_restore")) {
            d.set("last_restore", before.get("last_restore"));
        }
    }

    /**
     * The restore {@code after} (a host's document) reports that {@code before} (the same host's previous document,
     * or null) did not: what the node that stores it logs and every node's timeline shows.
     */
    public static Optional<JsonNode> newRestore(JsonNode before, JsonNode after) {
        if (after == null || !after.path("last_restore").isObject()) {
            return Optional.empty();
        }
        JsonNode r = after.get("last_restore");
        boolean seen = before != null && before.path("last_restore").path("agent_at_millis").asLong(-1)
                == r.path("agent_at_millis").asLong();
        return seen ? Optional.empty() : Optional.of(r);
    }

    /**
     * Watches every host's document from this node's replica and calls {@code restored} with the host's name, its
     * integration bridge and the restore, once per restore an agent reports (not for those stored before the watch
     * started). For the operator's timeline; the caller closes the mirror.
     */
    public static DocumentMirror watchRestores(DatastoreService store, RestoreListener restored) {
        return new DocumentMirror(store, NeutronDocuments.SHARD, NeutronDocuments.ROOT + "/" + HOSTS,
                (id, before, after, live) -> {
                    if (live) {
                        newRestore(before, after).ifPresent(r -> restored.restored(after.path("name").asText(id),
                                after.path("integration_bridge").asText(), r));
                    }
                }).start();
    }

    /** Hears the restores {@link #watchRestores} sees. */
    public interface RestoreListener {
        /** {@code restore}: {@code {"at_millis", "flows", "duration_millis", "reason"}}, as stored. */
        void restored(String host, String bridge, JsonNode restore);
    }

    /**
     * An operator's change to a host's agent ({@code PUT /v2.0/agents/{id}}): {@code admin_state_up} and
     * {@code description}, the attributes Neutron lets one change; returns the agent as shown. Informational here: an
     * agent that is administratively down still reports (Neutron's schedulers, which read it, do not exist here).
     */
    ObjectNode updateAgent(String name, JsonNode body) {
        body.fieldNames().forEachRemaining(k -> {
            if (!k.equals("admin_state_up") && !k.equals("description")) {
                throw NeutronException.badRequest("Cannot update read-only attribute " + Body.abbreviate(k));
            }
        });
        if (body.has("admin_state_up") && !body.get("admin_state_up").isBoolean()) {
            throw NeutronException.invalidInput("'" + body.get("admin_state_up") + "' is not a valid boolean value");
        }
        if (body.has("description") && !(body.get("description").isTextual() || body.get("description").isNull())) {
            throw NeutronException.invalidInput("description must be a string");
        }
        String path = NeutronDocuments.doc(HOSTS, name);
        for (int attempt = 1; ; attempt++) {
            VersionedValue v = store.get(NeutronDocuments.SHARD, DataPath.of(path),
                    io.flowkeeper.api.store.ReadConsistency.STALE).orElseThrow(() -> NeutronException.notFound(
                    "AgentNotFound", "Agent " + agentId(name) + " could not be found."));
            ObjectNode d = docs.parse(v).json();
            if (body.has("admin_state_up")) {
                d.put("admin_state_up", body.get("admin_state_up").asBoolean());
            }
            if (body.has("description")) {
                d.put("description", Body.abbreviate(body.get("description").asText("")));
            }
            CommitResult r = docs.commit(Transaction.builder().require(Precondition.modRevision(path, v.modRevision()))
                    .put(path, d.toString()).build());
            if (r.succeeded()) {
                return agent(d);
            }
            if (attempt >= NeutronApi.MAX_ATTEMPTS) {
                throw new NeutronException(409, "Conflict", "the agent kept changing; retry");
            }
            docs.catchUp(r.revision());
        }
    }

    /** Removes a host from the registry (its bindings stay until its agent or an operator unplugs them). */
    public boolean forget(String name) {
        if (!validHostName(name)) {
            return false;
        }
        docs.barrier();
        String path = NeutronDocuments.doc(HOSTS, name);
        return docs.commit(Transaction.builder().require(Precondition.exists(path)).delete(path).build()).succeeded();
    }

    /** Every registered host's document, by name. */
    Map<String, ObjectNode> hosts() {
        Map<String, ObjectNode> out = new TreeMap<>();
        for (VersionedValue v : docs.values(NeutronDocuments.ROOT + "/" + HOSTS)) {
            ObjectNode h = docs.parse(v).json();
            out.put(h.path("name").asText(), h);
        }
        return out;
    }

    Optional<ObjectNode> host(String name) {
        if (!validHostName(name)) {
            return Optional.empty();
        }
        return store.get(NeutronDocuments.SHARD, DataPath.of(NeutronDocuments.doc(HOSTS, name)),
                io.flowkeeper.api.store.ReadConsistency.STALE).map(v -> docs.parse(v).json());
    }

    /** Whether {@code host}'s agent beat within {@link #AGENT_DOWN_TIME} of now. */
    boolean alive(ObjectNode host) {
        return io.flowkeeper.api.network.Host.agentAlive(host.path("heartbeat_millis").asLong(), clock.millis());
    }

    /**
     * ML2's binding result for a port bound to {@code hostName}: {@code ovs} with the details Nova's os-vif needs
     * when a live agent serves that host, {@code binding_failed} when none does, {@code unbound} for no host.
     * Sets {@code binding:vif_type} and {@code binding:vif_details} on {@code port}.
     */
    void bind(ObjectNode port, String hostName) {
        ObjectNode details = port.putObject("binding:vif_details");
        if (hostName == null || hostName.isEmpty()) {
            port.put("binding:vif_type", "unbound");
            return;
        }
        Optional<ObjectNode> host = host(hostName).filter(this::alive);
        if (host.isEmpty()) {
            port.put("binding:vif_type", "binding_failed");
            return;
        }
        port.put("binding:vif_type", "ovs");
        // What neutron's OVS mechanism driver reports for a userspace (netdev) bridge; security groups are
        // enforced in the bridge's own flows, hence port_filter true, and no hybrid plug.
        details.put("bridge_name", host.get().path("integration_bridge").asText("br-int"))
                .put("port_filter", true).put("datapath_type", "netdev").put("ovs_hybrid_plug", false)
                .put("connectivity", "l2");
    }

    /** One interface an agent saw plugged: the Neutron port id from {@code iface-id}, its ofport and MAC. */
    record Plug(String portId, int ofport, String attachedMac) {}

    /** The outcome of one plug: stored (state PLUGGED or ERROR), or refused and not stored. */
    record Outcome(String portId, String state, String error) {}

    /**
     * Applies one agent report: {@code {"plugged": [{"port_id", "ofport", "attached_mac"}], "unplugged": [port id],
     * "full": bool}}. With {@code full}, the plugged list is everything the host has: every other binding of the
     * host is removed (an agent that restarted, or lost a report, resynchronises so). The host must be registered.
     * Returns {@code {"bindings": [{"port_id", "state", "error"}], "unplugged": n}}.
     */
    public ObjectNode report(String hostName, JsonNode body) {
        if (body == null || !body.isObject()) {
            throw NeutronException.badRequest("expected {\"plugged\": [...], \"unplugged\": [...]}");
        }
        List<Plug> plugs = new ArrayList<>();
        for (JsonNode p : body.path("plugged")) {
            plugs.add(new Plug(p.path("port_id").asText(""), p.path("ofport").asInt(-1),
                    p.path("attached_mac").asText("").toLowerCase(Locale.ROOT).replace('-', ':')));
        }
        Set<String> unplugs = new HashSet<>();
        body.path("unplugged").forEach(u -> unplugs.add(u.asText()));
        boolean full = body.path("full").asBoolean(false);
        docs.barrier();
        if (host(hostName).isEmpty()) {
            throw NeutronException.notFound("HostNotFound", "host " + Body.abbreviate(String.valueOf(hostName))
                    + " is not registered: PUT /v1/network/hosts/{name} first");
        }
        if (full) {
            Set<String> kept = new HashSet<>();
            plugs.forEach(p -> kept.add(p.portId()));
            for (VersionedValue v : docs.values(NeutronDocuments.ROOT + "/" + BINDINGS)) {
                ObjectNode b = docs.parse(v).json();
                if (b.path("host").asText().equals(hostName) && !kept.contains(b.path("port_id").asText())) {
                    unplugs.add(b.path("port_id").asText());
                }
            }
        }
        List<Outcome> outcomes = new ArrayList<>();
        List<Plug> chunk = new ArrayList<>();
        int bytes = 0;
        for (Plug p : plugs) {
            chunk.add(p);
            bytes += 2048; // a port document and its binding, generously
            if (bytes >= CHUNK_BYTES) {
                outcomes.addAll(commitPlugs(hostName, chunk));
                chunk.clear();
                bytes = 0;
            }
        }
        outcomes.addAll(commitPlugs(hostName, chunk));
        int removed = commitUnplugs(hostName, unplugs);
        ObjectNode out = NeutronDocuments.JSON.createObjectNode();
        ArrayNode list = out.putArray("bindings");
        outcomes.forEach(o -> list.addObject().put("port_id", o.portId()).put("state", o.state())
                .put("error", o.error()));
        out.put("unplugged", removed);
        return out;
    }

    /** Writes one chunk of plugs in one transaction, re-reading and retrying while a port changes under it. */
    private List<Outcome> commitPlugs(String hostName, List<Plug> plugs) {
        for (int attempt = 1; ; attempt++) {
            List<Outcome> outcomes = new ArrayList<>();
            Transaction.Builder txn = Transaction.builder();
            boolean any = false;
            for (Plug p : plugs) {
                any |= plan(hostName, p, txn, outcomes);
            }
            if (!any) {
                return outcomes;
            }
            CommitResult r = docs.commit(txn.build());
            if (r.succeeded()) {
                return outcomes;
            }
            if (attempt >= NeutronApi.MAX_ATTEMPTS) {
                throw new NeutronException(409, "Conflict", "ports kept changing during the report; retry");
            }
            docs.catchUp(r.revision());
        }
    }

    /** Adds one plug's writes to {@code txn} (none when nothing changes); false when there is nothing to write. */
    private boolean plan(String hostName, Plug p, Transaction.Builder txn, List<Outcome> outcomes) {
        if (!PORT_ID.matcher(p.portId()).matches()) {
            outcomes.add(new Outcome(p.portId(), "REFUSED", "not a usable port id"));
            return false;
        }
        String error = "";
        Optional<Doc> port = docs.get("ports", p.portId());
        if (port.isEmpty()) {
            error = "no port " + p.portId();
        } else if (!MAC.matcher(p.attachedMac()).matches()) {
            error = "attached-mac '" + Body.abbreviate(p.attachedMac()) + "' is not a MAC address";
        } else if (!p.attachedMac().equals(port.get().json().path("mac_address").asText())) {
            error = "attached-mac " + p.attachedMac() + " does not match the port's MAC "
                    + port.get().json().path("mac_address").asText();
        } else if (p.ofport() <= 0) {
            error = "no OpenFlow port number";
        }
        String state = error.isEmpty() ? "PLUGGED" : "ERROR";
        String bindingPath = NeutronDocuments.doc(BINDINGS, p.portId());
        Optional<ObjectNode> old = store.get(NeutronDocuments.SHARD, DataPath.of(bindingPath),
                io.flowkeeper.api.store.ReadConsistency.STALE).map(v -> docs.parse(v).json());
        if (!error.isEmpty() && old.isPresent() && old.get().path("state").asText().equals("PLUGGED")
                && !old.get().path("host").asText().equals(hostName)) {
            // A wrong interface elsewhere must not unplug the port where it really is: refuse, keep the good one.
            outcomes.add(new Outcome(p.portId(), "REFUSED", error + "; the port stays bound to "
                    + old.get().path("host").asText()));
            return false;
        }
        outcomes.add(new Outcome(p.portId(), state, error));
        ObjectNode binding = NeutronDocuments.JSON.createObjectNode();
        binding.put("port_id", p.portId()).put("host", hostName).put("ofport", p.ofport())
                .put("attached_mac", p.attachedMac()).put("state", state).put("error", error)
                // a port never changes network (Neutron refuses it): kept here so tunnels need no port reads
                .put("network_id", port.map(d -> d.json().path("network_id").asText()).orElse(""));
        boolean write = false;
        if (old.isEmpty() || !old.get().equals(binding)) {
            txn.put(bindingPath, binding.toString());
            write = true;
        }
        if (error.isEmpty()) {
            ObjectNode d = port.get().json();
            if (!d.path("binding:host_id").asText().equals(hostName)
                    || !d.path("binding:vif_type").asText().equals("ovs")) {
                ObjectNode updated = d.deepCopy();
                updated.put("binding:host_id", hostName);
                bind(updated, hostName);
                updated.put("revision_number", d.path("revision_number").asLong() + 1)
                        .put("updated_at", Instant.now(clock).truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                                .toString());
                String portPath = NeutronDocuments.doc("ports", p.portId());
                txn.require(Precondition.modRevision(portPath, port.get().modRevision()))
                        .put(portPath, updated.toString());
                write = true;
            }
        }
        return write;
    }

    /** Deletes the bindings {@code hostName} holds among {@code portIds}; another host's binding stays. */
    private int commitUnplugs(String hostName, Set<String> portIds) {
        List<String> paths = new ArrayList<>();
        for (String id : portIds) {
            if (!PORT_ID.matcher(id).matches()) {
                continue;
            }
            String path = NeutronDocuments.doc(BINDINGS, id);
            store.get(NeutronDocuments.SHARD, DataPath.of(path), io.flowkeeper.api.store.ReadConsistency.STALE)
                    .map(v -> docs.parse(v).json())
                    .filter(b -> b.path("host").asText().equals(hostName))
                    .ifPresent(b -> paths.add(path));
        }
        int bytes = 0;
        Transaction.Builder txn = Transaction.builder();
        int inTxn = 0;
        for (String path : paths) {
            txn.delete(path);
            inTxn++;
            bytes += path.getBytes(StandardCharsets.UTF_8).length + 16;
            if (bytes >= CHUNK_BYTES) {
                docs.commit(txn.build());
                txn = Transaction.builder();
                inTxn = 0;
                bytes = 0;
            }
        }
        if (inTxn > 0) {
            docs.commit(txn.build());
        }
        return paths.size();
    }

    /**
     * The hosts {@code hostName} needs a VXLAN tunnel to: every other registered host with a plugged port on a
     * VXLAN network this host also has a plugged port on. {@code [{"host", "tunnel_ip"}]}, sorted by host. Answered
     * from this node's {@link TunnelIndex} (started on the first call): a binding committed a moment ago may not be
     * in it yet; agents ask again every second.
     */
    public ArrayNode tunnelPeers(String hostName) {
        return tunnelPeers(hostName, Set.of());
    }

    /** {@link #tunnelPeers(String)} and the hosts in {@code routed} (those reached through a router). */
    public ArrayNode tunnelPeers(String hostName, Set<String> routed) {
        synchronized (this) {
            if (bindings == null) {
                bindings = new DocumentMirror(store, NeutronDocuments.SHARD, NeutronDocuments.ROOT + "/" + BINDINGS,
                        (id, before, after, live) -> index.changed(id, before, after)).start();
            }
        }
        ArrayNode out = NeutronDocuments.JSON.createArrayNode();
        Set<String> peers = new java.util.TreeSet<>(index.peers(hostName, this::isVxlan));
        routed.stream().filter(h -> !h.equals(hostName)).forEach(peers::add);
        for (String peer : peers) {
            host(peer).map(h -> h.path("tunnel_ip").asText("")).filter(ip -> !ip.isEmpty())
                    .ifPresent(ip -> out.addObject().put("host", peer).put("tunnel_ip", ip));
        }
        return out;
    }

    /** A network's type never changes (Neutron refuses it): remembered once read. */
    private boolean isVxlan(String networkId) {
        return vxlan.computeIfAbsent(networkId, n -> docs.get("networks", n).map(d -> d.json()
                .path("provider:network_type").asText().equals("vxlan")).orElse(false));
    }

    /** Stops the bindings watch behind {@link #tunnelPeers}. */
    @Override
    public void close() {
        DocumentMirror m;
        synchronized (this) {
            m = bindings;
        }
        if (m != null) {
            m.close();
        }
    }

    /** The hosts as Neutron shows agents ({@code GET /v2.0/agents}): one Open vSwitch agent per host. */
    public List<ObjectNode> agents() {
        docs.barrier();
        List<ObjectNode> out = new ArrayList<>();
        hosts().values().forEach(h -> out.add(agent(h)));
        return out;
    }

    /** The agent id: stable per host name, so the same host keeps its id across agent restarts. */
    static String agentId(String hostName) {
        return UUID.nameUUIDFromBytes(("flowkeeper-ovs-agent:" + hostName).getBytes(StandardCharsets.UTF_8))
                .toString();
    }

    private ObjectNode agent(ObjectNode h) {
        String name = h.path("name").asText();
        ObjectNode a = NeutronDocuments.JSON.createObjectNode();
        a.put("id", agentId(name)).put("agent_type", "Open vSwitch agent").put("binary", "neutron-openvswitch-agent")
                .put("host", name).put("topic", "N/A").put("alive", alive(h))
                .put("admin_state_up", h.path("admin_state_up").asBoolean(true))
                .put("description", h.path("description").asText(""))
                .putNull("availability_zone").putNull("resources_synced");
        String created = NEUTRON_TIME.format(Instant.ofEpochMilli(h.path("created_millis").asLong()));
        a.put("heartbeat_timestamp", NEUTRON_TIME.format(Instant.ofEpochMilli(h.path("heartbeat_millis").asLong())))
                .put("created_at", created).put("started_at", created);
        ObjectNode conf = a.putObject("configurations");
        conf.set("bridge_mappings", h.path("bridge_mappings").deepCopy());
        conf.put("tunneling_ip", h.path("tunnel_ip").asText()).put("integration_bridge",
                h.path("integration_bridge").asText()).put("datapath_type", "netdev")
                .put("agent_version", h.path("agent_version").asText());
        conf.putArray("tunnel_types").add("vxlan");
        // Neutron's configurations are the agent's own report: the snapshot's figures and last restore go there.
        if (h.has("snapshot")) {
            conf.set("snapshot", h.get("snapshot").deepCopy());
        }
        if (h.has("local_dhcp")) {
            conf.set("local_dhcp", h.get("local_dhcp").deepCopy());
        }
        if (h.has("last_restore")) {
            ObjectNode r = h.get("last_restore").deepCopy();
            r.remove("agent_at_millis"); // the agent's own clock: tells restores apart, means nothing to a reader
            conf.set("last_restore", r);
        }
        return a;
    }
}
