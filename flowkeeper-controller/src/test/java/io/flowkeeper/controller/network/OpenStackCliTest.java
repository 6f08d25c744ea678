package io.flowkeeper.controller.network;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.controller.local.LocalCluster;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A 3-node cluster driven by the real {@code openstack} client (Debian's python3-openstackclient) through Keystone
 * and Neutron, each call of a sequence through the next node; and 300 racing port creates from 3 clients on 3 nodes.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenStackCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADMIN_PASSWORD = "admin-secret-" + System.nanoTime();
    private LocalCluster cluster;
    private Path secrets;
    private int next;

    @BeforeAll
    void start() throws Exception {
        secrets = Files.createTempDirectory("fk-identity-");
        Path adminFile = secrets.resolve("admin.pw");
        Files.writeString(adminFile, ADMIN_PASSWORD + "\n");
        cluster = LocalCluster.inTempDir(3, List.of(
                "identity: {admin-password-file: " + adminFile + "}",
                "network: {vxlan-vni-ranges: [\"2000:2009\"], vlan-ranges: {physnet1: \"100:199\"},"
                        + " flat-networks: [extnet]}"));
        cluster.startAll();
        cluster.awaitAllReady(120_000);
    }

    @AfterAll
    void stop() throws IOException {
        if (cluster != null) {
            cluster.close();
        }
        if (secrets != null) {
            try (var files = Files.walk(secrets)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** The result of one {@code openstack} run. */
    record Run(int exit, String out, String err) {
        JsonNode json() {
            try {
                return JSON.readTree(out);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + out + "\n" + err, e);
            }
        }
    }

    /** Runs {@code openstack args} against the next node; the password travels in the environment only. */
    Run openstack(String... args) throws Exception {
        int node = next++ % cluster.size();
        List<String> command = new ArrayList<>(List.of("openstack"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("OS_"));
        env.put("OS_AUTH_URL", cluster.restUrl(node) + "/identity/v3");
        env.put("OS_USERNAME", "admin");
        env.put("OS_PASSWORD", ADMIN_PASSWORD);
        env.put("OS_PROJECT_NAME", "admin");
        env.put("OS_USER_DOMAIN_NAME", "Default");
        env.put("OS_PROJECT_DOMAIN_NAME", "Default");
        env.put("OS_IDENTITY_API_VERSION", "3");
        Path out = Files.createTempFile(secrets, "out", ".txt");
        Path err = Files.createTempFile(secrets, "err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("openstack " + String.join(" ", args) + " did not finish in 120 s");
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    JsonNode ok(String... args) throws Exception {
        Run r = openstack(args);
        assertThat(r.exit()).as("openstack %s\nstdout: %s\nstderr: %s", String.join(" ", args), r.out(), r.err())
                .isZero();
        return r.out().isBlank() ? null : r.json();
    }

    @Test
    void theOpenstackClientDrivesEveryResourceThroughEveryNode() throws Exception {
        JsonNode net = ok("network", "create", "--provider-network-type", "vxlan", "net1", "-f", "json");
        assertThat(net.path("provider:network_type").asText()).isEqualTo("vxlan");
        assertThat(net.path("provider:segmentation_id").asInt()).isBetween(2000, 2009);
        assertThat(net.path("mtu").asInt()).isEqualTo(1450);
        JsonNode vlan = ok("network", "create", "--provider-network-type", "vlan", "--provider-physical-network",
                "physnet1", "--provider-segment", "150", "vlan1", "-f", "json");
        assertThat(vlan.path("provider:segmentation_id").asInt()).isEqualTo(150);
        ok("network", "create", "--external", "--provider-network-type", "flat", "--provider-physical-network",
                "extnet", "ext", "-f", "json");
        JsonNode sub = ok("subnet", "create", "--network", "net1", "--subnet-range", "10.10.0.0/24",
                "--allocation-pool", "start=10.10.0.10,end=10.10.0.100", "--dns-nameserver", "10.10.0.2",
                "--host-route", "destination=192.168.0.0/16,gateway=10.10.0.254", "sub1", "-f", "json");
        assertThat(sub.path("gateway_ip").asText()).isEqualTo("10.10.0.1");
        assertThat(sub.toString()).contains("{\"start\":\"10.10.0.10\",\"end\":\"10.10.0.100\"}")
                .contains("10.10.0.2").contains("192.168.0.0/16");
        ok("subnet", "create", "--network", "ext", "--subnet-range", "172.24.4.0/24", "--no-dhcp", "extsub",
                "-f", "json");

        JsonNode p1 = ok("port", "create", "--network", "net1", "p1", "-f", "json");
        assertThat(p1.toString()).containsPattern("10\\.10\\.0\\.([1-9]\\d|100)");
        JsonNode p2 = ok("port", "create", "--network", "net1", "--fixed-ip", "subnet=sub1,ip-address=10.10.0.50",
                "--mac-address", "fa:16:3e:aa:bb:cc", "p2", "-f", "json");
        assertThat(p2.path("mac_address").asText()).isEqualTo("fa:16:3e:aa:bb:cc");
        assertThat(p2.toString()).contains("10.10.0.50");
        Run taken = openstack("port", "create", "--network", "net1", "--fixed-ip", "ip-address=10.10.0.50", "p3");
        assertThat(taken.exit()).isNotZero();
        assertThat(taken.err()).contains("already allocated");

        ok("router", "create", "r1", "-f", "json");
        ok("router", "set", "--external-gateway", "ext", "r1");
        ok("router", "add", "subnet", "r1", "sub1");
        JsonNode router = ok("router", "show", "r1", "-f", "json");
        assertThat(router.toString()).contains("172.24.4.");
        JsonNode fip = ok("floating", "ip", "create", "--port", "p1", "ext", "-f", "json");
        assertThat(fip.path("floating_ip_address").asText()).startsWith("172.24.4.");
        assertThat(fip.path("router_id").asText()).isEqualTo(router.path("id").asText());

        JsonNode ports = ok("port", "list", "--network", "net1", "-f", "json");
        assertThat(ports).hasSize(3); // p1, p2 and the router's interface
        JsonNode byIp = ok("port", "list", "--fixed-ip", "ip-address=10.10.0.50", "-f", "json");
        assertThat(byIp).hasSize(1);
        assertThat(byIp.get(0).path("Name").asText()).isEqualTo("p2");
        ok("port", "set", "--name", "p2b", "p2");
        assertThat(ok("port", "show", "p2b", "-f", "json").path("revision_number").asInt()).isEqualTo(2);
        assertThat(ok("network", "list", "--external", "-f", "json")).hasSize(1);

        ok("floating", "ip", "delete", fip.path("id").asText());
        ok("router", "remove", "subnet", "r1", "sub1");
        ok("router", "unset", "--external-gateway", "r1");
        ok("router", "delete", "r1");
        Run inUse = openstack("subnet", "delete", "sub1");
        assertThat(inUse.exit()).isNotZero();
        ok("port", "delete", "p1", "p2b");
        ok("subnet", "delete", "sub1", "extsub");
        ok("network", "delete", "net1", "vlan1", "ext");
        assertThat(ok("network", "list", "-f", "json")).isEmpty();
    }

    @Test
    void threeClientsOnThreeNodesRacingForOneSubnetGetExactlyItsAddresses() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String net = post(http, 0, "/v2.0/networks", "{\"network\": {\"name\": \"race\"}}").path("network").path("id")
                .asText();
        String subnet = post(http, 1, "/v2.0/subnets", "{\"subnet\": {\"network_id\": \"" + net + "\", \"ip_version\":"
                + " 4, \"cidr\": \"10.20.0.0/24\", \"allocation_pools\": [{\"start\": \"10.20.0.2\", \"end\":"
                + " \"10.20.0.251\"}]}}").path("subnet").path("id").asText();
        ExecutorService pool = Executors.newFixedThreadPool(30);
        List<Future<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            int node = i % 3;
            calls.add(pool.submit(() -> http.send(request(node, "/v2.0/ports").POST(HttpRequest.BodyPublishers
                    .ofString("{\"port\": {\"network_id\": \"" + net + "\"}}")).build(),
                    HttpResponse.BodyHandlers.ofString())));
        }
        Set<String> addresses = new HashSet<>();
        List<String> ports = new ArrayList<>();
        int exhausted = 0;
        for (Future<HttpResponse<String>> f : calls) {
            HttpResponse<String> r = f.get(120, TimeUnit.SECONDS);
            JsonNode body = JSON.readTree(r.body());
            if (r.statusCode() == 201) {
                assertThat(addresses.add(body.path("port").path("fixed_ips").get(0).path("ip_address").asText()))
                        .isTrue();
                ports.add(body.path("port").path("id").asText());
            } else {
                assertThat(r.statusCode()).as(r.body()).isEqualTo(409);
                assertThat(body.path("NeutronError").path("type").asText()).isEqualTo("IpAddressGenerationFailure");
                exhausted++;
            }
        }
        assertThat(ports).hasSize(250);
        assertThat(exhausted).isEqualTo(50);
        List<Future<HttpResponse<String>>> deletes = new ArrayList<>();
        for (int i = 0; i < ports.size(); i++) {
            String id = ports.get(i);
            int node = i % 3;
            deletes.add(pool.submit(() -> http.send(request(node, "/v2.0/ports/" + id).DELETE().build(),
                    HttpResponse.BodyHandlers.ofString())));
        }
        for (Future<HttpResponse<String>> f : deletes) {
            assertThat(f.get(120, TimeUnit.SECONDS).statusCode()).isEqualTo(204);
        }
        pool.shutdown();
        JsonNode availability = get(http, 2, "/v2.0/network-ip-availabilities/" + net);
        assertThat(availability.path("network_ip_availability").path("used_ips").asInt()).isZero();
        assertThat(availability.path("network_ip_availability").path("total_ips").asInt()).isEqualTo(250);
        assertThat(http.send(request(0, "/v2.0/subnets/" + subnet).DELETE().build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(204);
        assertThat(http.send(request(1, "/v2.0/networks/" + net).DELETE().build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(204);
    }

    @Test
    void threeNodesRacingForASmallVniRangeGetExactlyItsIds() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        ExecutorService pool = Executors.newFixedThreadPool(15);
        List<Future<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 15; i++) {
            int node = i % 3;
            calls.add(pool.submit(() -> http.send(request(node, "/v2.0/networks").POST(HttpRequest.BodyPublishers
                    .ofString("{\"network\": {}}")).build(), HttpResponse.BodyHandlers.ofString())));
        }
        Set<Integer> vnis = new HashSet<>();
        List<String> networks = new ArrayList<>();
        int refused = 0;
        for (Future<HttpResponse<String>> f : calls) {
            HttpResponse<String> r = f.get(120, TimeUnit.SECONDS);
            JsonNode body = JSON.readTree(r.body());
            if (r.statusCode() == 201) {
                assertThat(vnis.add(body.path("network").path("provider:segmentation_id").asInt())).isTrue();
                networks.add(body.path("network").path("id").asText());
            } else {
                assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
                assertThat(body.path("NeutronError").path("type").asText()).isEqualTo("NoNetworkAvailable");
                refused++;
            }
        }
        pool.shutdown();
        assertThat(vnis).hasSize(10).allMatch(v -> v >= 2000 && v <= 2009);
        assertThat(refused).isEqualTo(5);
        for (int i = 0; i < networks.size(); i++) {
            assertThat(http.send(request(i % 3, "/v2.0/networks/" + networks.get(i)).DELETE().build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(204);
        }
    }

    @Test
    void badInputOverHttpIsANeutronErrorAndWritesNothing() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String before = get(http, 0, "/v2.0/networks").toString();
        for (String body : List.of("{\"network\": {\"colour\": \"red\"}}", "{\"network\": {\"name\": \""
                + "x".repeat(1 << 20) + "\"}}", "{\"network\": {\"provider:network_type\": \"vlan\", "
                + "\"provider:physical_network\": \"physnet1\", \"provider:segmentation_id\": 4095}}", "not json")) {
            HttpResponse<String> r = http.send(request(1, "/v2.0/networks").POST(HttpRequest.BodyPublishers
                    .ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isIn(400, 413);
            assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(JSON.readTree(r.body()).path("NeutronError").path("type").asText()).isNotEmpty();
        }
        HttpResponse<String> noToken = http.send(HttpRequest.newBuilder(URI.create(cluster.restUrl(2)
                + "/v2.0/networks")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(noToken.statusCode()).isEqualTo(401);
        assertThat(get(http, 2, "/v2.0/networks").toString()).isEqualTo(before);
    }

    @Test
    void anApiTokenWorksAsAnAdminTokenWithoutKeystone() throws Exception {
        ProcessBuilder pb = new ProcessBuilder("openstack", "extension", "list", "--network", "-f", "json");
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("OS_"));
        env.put("OS_AUTH_TYPE", "admin_token");
        env.put("OS_TOKEN", LocalCluster.TOKEN);
        env.put("OS_ENDPOINT", cluster.restUrl(1));
        Path out = Files.createTempFile(secrets, "out", ".txt");
        pb.redirectOutput(out.toFile()).redirectErrorStream(true);
        Process p = pb.start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(Files.readString(out)).isZero();
        assertThat(Files.readString(out)).contains("\"Alias\": \"router\"");
    }

    private HttpRequest.Builder request(int node, String path) {
        return HttpRequest.newBuilder(URI.create(cluster.restUrl(node) + path))
                .header("X-Auth-Token", LocalCluster.TOKEN).header("Content-Type", "application/json");
    }

    private JsonNode post(HttpClient http, int node, String path, String body) throws Exception {
        HttpResponse<String> r = http.send(request(node, path).POST(HttpRequest.BodyPublishers.ofString(body,
                StandardCharsets.UTF_8)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return JSON.readTree(r.body());
    }

    private JsonNode get(HttpClient http, int node, String path) throws Exception {
        HttpResponse<String> r = http.send(request(node, path).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }
}
