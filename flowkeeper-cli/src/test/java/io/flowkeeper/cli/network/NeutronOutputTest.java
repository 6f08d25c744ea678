package io.flowkeeper.cli.network;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.cli.CannedServer;
import io.flowkeeper.cli.ConsoleCapture;
import io.flowkeeper.cli.Main;
import io.flowkeeper.cli.NodeCommand;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * How the Neutron commands render what a node answers: tables, show, JSON, paging, name look-up and errors. The
 * bodies are canned Neutron v2.0 JSON (the shapes of the API reference, as the openstack client receives them),
 * served over real HTTP; {@link NetworkCommandsTest} runs the same commands against a real cluster.
 */
class NeutronOutputTest {
    private static final String NET = "4e8e5957-649f-477b-9e5b-f1f75b21c03c";
    private static final String SUBNET = "9436e561-47bf-436a-b1f1-fe23a926e031";
    private static final String PORT = "d80b1a3b-4fc1-49f3-952e-1e2ab7081d8b";

    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();
    @RegisterExtension
    final CannedServer server = new CannedServer(
            "{'NeutronError':{'type':'HTTPNotFound','message':'The resource could not be found.','detail':''}}");

    private void answer(String path, int status, String json) {
        server.answer(path, status, json);
    }

    private String url() {
        return server.url();
    }

    private int run(String... args) {
        return NodeCommand.run(url(), server.tokenFile(), args);
    }

    private static String network(String id, String name, String type, Object segment, boolean external) {
        return "{'id':'" + id + "','name':'" + name + "','project_id':'demo','tenant_id':'demo',"
                + "'provider:network_type':'" + type + "','provider:physical_network':"
                + (type.equals("vxlan") ? "null" : "'physnet1'") + ",'provider:segmentation_id':" + segment
                + ",'mtu':" + (type.equals("vxlan") ? 1450 : 1500) + ",'router:external':" + external
                + ",'shared':false,'admin_state_up':true,'status':'ACTIVE','subnets':"
                + (name.equals("web") ? "['" + SUBNET + "']" : "[]") + ",'revision_number':2}";
    }

    private static String port() {
        return port(PORT, "10.0.0.5", "10.0.0.6");
    }

    private static String port(String id, String... ips) {
        List<String> fixed = new java.util.ArrayList<>();
        for (String ip : ips) {
            fixed.add("{'subnet_id':'" + SUBNET + "','ip_address':'" + ip + "'}");
        }
        return "{'id':'" + id + "','name':'vm1-eth0','network_id':'" + NET + "','project_id':'demo',"
                + "'mac_address':'fa:16:3e:12:34:56','fixed_ips':[" + String.join(",", fixed) + "],"
                + "'device_owner':'compute:nova',"
                + "'device_id':'vm1','binding:host_id':'compute-1','binding:vif_type':'ovs','status':'ACTIVE',"
                + "'admin_state_up':true,'security_groups':[],'allowed_address_pairs':[],"
                + "'port_security_enabled':true,'revision_number':1}";
    }

    @Test
    void networksListIsATableWithTheProviderAttributes() {
        answer("/v2.0/networks", 200, "{'networks':[" + network(NET, "web", "vxlan", 1001, false) + ","
                + network("2c1c2a52-6f8a-4d5e-8e34-42a8a4b1d06e", "public", "flat", "null", true) + "]}");
        assertThat(run("networks", "list")).as(console.err()).isZero();
        assertThat(console.out().lines()).containsExactly(
                "ID                                    NAME    PROJECT  TYPE   PHYSNET   SEGMENT  MTU   EXTERNAL"
                        + "  SHARED  STATUS  SUBNETS",
                "4e8e5957-649f-477b-9e5b-f1f75b21c03c  web     demo     vxlan  -         1001     1450  no      "
                        + "  no      ACTIVE  9436e561-47bf-436a-b1f1-fe23a926e031",
                "2c1c2a52-6f8a-4d5e-8e34-42a8a4b1d06e  public  demo     flat   physnet1  -        1500  yes     "
                        + "  no      ACTIVE  -");
        // The node's API token goes as the OpenStack token header: the node takes it as an admin token.
        assertThat(server.openStackTokens()).containsExactly(CannedServer.TOKEN);
    }

    @Test
    void portFiltersBecomeNeutronQueryParametersAndEveryPageIsFollowed() {
        String first = "/v2.0/ports?network_id=" + NET + "&device_owner=compute%3Anova&binding%3Ahost_id=compute-1"
                + "&status=ACTIVE";
        answer(first, 200, "{'ports':[" + port() + "],'ports_links':[{'rel':'next','href':'" + url() + first
                + "&limit=1&marker=" + PORT + "'}]}");
        answer(first + "&limit=1&marker=" + PORT, 200, "{'ports':[" + port("p2", "10.0.0.7") + "],'ports_links':[{'rel':'previous','href':'"
                + url() + first + "&limit=1&marker=p2&page_reverse=True'}]}");
        assertThat(run("ports", "list", "--network", NET, "--device-owner", "compute:nova", "--host", "compute-1",
                "--filter", "status=ACTIVE")).as(console.err()).isZero();
        assertThat(console.out().lines()).containsExactly(
                "ID                                    NAME      NETWORK                               MAC         "
                        + "       FIXED IPS           DEVICE OWNER  HOST       STATUS",
                "d80b1a3b-4fc1-49f3-952e-1e2ab7081d8b  vm1-eth0  4e8e5957-649f-477b-9e5b-f1f75b21c03c  "
                        + "fa:16:3e:12:34:56  10.0.0.5, 10.0.0.6  compute:nova  compute-1  ACTIVE",
                "p2                                    vm1-eth0  4e8e5957-649f-477b-9e5b-f1f75b21c03c  "
                        + "fa:16:3e:12:34:56  10.0.0.7            compute:nova  compute-1  ACTIVE");
    }

    @Test
    void jsonIsTheNeutronBodyWithEveryPage() throws Exception {
        answer("/v2.0/subnets?network_id=" + NET, 200, "{'subnets':[{'id':'" + SUBNET + "','cidr':'10.0.0.0/24'}],"
                + "'subnets_links':[{'rel':'next','href':'" + url() + "/v2.0/subnets?network_id=" + NET
                + "&marker=" + SUBNET + "'}]}");
        answer("/v2.0/subnets?network_id=" + NET + "&marker=" + SUBNET, 200, "{'subnets':[]}");
        assertThat(run("subnets", "list", "--network", NET, "--output", "json")).as(console.err()).isZero();
        JsonNode body = new ObjectMapper().readTree(console.out());
        assertThat(body.fieldNames()).toIterable().containsExactly("subnets");
        assertThat(body.path("subnets")).hasSize(1);
        assertThat(body.at("/subnets/0/cidr").asText()).isEqualTo("10.0.0.0/24");
    }

    @Test
    void showPrintsEveryAttributeSortedOnOneLineEach() {
        answer("/v2.0/ports/" + PORT, 200, "{'port':" + port() + "}");
        answer("/v2.0/subnets?network_id=" + NET, 200, "{'subnets':[]}");
        assertThat(run("ports", "show", PORT)).as(console.err()).isZero();
        assertThat(console.out()).isEqualTo("""
                FIELD                  VALUE
                admin_state_up         true
                allowed_address_pairs  -
                binding:host_id        compute-1
                binding:vif_type       ovs
                device_id              vm1
                device_owner           compute:nova
                fixed_ips              subnet_id=9436e561-47bf-436a-b1f1-fe23a926e031 ip_address=10.0.0.5; \
                subnet_id=9436e561-47bf-436a-b1f1-fe23a926e031 ip_address=10.0.0.6
                id                     d80b1a3b-4fc1-49f3-952e-1e2ab7081d8b
                mac_address            fa:16:3e:12:34:56
                name                   vm1-eth0
                network_id             4e8e5957-649f-477b-9e5b-f1f75b21c03c
                port_security_enabled  true
                project_id             demo
                revision_number        1
                security_groups        -
                status                 ACTIVE

                security: 0 rules from 0 groups, 9 flows on the port's host (stateful, conntrack zone per port)
                no rules: nothing but DHCP and ARP gets in or out
                """);
    }

    @Test
    void showFindsAnObjectByAUniqueNameAsTheOpenstackClientDoes() throws Exception {
        answer("/v2.0/routers?name=edge", 200, "{'routers':[{'id':'r1','name':'edge','ha':false,"
                + "'external_gateway_info':{'network_id':'" + NET + "','enable_snat':true,'external_fixed_ips':"
                + "[{'subnet_id':'" + SUBNET + "','ip_address':'203.0.113.10'}]},'routes':[]}]}");
        assertThat(run("routers", "show", "edge", "--output", "json")).as(console.err()).isZero();
        assertThat(new ObjectMapper().readTree(console.out()).at("/router/id").asText()).isEqualTo("r1");
        console.reset();
        assertThat(run("routers", "show", "edge")).as(console.err()).isZero();
        assertThat(console.out()).contains("external_gateway_info  network_id=" + NET + " enable_snat=true "
                + "external_fixed_ips=[subnet_id=" + SUBNET + " ip_address=203.0.113.10]\n");

        console.reset();
        answer("/v2.0/routers?name=twin", 200, "{'routers':[{'id':'r2','name':'twin'},{'id':'r3','name':'twin'}]}");
        assertThat(run("routers", "show", "twin")).isEqualTo(1);
        assertThat(console.err()).isEqualTo("flowkeeper routers show: 2 routers are named 'twin': give the ID\n");
        assertThat(console.out()).isEmpty();
    }

    @Test
    void aRefusalIsNeutronsMessageOnOneLine() {
        answer("/v2.0/routers?name=nope", 200, "{'routers':[]}");
        assertThat(run("routers", "show", "nope")).isEqualTo(1);
        assertThat(console.err()).isEqualTo(
                "flowkeeper routers show: The resource could not be found. (HTTP 404)\n");
        assertThat(console.out()).isEmpty();

        console.reset();
        answer("/v2.0/floatingips", 401, "{'NeutronError':{'type':'NotAuthorized','message':"
                + "'The request you have made requires authentication.','detail':''}}");
        assertThat(run("floating-ips", "list")).isEqualTo(1);
        assertThat(console.err()).isEqualTo("flowkeeper floating-ips list: The request you have made requires"
                + " authentication. (HTTP 401)\n");
    }

    @Test
    void namesAndIdsCannotEscapeTheirPlaceInTheUrl() {
        answer("/v2.0/networks/a%2F..%2Fb%3Fx%3D1%20c", 200, "{'network':" + network(NET, "web", "vxlan", 7, false)
                + "}");
        assertThat(run("networks", "show", "a/../b?x=1 c")).as(console.err()).isZero();
        assertThat(console.out()).containsPattern("(?m)^provider:segmentation_id +7$");
    }

    @Test
    void anEmptyListSaysSo() {
        answer("/v2.0/floatingips?port_id=" + PORT, 200, "{'floatingips':[]}");
        assertThat(run("floating-ips", "list", "--port", PORT)).isZero();
        assertThat(console.out()).isEqualTo("no floating IPs match the filters\n");
        console.reset();
        answer("/v2.0/routers", 200, "{'routers':[]}");
        assertThat(run("routers", "list")).isZero();
        assertThat(console.out()).isEqualTo("no routers\n");
    }

    @Test
    void badUsageAndAnUnreachableNodeHaveTheirOwnExitCodes() throws Exception {
        assertThat(run("ports", "list", "--filter", "novalue")).isEqualTo(2);
        assertThat(console.err()).isEqualTo("flowkeeper ports list: --filter takes ATTRIBUTE=VALUE, not 'novalue'\n");
        console.reset();
        assertThat(run("ports", "list", "--router", "r1", "--device-id", "vm1")).isEqualTo(2);
        assertThat(console.err().lines()).hasSize(1);
        console.reset();
        answer("/v2.0/networks", 500, "not json");
        assertThat(run("networks", "list")).isEqualTo(1);
        assertThat(console.err()).isEqualTo("flowkeeper networks list: HTTP 500 (HTTP 500)\n");
        console.reset();
        int port = server.port();
        server.stop();
        assertThat(Main.run("subnets", "list", "--url", "http://127.0.0.1:" + port, "--token-file",
                server.tokenFile().toString())).isEqualTo(3);
        assertThat(console.err()).startsWith("flowkeeper subnets list: cannot reach http://127.0.0.1:" + port);
        assertThat(console.err().lines()).hasSize(1);
    }
}
