package io.flowkeeper.network;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.api.network.AddressPair;
import io.flowkeeper.api.network.ExternalGateway;
import io.flowkeeper.api.network.FixedIp;
import io.flowkeeper.api.network.FloatingIp;
import io.flowkeeper.api.network.Host;
import io.flowkeeper.api.network.HostRoute;
import io.flowkeeper.api.network.IpRange;
import io.flowkeeper.api.network.Network;
import io.flowkeeper.api.network.NetworkService;
import io.flowkeeper.api.network.NetworkType;
import io.flowkeeper.api.network.Port;
import io.flowkeeper.api.network.PortBinding;
import io.flowkeeper.api.network.Router;
import io.flowkeeper.api.network.SecurityGroup;
import io.flowkeeper.api.network.SecurityGroupRule;
import io.flowkeeper.api.network.Subnet;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.VersionedValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * {@link NetworkService} over this node's replica of the {@code network-config} shard: the documents the Neutron
 * API writes ({@code /neutron/{collection}/{id}}), read as the API's records.
 */
public final class NetworkManager implements NetworkService {
    private static final String SHARD = "network-config";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DatastoreService store;

    public NetworkManager(DatastoreService store) {
        this.store = store;
    }

    private <T> List<T> read(String collection, Function<JsonNode, T> convert) {
        List<T> out = new ArrayList<>();
        for (VersionedValue v : store.list(SHARD, DataPath.of("/neutron/" + collection), ReadConsistency.STALE)
                .values()) {
            out.add(convert.apply(parse(v)));
        }
        return out;
    }

    private static JsonNode parse(VersionedValue v) {
        try {
            return JSON.readTree(v.json());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("unreadable document at " + v.path(), e);
        }
    }

    @Override
    public List<Network> networks() {
        return read("networks", NetworkManager::network);
    }

    @Override
    public Optional<Network> network(String id) {
        if (!id.matches("[0-9a-f-]{36}")) {
            return Optional.empty();
        }
        return store.get(SHARD, DataPath.of("/neutron/networks/" + id), ReadConsistency.STALE)
                .map(v -> network(parse(v)));
    }

    @Override
    public List<Subnet> subnets() {
        return read("subnets", NetworkManager::subnet);
    }

    @Override
    public List<Port> ports() {
        return read("ports", NetworkManager::port);
    }

    @Override
    public List<Router> routers() {
        return read("routers", NetworkManager::router);
    }

    @Override
    public List<FloatingIp> floatingIps() {
        return read("floatingips", NetworkManager::floatingIp);
    }

    @Override
    public List<SecurityGroup> securityGroups() {
        List<SecurityGroupRule> rules = read("security-group-rules", NetworkManager::rule);
        return read("security-groups", g -> new SecurityGroup(g.path("id").asText(), g.path("name").asText(),
                g.path("project_id").asText(), rules.stream()
                .filter(r -> r.securityGroupId().equals(g.path("id").asText())).toList(),
                g.path("revision_number").asLong()));
    }

    /** Hosts as their agents registered them ({@link #host}). */
    @Override
    public List<Host> hosts() {
        return read("hosts", NetworkManager::host);
    }

    /** Bindings as agents reported them ({@link #binding}). */
    @Override
    public List<PortBinding> bindings() {
        return read("bindings", NetworkManager::binding);
    }

    /**
     * A host as its agent registered it at {@code /neutron/hosts/{name}}:
     * {@code {"name", "tunnel_ip", "integration_bridge", "datapath_id" (number), "bridge_mappings": {physnet: bridge},
     * "agent_version", "heartbeat_millis", "flow_snapshot" (boolean, false when absent)}}.
     */
    public static Host host(JsonNode h) {
        Map<String, String> mappings = new TreeMap<>();
        h.path("bridge_mappings").fields().forEachRemaining(e -> mappings.put(e.getKey(), e.getValue().asText()));
        return new Host(h.path("name").asText(), h.path("tunnel_ip").asText(),
                h.path("integration_bridge").asText("br-int"), h.path("datapath_id").asLong(), mappings,
                h.path("agent_version").asText(), h.path("heartbeat_millis").asLong(),
                h.path("flow_snapshot").asBoolean(false));
    }

    /**
     * A binding as its host's agent reported it at {@code /neutron/bindings/{port id}}:
     * {@code {"port_id", "host", "ofport", "attached_mac", "state": "PLUGGED"|"ERROR", "error", "network_id"}}
     * ({@code network_id}: the port's, empty for an unknown port; written by {@code neutron.HostRegistry}).
     */
    public static PortBinding binding(JsonNode b) {
        return new PortBinding(b.path("port_id").asText(), b.path("host").asText(),
                b.path("ofport").asInt(), b.path("attached_mac").asText(),
                PortBinding.State.valueOf(b.path("state").asText("ERROR").toUpperCase(Locale.ROOT)),
                b.path("error").asText(""));
    }

    /** A stored document's JSON. */
    public static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("unreadable document: " + e.getOriginalMessage(), e);
        }
    }

    private static String text(JsonNode n, String key) {
        return n.path(key).isNull() || n.path(key).isMissingNode() ? null : n.path(key).asText();
    }

    private static Integer integer(JsonNode n, String key) {
        return n.path(key).isNumber() ? n.path(key).asInt() : null;
    }

    public static Network network(JsonNode n) {
        return new Network(n.path("id").asText(), n.path("name").asText(), n.path("project_id").asText(),
                NetworkType.valueOf(n.path("provider:network_type").asText().toUpperCase(Locale.ROOT)),
                text(n, "provider:physical_network"), integer(n, "provider:segmentation_id"),
                n.path("router:external").asBoolean(), n.path("shared").asBoolean(), n.path("mtu").asInt(),
                n.path("admin_state_up").asBoolean(), n.path("revision_number").asLong());
    }

    public static Subnet subnet(JsonNode n) {
        List<IpRange> pools = new ArrayList<>();
        n.path("allocation_pools").forEach(p -> pools.add(new IpRange(p.path("start").asText(),
                p.path("end").asText())));
        List<String> dns = new ArrayList<>();
        n.path("dns_nameservers").forEach(d -> dns.add(d.asText()));
        return new Subnet(n.path("id").asText(), n.path("name").asText(), n.path("project_id").asText(),
                n.path("network_id").asText(), n.path("cidr").asText(), text(n, "gateway_ip"), pools, dns,
                routes(n.path("host_routes")), n.path("enable_dhcp").asBoolean(), n.path("revision_number").asLong());
    }

    private static List<HostRoute> routes(JsonNode routes) {
        List<HostRoute> out = new ArrayList<>();
        routes.forEach(r -> out.add(new HostRoute(r.path("destination").asText(), r.path("nexthop").asText())));
        return out;
    }

    private static List<FixedIp> fixedIps(JsonNode ips) {
        List<FixedIp> out = new ArrayList<>();
        ips.forEach(ip -> out.add(new FixedIp(ip.path("subnet_id").asText(), ip.path("ip_address").asText())));
        return out;
    }

    public static Port port(JsonNode n) {
        List<String> groups = new ArrayList<>();
        n.path("security_groups").forEach(g -> groups.add(g.asText()));
        List<AddressPair> pairs = new ArrayList<>();
        n.path("allowed_address_pairs").forEach(p -> pairs.add(new AddressPair(p.path("ip_address").asText(),
                p.path("mac_address").asText())));
        return new Port(n.path("id").asText(), n.path("name").asText(), n.path("project_id").asText(),
                n.path("network_id").asText(), n.path("mac_address").asText(), fixedIps(n.path("fixed_ips")),
                n.path("device_id").asText(), n.path("device_owner").asText(), n.path("binding:host_id").asText(),
                n.path("binding:vif_type").asText(), n.path("admin_state_up").asBoolean(), groups, pairs,
                n.path("port_security_enabled").asBoolean(), n.path("revision_number").asLong());
    }

    public static Router router(JsonNode n) {
        JsonNode g = n.path("external_gateway_info");
        ExternalGateway gateway = g.isObject() ? new ExternalGateway(g.path("network_id").asText(),
                g.path("enable_snat").asBoolean(), fixedIps(g.path("external_fixed_ips"))) : null;
        return new Router(n.path("id").asText(), n.path("name").asText(), n.path("project_id").asText(),
                n.path("admin_state_up").asBoolean(), gateway, n.path("ha").asBoolean(),
                n.path("distributed").asBoolean(), routes(n.path("routes")), n.path("revision_number").asLong());
    }

    public static FloatingIp floatingIp(JsonNode n) {
        return new FloatingIp(n.path("id").asText(), n.path("project_id").asText(),
                n.path("floating_network_id").asText(), n.path("floating_ip_address").asText(), text(n, "port_id"),
                text(n, "fixed_ip_address"), text(n, "router_id"), n.path("revision_number").asLong());
    }

    /** A group's own fields, without its rules (they are documents of their own). */
    public static SecurityGroup group(JsonNode g) {
        return new SecurityGroup(g.path("id").asText(), g.path("name").asText(), g.path("project_id").asText(),
                List.of(), g.path("revision_number").asLong());
    }

    public static SecurityGroupRule rule(JsonNode n) {
        return new SecurityGroupRule(n.path("id").asText(), n.path("security_group_id").asText(),
                n.path("direction").asText(), n.path("ethertype").asText(), text(n, "protocol"),
                integer(n, "port_range_min"), integer(n, "port_range_max"), text(n, "remote_ip_prefix"),
                text(n, "remote_group_id"));
    }
}
