package io.flowkeeper.cli.network;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.cli.ConsoleCapture;
import io.flowkeeper.cli.Main;
import io.flowkeeper.cli.NodeCommand;
import io.flowkeeper.controller.RestClient;
import io.flowkeeper.controller.local.LocalCluster;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code flowkeeper networks|subnets|ports|routers|floating-ips} against a real 3-node cluster: objects made through
 * one node's Neutron API, read by the commands through another, with the node's API token.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(180)
class NetworkCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();
    private LocalCluster cluster;
    private String network;
    private String subnet;
    private String port;
    private String router;

    @BeforeAll
    void start() throws Exception {
        cluster = LocalCluster.inTempDir(3, List.of("network:", "  vxlan-vni-ranges: [\"1000:1999\"]",
                "  flat-networks: [extnet]"));
        cluster.startAll();
        cluster.awaitAllReady(120_000);
        RestClient api = cluster.client(0).withOpenStackToken();
        network = create(api, "networks", "{'network':{'name':'web'}}");
        subnet = create(api, "subnets", "{'subnet':{'name':'web-v4','network_id':'" + network + "','ip_version':4,"
                + "'cidr':'10.20.0.0/24','allocation_pools':[{'start':'10.20.0.10','end':'10.20.0.99'}]}}");
        port = create(api, "ports", "{'port':{'name':'vm1-eth0','network_id':'" + network + "','device_owner':"
                + "'compute:nova','fixed_ips':[{'subnet_id':'" + subnet + "','ip_address':'10.20.0.42'}]}}");
        create(api, "ports", "{'port':{'name':'vm2-eth0','network_id':'" + network + "'}}");
        String external = create(api, "networks", "{'network':{'name':'public','router:external':true,"
                + "'provider:network_type':'flat','provider:physical_network':'extnet'}}");
        create(api, "subnets", "{'subnet':{'name':'public-v4','network_id':'" + external + "','ip_version':4,"
                + "'cidr':'203.0.113.0/24','enable_dhcp':false}}");
        router = create(api, "routers", "{'router':{'name':'edge','external_gateway_info':{'network_id':'"
                + external + "'}}}");
        RestClient.Response added = api.put("/v2.0/routers/" + router + "/add_router_interface",
                "{\"subnet_id\": \"" + subnet + "\"}");
        assertThat(added.status()).as(added.body().toString()).isEqualTo(200);
        create(api, "floatingips", "{'floatingip':{'floating_network_id':'" + external + "','port_id':'" + port
                + "'}}");
    }

    private static String create(RestClient api, String collection, String body) throws Exception {
        RestClient.Response r = api.post("/v2.0/" + collection, body.replace('\'', '"'));
        assertThat(r.status()).as(collection + ": " + r.body()).isEqualTo(201);
        return r.body().elements().next().path("id").asText();
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void emptyConsole() {
        console.reset();
    }

    /** Through node n2, where nothing was written. */
    private int run(String... args) {
        return NodeCommand.run(cluster.restUrl(1), cluster.apiTokenFile(), args);
    }

    @Test
    void everyListShowsWhatAnotherNodeCreated() {
        assertThat(run("networks", "list")).as(console.err()).isZero();
        assertThat(console.out()).containsPattern("(?m)^" + network + " +web +\\p{XDigit}{32} +vxlan +- +1\\d\\d\\d +1450 +no ");
        assertThat(console.out()).containsPattern("(?m)^\\S+ +public +\\p{XDigit}{32} +flat +extnet +- .* yes ");
        console.reset();
        assertThat(run("subnets", "list", "--network", network)).as(console.err()).isZero();
        assertThat(console.out()).containsPattern("(?m)^" + subnet + " +web-v4 +" + network
                + " +10\\.20\\.0\\.0/24 +10\\.20\\.0\\.1 +10\\.20\\.0\\.10-10\\.20\\.0\\.99 +yes +\\p{XDigit}{32}$");
        console.reset();
        assertThat(run("ports", "list", "--network", network, "--device-owner", "compute:nova")).as(console.err())
                .isZero();
        assertThat(console.out().lines()).hasSize(2);
        assertThat(console.out()).containsPattern("(?m)^" + port + " +vm1-eth0 +" + network
                + " +fa:16:3e(:\\p{XDigit}{2}){3} +10\\.20\\.0\\.42 +compute:nova ");
        console.reset();
        assertThat(run("routers", "list")).as(console.err()).isZero();
        assertThat(console.out()).containsPattern("(?m)^" + router + " +edge +\\S+ +203\\.0\\.113\\.\\d+ +yes ");
        console.reset();
        assertThat(run("floating-ips", "list", "--port", port)).as(console.err()).isZero();
        assertThat(console.out()).containsPattern("(?m)^\\S+ +203\\.0\\.113\\.\\d+ +10\\.20\\.0\\.42 +" + port + " ");
    }

    @Test
    void showAndJsonCarryEveryAttribute() throws Exception {
        assertThat(run("ports", "show", port)).as(console.err()).isZero();
        assertThat(console.out()).containsPattern("(?m)^fixed_ips +.*ip_address=10\\.20\\.0\\.42");
        assertThat(console.out()).containsPattern("(?m)^network_id +" + network + "$");
        console.reset();
        assertThat(run("networks", "show", "web", "--output", "json")).as(console.err()).isZero();
        JsonNode shown = JSON.readTree(console.out()).path("network");
        assertThat(shown.path("id").asText()).isEqualTo(network);
        assertThat(shown.path("subnets")).hasSize(1);
        console.reset();
        assertThat(run("ports", "list", "--output", "json")).as(console.err()).isZero();
        // Two ports on web, the router's gateway port, the floating IP's port: at least the two made here.
        assertThat(JSON.readTree(console.out()).path("ports").size()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void anUnknownIdIsNeutronsNotFoundOnOneLine() {
        assertThat(run("subnets", "show", "7f1c3c2e-0000-4000-8000-000000000000")).isEqualTo(1);
        assertThat(console.err().lines()).hasSize(1);
        assertThat(console.err()).startsWith("flowkeeper subnets show: ").contains("(HTTP 404)");
        assertThat(console.out()).isEmpty();
        console.reset();
        assertThat(Main.run("networks", "list", "--url", cluster.restUrl(0), "--token", "not-a-token")).isEqualTo(1);
        assertThat(console.err()).contains("(HTTP 401)");
    }
}
