package io.flowkeeper.agent.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.agent.ovsdb.OvsdbClient;
import io.flowkeeper.agent.ovsdb.OvsdbException;
import io.flowkeeper.api.security.TlsFiles;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The bridges and ports the agent owns on its host, written as OVSDB transactions (what {@code ovs-vsctl} would
 * send): the integration bridge and provider bridges, the patch ports between them, and the VXLAN tunnel ports.
 * Every change is one transaction; nothing that exists already is rewritten.
 */
final class HostPlumbing {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** The test bed's and the controller's OpenFlow versions; 1.3+ for tun_id, 1.4 for the journal's monitor. */
    static final List<String> PROTOCOLS = List.of("OpenFlow13", "OpenFlow14");

    /** The tunnel interface's {@code external_ids} key naming the host at its far end. */
    static final String PEER_ID = "flowkeeper-peer";
    /** The tunnel interface's {@code external_ids} key saying whether that host is a gateway host. */
    static final String PEER_GATEWAY_ID = "flowkeeper-gateway";
    /**
     * BFD on a gateway host's tunnels: a control packet every 100 ms each way, down after three missed (OVS's
     * default multiplier), so a peer that died with its links is seen down in ~300 ms. OVS's defaults (1 s) would
     * make that 3 s, OVN's figure.
     */
    static final Map<String, String> BFD = Map.of("enable", "true", "min_rx", "100", "min_tx", "100");

    private final OvsdbClient ovsdb;

    HostPlumbing(OvsdbClient ovsdb) {
        this.ovsdb = ovsdb;
    }

    boolean bridgeExists(String bridge) throws OvsdbException {
        return !ovsdb.select("Bridge", OvsdbClient.equal("name", bridge), "name").isEmpty();
    }

    /**
     * Creates a bridge unless it exists: userspace datapath, in-band control off, and its controllers in the same
     * transaction. OVS flushes a bridge's flows when its first controller is added, so the targets are set only
     * here, on an empty bridge, never on a bridge that may be forwarding (an existing bridge keeps its targets).
     *
     * @param datapathId the datapath id to give it ({@code other-config:datapath-id}; with TLS, one its host
     *     certificate binds), or null for the one OVS derives
     * @return whether it was created
     */
    boolean ensureBridge(String bridge, List<String> controllerTargets, String failMode, Long datapathId)
            throws OvsdbException {
        if (bridgeExists(bridge)) {
            return false;
        }
        List<ObjectNode> ops = new ArrayList<>();
        ArrayNode controllers = NODES.arrayNode();
        for (int i = 0; i < controllerTargets.size(); i++) {
            ops.add(insert("Controller", "c" + i, NODES.objectNode().put("target", controllerTargets.get(i))));
            controllers.add(named("c" + i));
        }
        ops.add(insert("Interface", "iface", NODES.objectNode().put("name", bridge).put("type", "internal")));
        ObjectNode port = NODES.objectNode().put("name", bridge);
        port.set("interfaces", named("iface"));
        ops.add(insert("Port", "port", port));
        ObjectNode row = NODES.objectNode().put("name", bridge).put("datapath_type", "netdev").put("fail_mode",
                failMode);
        row.set("protocols", OvsdbClient.set(PROTOCOLS));
        Map<String, String> otherConfig = new TreeMap<>(Map.of("disable-in-band", "true"));
        if (datapathId != null) {
            otherConfig.put("datapath-id", String.format("%016x", datapathId));
        }
        row.set("other_config", OvsdbClient.map(otherConfig));
        row.set("ports", NODES.arrayNode().add("set").add(NODES.arrayNode().add(named("port"))));
        row.set("controller", NODES.arrayNode().add("set").add(controllers));
        ops.add(insert("Bridge", "bridge", row));
        ops.add(mutate("Open_vSwitch", NODES.arrayNode(), "bridges", "insert", named("bridge")));
        ovsdb.transact(ops.toArray(ObjectNode[]::new));
        return true;
    }

    /**
     * What {@code ovs-vsctl set-ssl KEY CERT CA} does: the switch's key, certificate and CA for its {@code ssl:}
     * controller connections, unless exactly these are set already.
     *
     * @return whether it changed anything
     */
    boolean ensureSsl(TlsFiles files) throws OvsdbException {
        JsonNode ovs = ovsdb.select("Open_vSwitch", NODES.arrayNode(), "ssl");
        JsonNode ref = ovs.isEmpty() ? null : ovs.get(0).get("ssl");
        if (ref != null && ref.isArray() && ref.size() == 2 && "uuid".equals(ref.get(0).asText())) {
            JsonNode rows = ovsdb.select("SSL", NODES.arrayNode().add(NODES.arrayNode().add("_uuid").add("==")
                    .add(ref)), "private_key", "certificate", "ca_cert");
            if (!rows.isEmpty() && rows.get(0).path("private_key").asText().equals(files.key().toString())
                    && rows.get(0).path("certificate").asText().equals(files.certificate().toString())
                    && rows.get(0).path("ca_cert").asText().equals(files.ca().toString())) {
                return false;
            }
        }
        // The SSL table is not a root table: the row this replaces is dropped once nothing refers to it.
        ObjectNode ssl = NODES.objectNode().put("private_key", files.key().toString())
                .put("certificate", files.certificate().toString()).put("ca_cert", files.ca().toString())
                .put("bootstrap_ca_cert", false);
        ObjectNode update = NODES.objectNode().put("op", "update").put("table", "Open_vSwitch");
        update.set("where", NODES.arrayNode());
        update.set("row", NODES.objectNode().set("ssl", named("ssl")));
        ovsdb.transact(insert("SSL", "ssl", ssl), update);
        return true;
    }

    /** Adds a port of one interface to a bridge unless a port of that name exists; false if it did. */
    boolean ensurePort(String bridge, String name, String type, Map<String, String> options) throws OvsdbException {
        if (!ovsdb.select("Port", OvsdbClient.equal("name", name), "name").isEmpty()) {
            return false;
        }
        ObjectNode iface = NODES.objectNode().put("name", name).put("type", type);
        iface.set("options", OvsdbClient.map(options));
        ObjectNode port = NODES.objectNode().put("name", name);
        port.set("interfaces", named("iface"));
        ovsdb.transact(insert("Interface", "iface", iface), insert("Port", "port", port),
                mutate("Bridge", OvsdbClient.equal("name", bridge), "ports", "insert", named("port")));
        return true;
    }

    /** The patch ports {@code int-<provider>} on the integration bridge and {@code phy-<provider>} on the provider. */
    void ensurePatch(String integration, String provider) throws OvsdbException {
        // The integration end's name is the one the flow compiler looks the port up by.
        String integrationEnd = io.flowkeeper.api.network.Host.providerPatchPortName(provider);
        ensurePort(integration, integrationEnd, "patch", Map.of("peer", providerEnd(provider)));
        ensurePort(provider, providerEnd(provider), "patch", Map.of("peer", integrationEnd));
    }

    /** The provider bridge's end of its patch port to the integration bridge. */
    static String providerEnd(String provider) {
        return "phy-" + provider;
    }

    /** Removes a port (and its interfaces: OVSDB drops rows nothing refers to) from a bridge; absent is fine. */
    void deletePort(String bridge, String name) throws OvsdbException {
        JsonNode rows = ovsdb.select("Port", OvsdbClient.equal("name", name), "_uuid");
        if (rows.isEmpty()) {
            return;
        }
        ovsdb.transact(mutate("Bridge", OvsdbClient.equal("name", bridge), "ports", "delete",
                rows.get(0).get("_uuid")));
    }

    /** The host's VXLAN ports the agent made, by name: their remote and what they say of their peer. */
    Map<String, TunnelPlan.Existing> tunnelPorts() throws OvsdbException {
        Map<String, TunnelPlan.Existing> out = new TreeMap<>();
        for (JsonNode row : ovsdb.select("Interface", OvsdbClient.equal("type", "vxlan"), "name", "options",
                "external_ids", "bfd")) {
            String name = row.path("name").asText();
            if (name.startsWith(TunnelPlan.PREFIX)) {
                Map<String, String> ids = OvsdbClient.ovsMap(row.get("external_ids"));
                String host = ids.get(PEER_ID);
                TunnelPlan.Peer peer = host == null ? null : new TunnelPlan.Peer(host,
                        "true".equals(ids.get(PEER_GATEWAY_ID)),
                        "true".equals(OvsdbClient.ovsMap(row.get("bfd")).get("enable")));
                out.put(name, new TunnelPlan.Existing(
                        OvsdbClient.ovsMap(row.get("options")).getOrDefault("remote_ip", ""), peer));
            }
        }
        return out;
    }

    /**
     * Applies a tunnel plan on {@code bridge}: removals first (a port renamed for a new remote is re-created), then
     * new ports, then the peer columns ({@code external_ids}, {@code bfd}) of new and changed ones, in place.
     */
    void apply(String bridge, TunnelPlan plan, String localIp) throws OvsdbException {
        for (String name : plan.remove()) {
            deletePort(bridge, name);
        }
        for (Map.Entry<String, String> e : plan.add().entrySet()) {
            Map<String, String> options = new LinkedHashMap<>();
            options.put("key", "flow");
            options.put("remote_ip", e.getValue());
            if (localIp != null && !localIp.isEmpty()) {
                options.put("local_ip", localIp);
            }
            ensurePort(bridge, e.getKey(), "vxlan", options);
        }
        for (Map.Entry<String, TunnelPlan.Peer> e : plan.configure().entrySet()) {
            TunnelPlan.Peer peer = e.getValue();
            ObjectNode row = NODES.objectNode();
            row.set("external_ids", OvsdbClient.map(Map.of(PEER_ID, peer.host(), PEER_GATEWAY_ID,
                    Boolean.toString(peer.gateway()))));
            row.set("bfd", OvsdbClient.map(peer.bfd() ? BFD : Map.of()));
            ObjectNode update = NODES.objectNode().put("op", "update").put("table", "Interface");
            update.set("where", OvsdbClient.equal("name", e.getKey()));
            update.set("row", row);
            ovsdb.transact(update);
        }
    }

    /**
     * The tunnels' BFD states, by peer host: {@code bfd_status:state} ({@code up}, {@code down}, {@code init},
     * {@code admin_down}; {@code ""} before the switch reported one) of every agent tunnel that runs BFD.
     */
    Map<String, BfdState> bfdStates() throws OvsdbException {
        Map<String, BfdState> out = new TreeMap<>();
        for (JsonNode row : ovsdb.select("Interface", OvsdbClient.equal("type", "vxlan"), "name", "external_ids",
                "bfd", "bfd_status")) {
            Map<String, String> ids = OvsdbClient.ovsMap(row.get("external_ids"));
            String host = ids.get(PEER_ID);
            if (row.path("name").asText().startsWith(TunnelPlan.PREFIX) && host != null
                    && "true".equals(OvsdbClient.ovsMap(row.get("bfd")).get("enable"))) {
                out.put(host, new BfdState("true".equals(ids.get(PEER_GATEWAY_ID)),
                        OvsdbClient.ovsMap(row.get("bfd_status")).getOrDefault("state", "")));
            }
        }
        return out;
    }

    /** One tunnel's BFD session: whether its peer is a gateway host, and the session's state. */
    record BfdState(boolean gateway, String state) {
        boolean up() {
            return state.equals("up");
        }
    }

    /** The bridge's datapath id as the controller sees the switch, or 0 before {@code ovs-vswitchd} set one. */
    long datapathId(String bridge) throws OvsdbException {
        JsonNode rows = ovsdb.select("Bridge", OvsdbClient.equal("name", bridge), "datapath_id");
        if (rows.isEmpty() || !rows.get(0).path("datapath_id").isTextual()) {
            return 0; // an empty set until ovs-vswitchd has the bridge
        }
        return Long.parseUnsignedLong(rows.get(0).path("datapath_id").asText(), 16);
    }

    private static ArrayNode named(String name) {
        return NODES.arrayNode().add("named-uuid").add(name);
    }

    private static ObjectNode insert(String table, String uuidName, ObjectNode row) {
        ObjectNode op = NODES.objectNode().put("op", "insert").put("table", table).put("uuid-name", uuidName);
        op.set("row", row);
        return op;
    }

    private static ObjectNode mutate(String table, ArrayNode where, String column, String mutator, JsonNode value) {
        ObjectNode op = NODES.objectNode().put("op", "mutate").put("table", table);
        op.set("where", where);
        JsonNode set = value.isArray() && value.size() == 2 && value.get(0).isTextual()
                && !value.get(0).asText().equals("set") ? NODES.arrayNode().add("set").add(NODES.arrayNode().add(value))
                : value;
        op.set("mutations", NODES.arrayNode().add(NODES.arrayNode().add(column).add(mutator).add(set)));
        return op;
    }
}
