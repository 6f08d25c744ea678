package io.flowkeeper.network;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.dhcp.DhcpBinding;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.network.neutron.GatewayRegistry;
import io.flowkeeper.network.neutron.HostRegistry;
import io.flowkeeper.network.neutron.NeutronException;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.Map;

/**
 * The routes host agents call, under {@code /v1/network} (the node's REST server has checked the API token):
 * <pre>
 * PUT    /v1/network/hosts/{name}               register, and every heartbeat: {"tunnel_ip", "integration_bridge",
 *                                               "datapath_id", "bridge_mappings": {physnet: bridge}, "agent_version",
 *                                               "flow_snapshot": bool, "snapshot": {"flows", "bytes",
 *                                               "age_millis", "state"}, "last_restore": {"agent_at_millis",
 *                                               "ago_millis", "flows", "duration_millis", "reason"}}
 * GET    /v1/network/hosts                      every host, with "alive", "snapshot": {"flows", "bytes",
 *                                               "written_millis", "state"}, "last_restore": {"at_millis",
 *                                               "flows", "duration_millis", "reason"} (times by the node's clock)
 *                                               and "local_dhcp": {"ports", "serving", "answered"}
 * GET    /v1/network/hosts/{name}               one host
 * DELETE /v1/network/hosts/{name}               forget a host (its bindings stay)
 * POST   /v1/network/hosts/{name}/bindings      a batch of plugs and unplugs: {"plugged": [{"port_id", "ofport",
 *                                               "attached_mac"}], "unplugged": [port id], "full": bool}
 * GET    /v1/network/hosts/{name}/tunnel-peers  {"gateway", "peers": [{"host", "tunnel_ip", "gateway"}]}: the hosts it
 *                                               needs VXLAN tunnels to; "gateway": the host renews a gateway lease
 *                                               (a tunnel with a gateway host at either end runs BFD)
 * GET    /v1/network/hosts/{name}/dhcp[?known=V] {"version", "lease_seconds", "bindings": [DhcpBinding]}: the DHCP
 *                                               bindings of the ports plugged on the host, for its agent's own DHCP
 *                                               server; {"version", "unchanged": true} when V is still the version
 * PUT    /v1/network/hosts/{name}/gateway-lease {"incarnation"}: a gateway host's lease, renewed every 200 ms;
 *                                               answers its state per router (see GatewayRegistry#renew)
 * GET    /v1/network/gateways                   every router's gateway: hosts, priorities, active, generation
 * GET    /v1/network/gateways/{router}          one router's gateway
 * PUT    /v1/network/gateways/{router}          {"preempt": bool}
 * </pre>
 * Errors are the /v1 shape, {@code {"error", "status"}}. Thread-safe.
 */
public final class AgentEndpoint implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HostRegistry hosts;
    private final GatewayRegistry gateways;
    private volatile Function<String, Set<String>> routedPeers = host -> Set.of();
    private volatile Function<String, List<DhcpBinding>> dhcpBindings = host -> List.of();
    private volatile long leaseSeconds;

    public AgentEndpoint(DatastoreService store, Clock clock) {
        this.hosts = new HostRegistry(store, clock);
        this.gateways = new GatewayRegistry(store, clock);
    }

    /**
     * Where the hosts a host reaches through routers come from (host name to host names): routing is done on the
     * sender's host, so it needs a tunnel to every host of every network routed to one of its own, not only to the
     * hosts it shares a network with.
     */
    public AgentEndpoint routedPeers(Function<String, Set<String>> peers) {
        this.routedPeers = peers;
        return this;
    }

    /**
     * Where a host's DHCP bindings come from (host name to its plugged ports' bindings), and the lease time the
     * answers give: the agent answers exactly as the switch's master does.
     */
    public AgentEndpoint dhcpBindings(Function<String, List<DhcpBinding>> bindings, long leaseSeconds) {
        this.dhcpBindings = bindings;
        this.leaseSeconds = leaseSeconds;
        return this;
    }

    /** Answers one request whose path starts with {@code /v1/network/}; never throws for bad input. */
    public ApiResponse handle(ApiRequest req) {
        try {
            return route(req);
        } catch (NeutronException e) {
            return error(e.status(), e.getMessage());
        }
    }

    private ApiResponse route(ApiRequest req) {
        String[] parts = req.path().replaceAll("/+$", "").split("/"); // "", v1, network, hosts, name, action
        if (parts.length >= 4 && parts[3].equals("gateways")) {
            return gateways(req, parts);
        }
        if (parts.length < 4 || !parts[3].equals("hosts")) {
            return error(404, "no such route: " + req.path());
        }
        String method = req.method();
        if (parts.length == 4) {
            if (!method.equals("GET")) {
                return notAllowed(method, "GET");
            }
            ObjectNode out = JSON.createObjectNode();
            var list = out.putArray("hosts");
            hosts.agents().forEach(a -> list.add(summary(a)));
            return ApiResponse.of(200, out);
        }
        String name = parts[4];
        if (parts.length == 5) {
            return switch (method) {
                case "PUT" -> ApiResponse.of(200, hosts.register(name, body(req)));
                case "GET" -> hosts.agents().stream().filter(a -> a.path("host").asText().equals(name)).findFirst()
                        .map(a -> ApiResponse.of(200, summary(a)))
                        .orElseGet(() -> error(404, "no host " + name));
                case "DELETE" -> hosts.forget(name) ? new ApiResponse(204, Map.of(), null)
                        : error(404, "no host " + name);
                default -> notAllowed(method, "PUT, GET, DELETE");
            };
        }
        if (parts.length == 6 && parts[5].equals("bindings")) {
            return method.equals("POST") ? ApiResponse.of(200, hosts.report(name, body(req)))
                    : notAllowed(method, "POST");
        }
        if (parts.length == 6 && parts[5].equals("tunnel-peers")) {
            if (!method.equals("GET")) {
                return notAllowed(method, "GET");
            }
            ObjectNode out = JSON.createObjectNode();
            var peers = hosts.tunnelPeers(name, routedPeers.apply(name));
            // BFD runs on a tunnel with a gateway host at either end: both ends read the same flag of the other
            Set<String> gateways = this.gateways.gatewayHosts();
            out.put("gateway", gateways.contains(name));
            peers.forEach(p -> ((ObjectNode) p).put("gateway", gateways.contains(p.path("host").asText())));
            out.set("peers", peers);
            return ApiResponse.of(200, out);
        }
        if (parts.length == 6 && parts[5].equals("dhcp")) {
            if (!method.equals("GET")) {
                return notAllowed(method, "GET");
            }
            List<DhcpBinding> list = dhcpBindings.apply(name);
            String version = Integer.toHexString(list.hashCode()) + "-" + list.size();
            ObjectNode out = JSON.createObjectNode().put("version", version);
            if (version.equals(req.param("known"))) {
                return ApiResponse.of(200, out.put("unchanged", true));
            }
            out.put("lease_seconds", leaseSeconds).set("bindings", JSON.valueToTree(list));
            return ApiResponse.of(200, out);
        }
        if (parts.length == 6 && parts[5].equals("gateway-lease")) {
            return method.equals("PUT") ? ApiResponse.of(200, gateways.renew(name, body(req)))
                    : notAllowed(method, "PUT");
        }
        return error(404, "no such route: " + req.path());
    }

    private ApiResponse gateways(ApiRequest req, String[] parts) {
        String method = req.method();
        if (parts.length == 4) {
            if (!method.equals("GET")) {
                return notAllowed(method, "GET");
            }
            ObjectNode out = JSON.createObjectNode();
            out.set("gateways", gateways.gateways());
            return ApiResponse.of(200, out);
        }
        if (parts.length != 5) {
            return error(404, "no such route: " + req.path());
        }
        if (!parts[4].matches("[0-9a-f-]{36}")) {
            return error(404, "not a router id: '" + parts[4].substring(0, Math.min(parts[4].length(), 40)) + "'");
        }
        return switch (method) {
            case "GET" -> gateways.gateway(parts[4]).map(g -> ApiResponse.of(200, g))
                    .orElseGet(() -> error(404, "router " + parts[4] + " has no gateway placed"));
            case "PUT" -> ApiResponse.of(200, gateways.update(parts[4], body(req)));
            default -> notAllowed(method, "GET, PUT");
        };
    }

    /** A host as this API shows it: its registration, whether its agent is alive, and its agent id. */
    private static ObjectNode summary(ObjectNode agent) {
        ObjectNode conf = (ObjectNode) agent.path("configurations");
        ObjectNode h = JSON.createObjectNode();
        h.put("name", agent.path("host").asText()).put("alive", agent.path("alive").asBoolean())
                .put("tunnel_ip", conf.path("tunneling_ip").asText())
                .put("integration_bridge", conf.path("integration_bridge").asText())
                .set("bridge_mappings", conf.path("bridge_mappings"));
        h.put("agent_version", conf.path("agent_version").asText())
                .put("heartbeat", agent.path("heartbeat_timestamp").asText())
                .put("agent_id", agent.path("id").asText());
        for (String figures : new String[] {"snapshot", "last_restore", "local_dhcp"}) {
            if (conf.has(figures)) {
                h.set(figures, conf.get(figures));
            }
        }
        return h;
    }

    private static JsonNode body(ApiRequest req) {
        try {
            JsonNode n = JSON.readTree(req.body());
            if (n == null || !n.isObject()) {
                throw NeutronException.badRequest("expected a JSON object");
            }
            return n;
        } catch (IOException e) {
            throw NeutronException.badRequest("malformed JSON: " + e.getMessage());
        }
    }

    private static ApiResponse notAllowed(String method, String allowed) {
        return error(405, "method " + method + " not allowed here (use " + allowed + ")");
    }

    /** Stops the watch the tunnel answers are kept from. */
    @Override
    public void close() {
        hosts.close();
    }

    private static ApiResponse error(int status, String message) {
        return ApiResponse.of(status, JSON.createObjectNode().put("error", message).put("status", status));
    }
}
