package io.flowkeeper.network.neutron;

import io.flowkeeper.api.store.VersionedValue;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.cluster.testing.InMemoryDatastore;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.network.ApiRequest;
import io.flowkeeper.network.ApiResponse;
import io.flowkeeper.network.NetworkSettings;
import io.flowkeeper.network.identity.Caller;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The Neutron handlers over an in-memory datastore: semantics, errors, allocation under contention. */
class NeutronApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Caller ADMIN = new Caller("u-admin", "admin", "p-admin", "admin", List.of("admin", "member"));
    static final Caller DEMO = new Caller("u-demo", "demo", "p-demo", "demo", List.of("member"));
    static final Caller ALT = new Caller("u-alt", "alt", "p-alt", "alt", List.of("member"));

    private final InMemoryDatastore store = new InMemoryDatastore();
    private final NeutronApi api = new NeutronApi(store, NetworkSettings.fromYaml(yaml(
            "{\"vxlan-vni-ranges\": [\"100:109\"], \"vlan-ranges\": {\"physnet1\": \"100:199\"},"
                    + " \"flat-networks\": [\"extnet\"]}")), Clock.systemUTC());

    static JsonNode yaml(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    ApiResponse call(Caller caller, String method, String pathAndQuery, String body) {
        return call(api, caller, method, pathAndQuery, body);
    }

    static ApiResponse call(NeutronApi api, Caller caller, String method, String pathAndQuery, String body) {
        int q = pathAndQuery.indexOf('?');
        Map<String, List<String>> query = new LinkedHashMap<>();
        if (q >= 0) {
            for (String kv : pathAndQuery.substring(q + 1).split("&")) {
                int eq = kv.indexOf('=');
                query.computeIfAbsent(kv.substring(0, eq), k -> new ArrayList<>()).add(kv.substring(eq + 1));
            }
        }
        return api.handle(new ApiRequest(method, q < 0 ? pathAndQuery : pathAndQuery.substring(0, q), query,
                Map.of(), body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8), "http://test"), caller);
    }

    JsonNode ok(int status, ApiResponse r) {
        assertThat(r.status()).as("%s", r.body()).isEqualTo(status);
        return r.body();
    }

    void error(int status, String type, ApiResponse r) {
        assertThat(r.status()).as("%s", r.body()).isEqualTo(status);
        assertThat(r.body().path("NeutronError").path("type").asText()).isEqualTo(type);
    }

    String network(Caller c, String body) {
        return ok(201, call(c, "POST", "/v2.0/networks", "{\"network\": " + body + "}")).path("network").path("id")
                .asText();
    }

    String subnet(Caller c, String network, String extra) {
        return ok(201, call(c, "POST", "/v2.0/subnets", "{\"subnet\": {\"network_id\": \"" + network
                + "\", \"ip_version\": 4" + extra + "}}")).path("subnet").path("id").asText();
    }

    @Test
    void networkSubnetPortLifecycle() {
        String net = network(DEMO, "{\"name\": \"n1\", \"mtu\": \"1400\"}");
        JsonNode shown = ok(200, call(DEMO, "GET", "/v2.0/networks/" + net, null)).path("network");
        assertThat(shown.path("provider:network_type").asText()).isEqualTo("vxlan");
        assertThat(shown.path("provider:segmentation_id").asInt()).isBetween(100, 109);
        assertThat(shown.path("mtu").asInt()).isEqualTo(1400);
        assertThat(shown.path("revision_number").asInt()).isEqualTo(1);
        String sub = subnet(DEMO, net, ", \"cidr\": \"10.0.0.0/24\", \"allocation_pools\": [{\"start\": \"10.0.0.10\","
                + " \"end\": \"10.0.0.20\"}], \"dns_nameservers\": [\"10.0.0.2\"], \"host_routes\": [{\"destination\":"
                + " \"192.168.0.0/16\", \"nexthop\": \"10.0.0.254\"}]");
        JsonNode subnet = ok(200, call(DEMO, "GET", "/v2.0/subnets/" + sub, null)).path("subnet");
        assertThat(subnet.path("gateway_ip").asText()).isEqualTo("10.0.0.1");
        assertThat(ok(200, call(DEMO, "GET", "/v2.0/networks/" + net, null)).path("network").path("subnets").get(0)
                .asText()).isEqualTo(sub);

        JsonNode port = ok(201, call(DEMO, "POST", "/v2.0/ports", "{\"port\": {\"network_id\": \"" + net
                + "\", \"name\": \"p1\"}}")).path("port");
        String ip = port.path("fixed_ips").get(0).path("ip_address").asText();
        assertThat(ip).matches("10\\.0\\.0\\.(1\\d|20)");
        assertThat(port.path("mac_address").asText()).startsWith("fa:16:3e:");
        assertThat(port.path("security_groups")).hasSize(1);
        String requested = ok(201, call(DEMO, "POST", "/v2.0/ports", "{\"port\": {\"network_id\": \"" + net
                + "\", \"fixed_ips\": [{\"ip_address\": \"10.0.0.50\"}], \"mac_address\": \"fa:16:3e:00:00:01\"}}"))
                .path("port").path("id").asText();
        error(409, "IpAddressAlreadyAllocated", call(DEMO, "POST", "/v2.0/ports", "{\"port\": {\"network_id\": \""
                + net + "\", \"fixed_ips\": [{\"ip_address\": \"10.0.0.50\"}]}}"));
        error(409, "MacAddressInUse", call(DEMO, "POST", "/v2.0/ports", "{\"port\": {\"network_id\": \"" + net
                + "\", \"mac_address\": \"FA:16:3E:00:00:01\"}}"));
        error(409, "SubnetInUse", call(DEMO, "DELETE", "/v2.0/subnets/" + sub, null));
        error(409, "NetworkInUse", call(DEMO, "DELETE", "/v2.0/networks/" + net, null));

        assertThat(ok(200, call(DEMO, "GET", "/v2.0/ports?network_id=" + net, null)).path("ports")).hasSize(2);
        assertThat(ok(200, call(DEMO, "GET", "/v2.0/ports?network_id=" + sub + "&network_id=" + net
                + "&fixed_ips=subnet_id=" + sub, null)).path("ports")).hasSize(2);
        assertThat(ok(200, call(DEMO, "GET", "/v2.0/ports?network_id=" + sub, null)).path("ports")).isEmpty();
        assertThat(ok(200, call(DEMO, "GET", "/v2.0/ports?fixed_ips=ip_address=10.0.0.50", null)).path("ports")
                .get(0).path("id").asText()).isEqualTo(requested);
        List<io.flowkeeper.api.network.Port> model = new io.flowkeeper.network.NetworkManager(store).ports();
        assertThat(model).extracting(io.flowkeeper.api.network.Port::macAddress).contains("fa:16:3e:00:00:01");
        assertThat(new io.flowkeeper.network.NetworkManager(store).network(net).orElseThrow().segmentationId())
                .isBetween(100, 109);
        JsonNode updated = ok(200, call(DEMO, "PUT", "/v2.0/ports/" + requested, "{\"port\": {\"name\": \"renamed\","
                + " \"fixed_ips\": [{\"ip_address\": \"10.0.0.51\"}]}}")).path("port");
        assertThat(updated.path("revision_number").asInt()).isEqualTo(2);
        assertThat(updated.path("fixed_ips").get(0).path("ip_address").asText()).isEqualTo("10.0.0.51");
        assertThat(keys("/neutron/ipam/" + sub)).contains("/neutron/ipam/" + sub
                + "/10.0.0.51").doesNotContain("/neutron/ipam/" + sub + "/10.0.0.50");

        ok(204, call(DEMO, "DELETE", "/v2.0/ports/" + port.path("id").asText(), null));
        ok(204, call(DEMO, "DELETE", "/v2.0/ports/" + requested, null));
        assertThat(keys("/neutron/ipam")).isEmpty();
        assertThat(keys("/neutron/macs")).isEmpty();
        ok(204, call(DEMO, "DELETE", "/v2.0/subnets/" + sub, null));
        ok(204, call(DEMO, "DELETE", "/v2.0/networks/" + net, null));
        assertThat(keys("/neutron/segments")).isEmpty();
        assertThat(keys("/neutron/deleting")).isEmpty();
    }

    @Test
    void providerNetworksRouterAndFloatingIp() {
        String vlan = network(ADMIN, "{\"provider:network_type\": \"vlan\", \"provider:physical_network\": "
                + "\"physnet1\", \"provider:segmentation_id\": \"150\"}");
        error(409, "VlanIdInUse", call(ADMIN, "POST", "/v2.0/networks", "{\"network\": {\"provider:network_type\":"
                + " \"vlan\", \"provider:physical_network\": \"physnet1\", \"provider:segmentation_id\": 150}}"));
        error(400, "InvalidInput", call(ADMIN, "POST", "/v2.0/networks", "{\"network\": {\"provider:network_type\":"
                + " \"vlan\", \"provider:physical_network\": \"physnet1\", \"provider:segmentation_id\": 4095}}"));
        error(403, "HTTPForbidden", call(DEMO, "POST", "/v2.0/networks", "{\"network\": {\"provider:network_type\":"
                + " \"vlan\"}}"));
        String ext = network(ADMIN, "{\"router:external\": true, \"provider:network_type\": \"flat\","
                + " \"provider:physical_network\": \"extnet\"}");
        String extSubnet = subnet(ADMIN, ext, ", \"cidr\": \"172.24.4.0/24\"");
        String net = network(DEMO, "{}");
        String sub = subnet(DEMO, net, ", \"cidr\": \"10.1.0.0/24\"");
        JsonNode router = ok(201, call(DEMO, "POST", "/v2.0/routers", "{\"router\": {\"name\": \"r1\","
                + " \"external_gateway_info\": {\"network_id\": \"" + ext + "\"}}}")).path("router");
        String routerId = router.path("id").asText();
        assertThat(router.path("external_gateway_info").path("external_fixed_ips").get(0).path("subnet_id").asText())
                .isEqualTo(extSubnet);
        JsonNode iface = ok(200, call(DEMO, "PUT", "/v2.0/routers/" + routerId + "/add_router_interface",
                "{\"subnet_id\": \"" + sub + "\"}"));
        assertThat(iface.path("subnet_id").asText()).isEqualTo(sub);
        String port = ok(201, call(DEMO, "POST", "/v2.0/ports", "{\"port\": {\"network_id\": \"" + net + "\"}}"))
                .path("port").path("id").asText();
        JsonNode fip = ok(201, call(DEMO, "POST", "/v2.0/floatingips", "{\"floatingip\": {\"floating_network_id\": \""
                + ext + "\", \"port_id\": \"" + port + "\"}}")).path("floatingip");
        assertThat(fip.path("router_id").asText()).isEqualTo(routerId);
        error(409, "FloatingIPPortAlreadyAssociated", call(DEMO, "POST", "/v2.0/floatingips", "{\"floatingip\": "
                + "{\"floating_network_id\": \"" + ext + "\", \"port_id\": \"" + port + "\"}}"));
        // a port with no router path to the external network: Neutron's 404, and nothing written (no address taken)
        String lone = network(DEMO, "{}");
        subnet(DEMO, lone, ", \"cidr\": \"10.2.0.0/24\"");
        String lonePort = ok(201, call(DEMO, "POST", "/v2.0/ports", "{\"port\": {\"network_id\": \"" + lone
                + "\"}}")).path("port").path("id").asText();
        List<String> fips = keys("/neutron/floatingips");
        List<String> ipam = keys("/neutron/ipam");
        ApiResponse unreachable = call(DEMO, "POST", "/v2.0/floatingips", "{\"floatingip\": {\"floating_network_id\": \""
                + ext + "\", \"port_id\": \"" + lonePort + "\"}}");
        error(404, "ExternalGatewayForFloatingIPNotFound", unreachable);
        assertThat(unreachable.body().path("NeutronError").path("message").asText()).contains("External network " + ext
                + " is not reachable from subnet").contains("cannot associate Port " + lonePort + " with a Floating IP");
        assertThat(keys("/neutron/floatingips")).isEqualTo(fips);
        assertThat(keys("/neutron/ipam")).isEqualTo(ipam);
        ok(204, call(DEMO, "DELETE", "/v2.0/ports/" + lonePort, null));
        ok(204, call(ADMIN, "DELETE", "/v2.0/networks/" + lone, null));
        error(409, "RouterInUse", call(DEMO, "DELETE", "/v2.0/routers/" + routerId, null));
        error(409, "ServicePortInUse", call(DEMO, "DELETE", "/v2.0/ports/" + iface.path("port_id").asText(), null));
        ok(204, call(DEMO, "DELETE", "/v2.0/floatingips/" + fip.path("id").asText(), null));
        ok(204, call(DEMO, "DELETE", "/v2.0/ports/" + port, null));
        ok(200, call(DEMO, "PUT", "/v2.0/routers/" + routerId + "/remove_router_interface", "{\"subnet_id\": \""
                + sub + "\"}"));
        ok(204, call(DEMO, "DELETE", "/v2.0/routers/" + routerId, null));
        for (String n : List.of(net, ext, vlan)) {
            ok(204, call(ADMIN, "DELETE", "/v2.0/networks/" + n, null));
        }
        assertThat(keys("/neutron/ipam")).isEmpty();
        assertThat(keys("/neutron/ports")).isEmpty();
        assertThat(keys("/neutron/segments")).isEmpty();
    }

    @Test
    void routerInterfaceBadInputIsRefusedInNeutronsShapeWithNothingWritten() {
        String net1 = network(DEMO, "{}");
        String sub1 = subnet(DEMO, net1, ", \"cidr\": \"10.5.0.0/24\"");
        String net2 = network(DEMO, "{}");
        String overlapping = subnet(DEMO, net2, ", \"cidr\": \"10.5.0.128/25\"");
        String net3 = network(DEMO, "{}");
        String sub3 = subnet(DEMO, net3, ", \"cidr\": \"10.6.0.0/24\"");
        String r1 = ok(201, call(DEMO, "POST", "/v2.0/routers", "{\"router\": {\"name\": \"r1\"}}")).path("router")
                .path("id").asText();
        String r2 = ok(201, call(DEMO, "POST", "/v2.0/routers", "{\"router\": {\"name\": \"r2\"}}")).path("router")
                .path("id").asText();
        ok(200, call(DEMO, "PUT", "/v2.0/routers/" + r1 + "/add_router_interface", "{\"subnet_id\": \"" + sub1
                + "\"}"));
        String spare = ok(201, call(DEMO, "POST", "/v2.0/ports", "{\"port\": {\"network_id\": \"" + net1 + "\"}}"))
                .path("port").path("id").asText();
        int keys = keys("/").size();

        // the same subnet again on the same router: Neutron's message
        ApiResponse again = call(DEMO, "PUT", "/v2.0/routers/" + r1 + "/add_router_interface", "{\"subnet_id\": \""
                + sub1 + "\"}");
        error(400, "HTTPBadRequest", again);
        assertThat(again.body().path("NeutronError").path("message").asText())
                .isEqualTo("Bad router request: Router already has a port on subnet " + sub1 + ".");
        // an interface overlapping one the router has
        ApiResponse overlap = call(DEMO, "PUT", "/v2.0/routers/" + r1 + "/add_router_interface",
                "{\"subnet_id\": \"" + overlapping + "\"}");
        error(400, "HTTPBadRequest", overlap);
        assertThat(overlap.body().path("NeutronError").path("message").asText()).startsWith("Bad router request: Cidr")
                .contains("overlaps with cidr 10.5.0.0/24");
        // the subnet on a second router, by subnet (its gateway is taken) and by port
        ApiResponse second = call(DEMO, "PUT", "/v2.0/routers/" + r2 + "/add_router_interface", "{\"subnet_id\": \""
                + sub1 + "\"}");
        error(409, "SubnetInUseByRouter", second);
        assertThat(second.body().path("NeutronError").path("message").asText()).contains(r1);
        error(409, "SubnetInUseByRouter", call(DEMO, "PUT", "/v2.0/routers/" + r2 + "/add_router_interface",
                "{\"port_id\": \"" + spare + "\"}"));
        assertThat(keys("/")).as("nothing written by a refused request").hasSize(keys);
        // a static route through an interface keeps it
        ok(200, call(DEMO, "PUT", "/v2.0/routers/" + r1 + "/add_router_interface", "{\"subnet_id\": \"" + sub3
                + "\"}"));
        keys = keys("/").size();
        error(400, "InvalidRoutes", call(DEMO, "PUT", "/v2.0/routers/" + r1, "{\"router\": {\"routes\": "
                + "[{\"destination\": \"172.16.0.0/16\", \"nexthop\": \"10.7.0.5\"}]}}"));
        ok(200, call(DEMO, "PUT", "/v2.0/routers/" + r1, "{\"router\": {\"routes\": [{\"destination\": "
                + "\"172.16.0.0/16\", \"nexthop\": \"10.6.0.5\"}]}}"));
        error(409, "RouterInterfaceInUseByRoute", call(DEMO, "PUT", "/v2.0/routers/" + r1
                + "/remove_router_interface", "{\"subnet_id\": \"" + sub3 + "\"}"));
        assertThat(keys("/")).hasSize(keys);
        assertThat(ok(200, call(DEMO, "GET", "/v2.0/ports?device_id=" + r1, null)).path("ports")).hasSize(2);
        assertThat(ok(200, call(DEMO, "GET", "/v2.0/ports?device_id=" + r2, null)).path("ports")).isEmpty();
        // once the route goes, so may the interface
        ok(200, call(DEMO, "PUT", "/v2.0/routers/" + r1, "{\"router\": {\"routes\": []}}"));
        ok(200, call(DEMO, "PUT", "/v2.0/routers/" + r1 + "/remove_router_interface", "{\"subnet_id\": \"" + sub3
                + "\"}"));
    }

    @Test
    void badInputIsAnsweredInNeutronsShapeWithNoPartialWrite() {
        String net = network(DEMO, "{}");
        subnet(DEMO, net, ", \"cidr\": \"10.2.0.0/24\"");
        int keys = keys("/").size();
        error(400, "HTTPBadRequest", call(DEMO, "POST", "/v2.0/networks", "{\"network\": {\"colour\": \"red\"}}"));
        error(400, "InvalidInput", call(DEMO, "POST", "/v2.0/subnets", "{\"subnet\": {\"network_id\": \"" + net
                + "\", \"ip_version\": 4, \"cidr\": \"10.3.0.1/24\"}}"));
        error(400, "InvalidInput", call(DEMO, "POST", "/v2.0/subnets", "{\"subnet\": {\"network_id\": \"" + net
                + "\", \"ip_version\": 4, \"cidr\": \"10.3.0.0/24\", \"gateway_ip\": \"10.4.0.1\"}}"));
        error(400, "OverlappingAllocationPools", call(DEMO, "POST", "/v2.0/subnets", "{\"subnet\": {\"network_id\": \""
                + net + "\", \"ip_version\": 4, \"cidr\": \"10.3.0.0/24\", \"allocation_pools\": [{\"start\": "
                + "\"10.3.0.10\", \"end\": \"10.3.0.20\"}, {\"start\": \"10.3.0.15\", \"end\": \"10.3.0.30\"}]}}"));
        error(400, "InvalidIpForNetwork", call(DEMO, "POST", "/v2.0/ports", "{\"port\": {\"network_id\": \"" + net
                + "\", \"fixed_ips\": [{\"ip_address\": \"192.168.1.1\"}]}}"));
        error(400, "InvalidInput", call(DEMO, "POST", "/v2.0/networks", "{\"network\": {\"name\": \""
                + "x".repeat(1 << 20) + "\"}}"));
        error(404, "NetworkNotFound", call(DEMO, "GET", "/v2.0/networks/not-a-uuid", null));
        error(400, "InvalidInput", call(DEMO, "POST", "/v2.0/ports", "{\"port\": {\"network_id\": \"nope\"}}"));
        error(404, "NetworkNotFound", call(ALT, "POST", "/v2.0/subnets", "{\"subnet\": {\"network_id\": \"" + net
                + "\", \"ip_version\": 4, \"cidr\": \"10.9.0.0/24\"}}"));
        error(400, "HTTPBadRequest", call(DEMO, "POST", "/v2.0/networks", "{not json"));
        assertThat(keys("/")).hasSize(keys);
    }

    @Test
    void bulkCreateIsAllOrNothingAndUpdatesHonourIfMatch() {
        String net = network(DEMO, "{}");
        subnet(DEMO, net, ", \"cidr\": \"10.6.0.0/24\"");
        JsonNode bulk = ok(201, call(DEMO, "POST", "/v2.0/ports", "{\"ports\": [{\"network_id\": \"" + net
                + "\"}, {\"network_id\": \"" + net + "\", \"fixed_ips\": [{\"ip_address\": \"10.6.0.9\"}]}]}"));
        assertThat(bulk.path("ports")).hasSize(2);
        int keys = keys("/").size();
        error(409, "IpAddressAlreadyAllocated", call(DEMO, "POST", "/v2.0/ports", "{\"ports\": [{\"network_id\": \""
                + net + "\"}, {\"network_id\": \"" + net + "\", \"fixed_ips\": [{\"ip_address\": \"10.6.0.9\"}]}]}"));
        assertThat(keys("/")).hasSize(keys);
        String port = bulk.path("ports").get(0).path("id").asText();
        ApiResponse stale = api.handle(new ApiRequest("PUT", "/v2.0/ports/" + port, Map.of(),
                Map.of("if-match", "revision_number=7"), "{\"port\": {\"name\": \"x\"}}".getBytes(
                StandardCharsets.UTF_8), "http://test"), DEMO);
        error(412, "RevisionNumberConstraintFailed", stale);
        ApiResponse fresh = api.handle(new ApiRequest("PUT", "/v2.0/ports/" + port, Map.of(),
                Map.of("if-match", "revision_number=1"), "{\"port\": {\"name\": \"x\"}}".getBytes(
                StandardCharsets.UTF_8), "http://test"), DEMO);
        assertThat(ok(200, fresh).path("port").path("revision_number").asInt()).isEqualTo(2);
        error(405, "HTTPMethodNotAllowed", call(DEMO, "PATCH", "/v2.0/ports/" + port, "{}"));
        assertThat(ok(200, call(DEMO, "GET", "/v2.0/extensions", null)).path("extensions").size()).isPositive();
        error(404, "ExtensionNotFound", call(DEMO, "GET", "/v2.0/extensions/tag-ports-during-bulk-creation", null));
    }

    @Test
    void projectsAreIsolated() {
        String mine = network(DEMO, "{\"name\": \"mine\"}");
        String shared = network(ADMIN, "{\"name\": \"shared\", \"shared\": true}");
        JsonNode seen = ok(200, call(ALT, "GET", "/v2.0/networks", null)).path("networks");
        assertThat(seen).extracting(n -> n.path("id").asText()).containsExactly(shared);
        error(404, "NetworkNotFound", call(ALT, "GET", "/v2.0/networks/" + mine, null));
        error(404, "NetworkNotFound", call(ALT, "DELETE", "/v2.0/networks/" + mine, null));
        error(403, "HTTPForbidden", call(ALT, "DELETE", "/v2.0/networks/" + shared, null));
        assertThat(ok(200, call(ADMIN, "GET", "/v2.0/networks", null)).path("networks")).hasSize(2);
    }

    @Test
    void listsFilterSortAndPage() {
        for (int i = 0; i < 5; i++) {
            network(DEMO, "{\"name\": \"net-" + i + "\", \"admin_state_up\": " + (i % 2 == 0) + "}");
        }
        JsonNode up = ok(200, call(DEMO, "GET", "/v2.0/networks?admin_state_up=True&fields=name&sort_key=name"
                + "&sort_dir=desc", null)).path("networks");
        assertThat(up).extracting(n -> n.path("name").asText()).containsExactly("net-4", "net-2", "net-0");
        assertThat(up.get(0).has("id")).isFalse();
        JsonNode or = ok(200, call(DEMO, "GET", "/v2.0/networks?name=net-1&name=net-3", null)).path("networks");
        assertThat(or).hasSize(2);
        JsonNode page = ok(200, call(DEMO, "GET", "/v2.0/networks?sort_key=name&limit=2", null));
        assertThat(page.path("networks")).extracting(n -> n.path("name").asText()).containsExactly("net-0", "net-1");
        String marker = page.path("networks").get(1).path("id").asText();
        assertThat(page.path("networks_links").get(0).path("href").asText()).contains("marker=" + marker);
        JsonNode next = ok(200, call(DEMO, "GET", "/v2.0/networks?sort_key=name&limit=2&marker=" + marker, null));
        assertThat(next.path("networks")).extracting(n -> n.path("name").asText()).containsExactly("net-2", "net-3");
        error(404, "NetworkNotFound", call(DEMO, "GET", "/v2.0/networks/net-1", null));

        // Plain id-order pages (read without parsing the rest) agree with sorted pages, to the last one.
        String from = null;
        List<String> fast = new ArrayList<>();
        List<String> sorted = new ArrayList<>();
        for (int p = 0; p < 3; p++) {
            String m = from == null ? "" : "&marker=" + from;
            JsonNode a = ok(200, call(DEMO, "GET", "/v2.0/networks?limit=2" + m, null));
            JsonNode b = ok(200, call(DEMO, "GET", "/v2.0/networks?sort_key=id&limit=2" + m, null));
            a.path("networks").forEach(n -> fast.add(n.path("id").asText()));
            b.path("networks").forEach(n -> sorted.add(n.path("id").asText()));
            assertThat(a.path("networks_links").size()).isEqualTo(b.path("networks_links").size());
            from = fast.get(fast.size() - 1);
        }
        assertThat(fast).hasSize(5).isSorted().isEqualTo(sorted);
    }

    @Test
    void securityGroupsComeWithRulesAndADefaultGroup() {
        JsonNode groups = ok(200, call(DEMO, "GET", "/v2.0/security-groups", null)).path("security_groups");
        assertThat(groups).hasSize(1);
        assertThat(groups.get(0).path("name").asText()).isEqualTo("default");
        assertThat(groups.get(0).path("security_group_rules")).hasSize(4);
        String sg = ok(201, call(DEMO, "POST", "/v2.0/security-groups", "{\"security_group\": {\"name\": \"web\"}}"))
                .path("security_group").path("id").asText();
        String rule = "{\"security_group_rule\": {\"security_group_id\": \"" + sg + "\", \"direction\": \"ingress\","
                + " \"protocol\": \"tcp\", \"port_range_min\": 80, \"port_range_max\": \"80\"}}";
        ok(201, call(DEMO, "POST", "/v2.0/security-group-rules", rule));
        error(409, "SecurityGroupRuleExists", call(DEMO, "POST", "/v2.0/security-group-rules", rule));
        assertThat(ok(200, call(DEMO, "GET", "/v2.0/security-groups/" + sg, null)).path("security_group")
                .path("security_group_rules")).hasSize(3);
        error(409, "SecurityGroupCannotRemoveDefault", call(DEMO, "DELETE", "/v2.0/security-groups/"
                + groups.get(0).path("id").asText(), null));
        ok(204, call(DEMO, "DELETE", "/v2.0/security-groups/" + sg, null));
        assertThat(keys("/neutron/rule-keys/" + sg)).isEmpty();
    }

    /** The error's message, after checking its status and type. */
    String message(int status, String type, ApiResponse r) {
        error(status, type, r);
        return r.body().path("NeutronError").path("message").asText();
    }

    String rule(String group, String attributes) {
        return "{\"security_group_rule\": {\"security_group_id\": \"" + group + "\", \"direction\": \"ingress\""
                + attributes + "}}";
    }

    @Test
    void ruleProtocolsArePortNumbersOrNamesAndPortsAreCheckedAsNeutronWordsIt() {
        String sg = ok(201, call(DEMO, "POST", "/v2.0/security-groups", "{\"security_group\": {\"name\": \"g\"}}"))
                .path("security_group").path("id").asText();
        JsonNode udp = ok(201, call(DEMO, "POST", "/v2.0/security-group-rules", rule(sg, ", \"protocol\": 17")));
        assertThat(udp.path("security_group_rule").path("protocol").asText()).isEqualTo("17");
        error(409, "SecurityGroupRuleExists", call(DEMO, "POST", "/v2.0/security-group-rules",
                rule(sg, ", \"protocol\": \"17\"")));
        ok(201, call(DEMO, "POST", "/v2.0/security-group-rules", rule(sg, ", \"protocol\": 0")));
        error(400, "SecurityGroupRuleInvalidProtocol", call(DEMO, "POST", "/v2.0/security-group-rules",
                rule(sg, ", \"protocol\": 256")));
        error(400, "SecurityGroupRuleInvalidProtocol", call(DEMO, "POST", "/v2.0/security-group-rules",
                rule(sg, ", \"protocol\": true")));

        // tempest's cases (test_create_security_group_rule_with_invalid_ports): each message as Neutron words it.
        Map<String, String> tcp = new LinkedHashMap<>();
        tcp.put("-16, 80", "Invalid value for port -16");
        tcp.put("80, 79", "port_range_min must be <= port_range_max");
        tcp.put("80, 65536", "Invalid value for port 65536");
        tcp.put("null, 6", "port_range_min must be <= port_range_max");
        tcp.put("-16, 65536", "Invalid value for port");
        tcp.put("0, 80", "Invalid value for port 0");
        Map<String, String> icmp = new LinkedHashMap<>();
        icmp.put("1, 256", "Invalid value for ICMP code (port_range_max) 256. It must be 0 to 255.");
        icmp.put("-1, 25", "Invalid value for port -1");
        icmp.put("null, 6", "ICMP code (port-range-max) 6 is provided but ICMP type (port-range-min) is missing.");
        icmp.put("300, 1", "Invalid value for ICMP type (port_range_min) 300. It must be 0 to 255.");
        for (var protocol : Map.of("tcp", tcp, "icmp", icmp).entrySet()) {
            protocol.getValue().forEach((range, expected) -> {
                String[] minMax = range.split(", ");
                ApiResponse r = call(DEMO, "POST", "/v2.0/security-group-rules", rule(sg, ", \"protocol\": \""
                        + protocol.getKey() + "\", \"port_range_min\": " + minMax[0] + ", \"port_range_max\": "
                        + minMax[1]));
                assertThat(r.status()).as("%s %s: %s", protocol.getKey(), range, r.body()).isEqualTo(400);
                assertThat(r.body().path("NeutronError").path("message").asText()).as("%s %s", protocol.getKey(),
                        range).contains(expected);
            });
        }
        assertThat(message(400, "SecurityGroupInvalidPortValue", call(DEMO, "POST", "/v2.0/security-group-rules",
                rule(sg, ", \"protocol\": \"tcp\", \"port_range_min\": \"http\", \"port_range_max\": 80"))))
                .isEqualTo("Invalid value for port http");
        error(400, "SecurityGroupProtocolRequiredWithPorts", call(DEMO, "POST", "/v2.0/security-group-rules",
                rule(sg, ", \"port_range_min\": 22, \"port_range_max\": 22")));
        error(400, "SecurityGroupInvalidProtocolForPort", call(DEMO, "POST", "/v2.0/security-group-rules",
                rule(sg, ", \"protocol\": \"gre\", \"port_range_min\": 22, \"port_range_max\": 22")));
        JsonNode range = ok(201, call(DEMO, "POST", "/v2.0/security-group-rules", rule(sg, ", \"protocol\": \"6\","
                + " \"port_range_min\": \"22\", \"port_range_max\": 23"))).path("security_group_rule");
        assertThat(range.path("port_range_min").asInt()).isEqualTo(22);
        assertThat(range.path("port_range_max").asInt()).isEqualTo(23);
    }

    @Test
    void aRemoteGroupThatDoesNotExistIsNotFoundWhateverItsForm() {
        String sg = ok(201, call(DEMO, "POST", "/v2.0/security-groups", "{\"security_group\": {}}"))
                .path("security_group").path("id").asText();
        String other = ok(201, call(ALT, "POST", "/v2.0/security-groups", "{\"security_group\": {}}"))
                .path("security_group").path("id").asText();
        for (String remote : List.of("bad_group_id", "9f3c1f6e-1d2b-4c5a-8e7f-0a1b2c3d4e5f", other)) {
            error(404, "SecurityGroupNotFound", call(DEMO, "POST", "/v2.0/security-group-rules", rule(sg,
                    ", \"protocol\": \"tcp\", \"remote_group_id\": \"" + remote + "\"")));
        }
        JsonNode own = ok(201, call(DEMO, "POST", "/v2.0/security-group-rules", rule(sg, ", \"remote_group_id\": \""
                + sg.toUpperCase() + "\""))).path("security_group_rule");
        assertThat(own.path("remote_group_id").asText()).isEqualTo(sg);
    }

    @Test
    void noSecondGroupIsCalledDefault() {
        call(DEMO, "GET", "/v2.0/security-groups", null); // the project's own default group
        for (String name : List.of("default", "Default")) {
            error(409, "SecurityGroupDefaultAlreadyExists", call(DEMO, "POST", "/v2.0/security-groups",
                    "{\"security_group\": {\"name\": \"" + name + "\"}}"));
        }
        String sg = ok(201, call(DEMO, "POST", "/v2.0/security-groups", "{\"security_group\": {\"name\": \"web\"}}"))
                .path("security_group").path("id").asText();
        error(409, "SecurityGroupDefaultAlreadyExists", call(DEMO, "PUT", "/v2.0/security-groups/" + sg,
                "{\"security_group\": {\"name\": \"default\"}}"));
        assertThat(ok(200, call(DEMO, "PUT", "/v2.0/security-groups/" + sg, "{\"security_group\": {\"description\":"
                + " \"d\"}}")).path("security_group").path("name").asText()).isEqualTo("web");
        assertThat(ok(200, call(DEMO, "GET", "/v2.0/security-groups?name=default", null)).path("security_groups"))
                .hasSize(1);
    }

    @Test
    void anExternalNetworksSubnetsAreItsOwnersAndItsFloatingIpsGoWithIt() {
        String ext = network(ADMIN, "{\"router:external\": true}");
        String extSubnet = subnet(ADMIN, ext, ", \"cidr\": \"172.24.4.0/24\"");
        assertThat(ok(200, call(DEMO, "GET", "/v2.0/networks/" + ext, null)).path("network").path("id").asText())
                .isEqualTo(ext);
        assertThat(ok(200, call(DEMO, "GET", "/v2.0/subnets?network_id=" + ext, null)).path("subnets")).isEmpty();
        error(404, "SubnetNotFound", call(DEMO, "GET", "/v2.0/subnets/" + extSubnet, null));
        String shared = network(ADMIN, "{\"shared\": true}");
        subnet(ADMIN, shared, ", \"cidr\": \"10.8.0.0/24\"");
        assertThat(ok(200, call(DEMO, "GET", "/v2.0/subnets?network_id=" + shared, null)).path("subnets")).hasSize(1);

        // A project may still take a floating IP from it (the address comes from the subnet it cannot see).
        String fip = ok(201, call(DEMO, "POST", "/v2.0/floatingips", "{\"floatingip\": {\"floating_network_id\": \""
                + ext + "\"}}")).path("floatingip").path("id").asText();
        ok(201, call(ADMIN, "POST", "/v2.0/floatingips", "{\"floatingip\": {\"floating_network_id\": \"" + ext
                + "\"}}"));
        assertThat(keys("/neutron/ipam/" + extSubnet)).hasSize(2);
        ok(204, call(ADMIN, "DELETE", "/v2.0/networks/" + ext, null));
        assertThat(ok(200, call(ADMIN, "GET", "/v2.0/floatingips", null)).path("floatingips")).isEmpty();
        error(404, "FloatingIPNotFound", call(DEMO, "GET", "/v2.0/floatingips/" + fip, null));
        assertThat(keys("/neutron/floatingips")).isEmpty();
        assertThat(keys("/neutron/ipam/" + extSubnet)).isEmpty();
        assertThat(keys("/neutron/deleting")).isEmpty();
    }

    @Test
    void onlyAdminsSeeWhetherARouterIsDistributedOrHa() {
        String router = ok(201, call(DEMO, "POST", "/v2.0/routers", "{\"router\": {\"name\": \"r\"}}"))
                .path("router").path("id").asText();
        JsonNode asAdmin = ok(200, call(ADMIN, "PUT", "/v2.0/routers/" + router, "{\"router\": {\"distributed\":"
                + " true}}")).path("router");
        assertThat(asAdmin.path("distributed").asBoolean()).isTrue();
        assertThat(asAdmin.has("ha")).isTrue();
        JsonNode asMember = ok(200, call(DEMO, "GET", "/v2.0/routers/" + router, null)).path("router");
        assertThat(asMember.has("distributed")).isFalse();
        assertThat(asMember.has("ha")).isFalse();
        assertThat(ok(200, call(DEMO, "GET", "/v2.0/routers", null)).path("routers").get(0).has("distributed"))
                .isFalse();
        assertThat(ok(200, call(ADMIN, "GET", "/v2.0/routers/" + router, null)).path("router").path("distributed")
                .asBoolean()).isTrue();
    }

    @Test
    void portCreatesSkipTheBarrierYetSeeEveryWriteAcknowledgedOnAnotherNode() {
        LaggingReplica replica = new LaggingReplica(store);
        NeutronApi follower = new NeutronApi(replica, api.settings, Clock.systemUTC());
        String net = network(DEMO, "{}");
        // The follower's replica has not seen the network: its 404 is not answered before a barrier.
        String first = ok(201, call(follower, DEMO, "POST", "/v2.0/ports", "{\"port\": {\"network_id\": \"" + net
                + "\"}}")).path("port").path("id").asText();
        int barriers = replica.linearizableReads.get();
        // Now current: a create commits on the follower's view without asking the leader anything.
        ok(201, call(follower, DEMO, "POST", "/v2.0/ports", "{\"port\": {\"network_id\": \"" + net + "\"}}"));
        assertThat(replica.linearizableReads.get()).isEqualTo(barriers);

        // A subnet created elsewhere: the follower still sees a network without subnets, and must not create a
        // port with no address on it (the network it pinned has moved on: the commit fails, the create re-reads).
        String sub = subnet(DEMO, net, ", \"cidr\": \"10.7.0.0/29\"");
        JsonNode port = ok(201, call(follower, DEMO, "POST", "/v2.0/ports", "{\"port\": {\"network_id\": \""
                + net + "\"}}")).path("port");
        assertThat(port.path("fixed_ips")).hasSize(1);
        assertThat(port.path("fixed_ips").get(0).path("subnet_id").asText()).isEqualTo(sub);

        // A pool full in the follower's view but freed elsewhere: the 409 is not answered from the stale view.
        List<String> filling = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            filling.add(ok(201, call(follower, DEMO, "POST", "/v2.0/ports", "{\"port\": {\"network_id\": \"" + net
                    + "\"}}")).path("port").path("id").asText());
        }
        error(409, "IpAddressGenerationFailure", call(follower, DEMO, "POST", "/v2.0/ports",
                "{\"port\": {\"network_id\": \"" + net + "\"}}"));
        ok(204, call(DEMO, "DELETE", "/v2.0/ports/" + filling.get(0), null));
        assertThat(ok(201, call(follower, DEMO, "POST", "/v2.0/ports", "{\"port\": {\"network_id\": \"" + net
                + "\"}}")).path("port").path("fixed_ips")).hasSize(1);

        // A security group deleted elsewhere after the follower last looked: no port may name it.
        String sg = ok(201, call(DEMO, "POST", "/v2.0/security-groups", "{\"security_group\": {\"name\": \"g\"}}"))
                .path("security_group").path("id").asText();
        ok(200, call(follower, DEMO, "GET", "/v2.0/security-groups/" + sg, null));
        ok(204, call(DEMO, "DELETE", "/v2.0/security-groups/" + sg, null));
        ok(204, call(DEMO, "DELETE", "/v2.0/ports/" + filling.get(1), null));
        error(404, "SecurityGroupNotFound", call(follower, DEMO, "POST", "/v2.0/ports", "{\"port\": {\"network_id\": \""
                + net + "\", \"security_groups\": [\"" + sg + "\"]}}"));
        assertThat(keys("/neutron/ports")).hasSize(6).contains("/neutron/ports/" + first);
    }

    @Test
    void listsByNetworkReadItsPortsThroughTheIndexAfterIndexingOlderPorts() {
        String a = network(DEMO, "{}");
        String b = network(DEMO, "{}");
        List<String> onA = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            onA.add(ok(201, call(DEMO, "POST", "/v2.0/ports", "{\"port\": {\"network_id\": \"" + a + "\"}}"))
                    .path("port").path("id").asText());
        }
        String onB = ok(201, call(DEMO, "POST", "/v2.0/ports", "{\"port\": {\"network_id\": \"" + b + "\"}}"))
                .path("port").path("id").asText();
        // Ports from before the index: no entries, no completion mark; and an entry whose port is gone.
        store.commit("network-config", new io.flowkeeper.api.store.Transaction(List.of(), List.of(
                io.flowkeeper.api.store.Operation.deletePrefix("/neutron/network-ports"),
                io.flowkeeper.api.store.Operation.delete("/neutron/indexes/network-ports"),
                io.flowkeeper.api.store.Operation.put("/neutron/network-ports/" + a
                        + "/00000000-0000-0000-0000-000000000000", "{\"owner\": \"gone\"}"))));

        JsonNode listed = ok(200, call(DEMO, "GET", "/v2.0/ports?network_id=" + a, null)).path("ports");
        assertThat(listed).extracting(p -> p.path("id").asText()).containsExactlyElementsOf(
                onA.stream().sorted().toList());
        assertThat(keys("/neutron/indexes/network-ports")).hasSize(1);
        assertThat(keys("/neutron/network-ports/" + b)).containsExactly("/neutron/network-ports/" + b + "/" + onB);
        assertThat(ok(200, call(DEMO, "GET", "/v2.0/ports?network_id=" + a + "&network_id=" + b + "&fields=id",
                null)).path("ports")).hasSize(4);

        // From now on every port keeps its own entry.
        ok(204, call(DEMO, "DELETE", "/v2.0/ports/" + onA.get(0), null));
        String added = ok(201, call(DEMO, "POST", "/v2.0/ports", "{\"port\": {\"network_id\": \"" + a + "\"}}"))
                .path("port").path("id").asText();
        assertThat(ok(200, call(DEMO, "GET", "/v2.0/ports?network_id=" + a, null)).path("ports"))
                .extracting(p -> p.path("id").asText()).containsExactlyInAnyOrder(onA.get(1), onA.get(2), added);
        assertThat(ok(200, call(ALT, "GET", "/v2.0/ports?network_id=" + a, null)).path("ports")).isEmpty();
        for (String p : List.of(onA.get(1), onA.get(2), added, onB)) {
            ok(204, call(DEMO, "DELETE", "/v2.0/ports/" + p, null));
        }
        ok(204, call(DEMO, "DELETE", "/v2.0/networks/" + a, null));
        assertThat(keys("/neutron/network-ports")).isEmpty();
    }

    @Test
    void concurrentPortCreatesNeverShareAnAddressAndStopAtThePoolSize() throws Exception {
        String net = network(DEMO, "{}");
        String sub = subnet(DEMO, net, ", \"cidr\": \"10.5.0.0/24\", \"allocation_pools\": [{\"start\": \"10.5.0.2\","
                + " \"end\": \"10.5.0.251\"}]");
        ExecutorService pool = Executors.newFixedThreadPool(32);
        List<Future<ApiResponse>> calls = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            calls.add(pool.submit(() -> call(DEMO, "POST", "/v2.0/ports", "{\"port\": {\"network_id\": \"" + net
                    + "\"}}")));
        }
        Set<String> addresses = new HashSet<>();
        List<String> ports = new ArrayList<>();
        int conflicts = 0;
        for (Future<ApiResponse> f : calls) {
            ApiResponse r = f.get();
            if (r.status() == 201) {
                assertThat(addresses.add(r.body().path("port").path("fixed_ips").get(0).path("ip_address").asText()))
                        .isTrue();
                ports.add(r.body().path("port").path("id").asText());
            } else {
                error(409, "IpAddressGenerationFailure", r);
                conflicts++;
            }
        }
        pool.shutdown();
        assertThat(ports).hasSize(250);
        assertThat(conflicts).isEqualTo(50);
        assertThat(keys("/neutron/ipam/" + sub)).hasSize(250);
        for (String p : ports) {
            ok(204, call(DEMO, "DELETE", "/v2.0/ports/" + p, null));
        }
        assertThat(keys("/neutron/ipam/" + sub)).isEmpty();
        JsonNode availability = ok(200, call(ADMIN, "GET", "/v2.0/network-ip-availabilities/" + net, null));
        assertThat(availability.path("network_ip_availability").path("total_ips").asInt()).isEqualTo(250);
        assertThat(availability.path("network_ip_availability").path("used_ips").asInt()).isZero();
    }

    @Test
    void concurrentNetworkCreatesShareTheVniRangeExactly() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<ApiResponse>> calls = new ArrayList<>();
        for (int i = 0; i < 15; i++) {
            calls.add(pool.submit(() -> call(DEMO, "POST", "/v2.0/networks", "{\"network\": {}}")));
        }
        Set<Integer> vnis = new HashSet<>();
        int refused = 0;
        for (Future<ApiResponse> f : calls) {
            ApiResponse r = f.get();
            if (r.status() == 201) {
                assertThat(vnis.add(r.body().path("network").path("provider:segmentation_id").asInt())).isTrue();
            } else {
                error(503, "NoNetworkAvailable", r);
                refused++;
            }
        }
        pool.shutdown();
        assertThat(vnis).hasSize(10).allMatch(v -> v >= 100 && v <= 109);
        assertThat(refused).isEqualTo(5);
    }

    /** Every path at or below {@code prefix} in the network-config shard. */
    private List<String> keys(String prefix) {
        return store.list("network-config", DataPath.of(prefix), ReadConsistency.STALE).values().stream()
                .map(VersionedValue::path).toList();
    }
}
