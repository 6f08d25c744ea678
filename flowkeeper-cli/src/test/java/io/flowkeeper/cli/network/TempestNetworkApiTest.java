package io.flowkeeper.cli.network;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.controller.RestClient;
import io.flowkeeper.controller.local.LocalCluster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * OpenStack's own API test suite against a 3-node cluster: Debian's tempest (33.0.0) runs its
 * {@code tempest.api.network} tests for networks, subnets, ports, routers, floating IPs and security groups (and
 * their negative and admin variants) serially, with identity v3 at one node, pre-provisioned accounts admin, demo
 * and alt_demo, and the extensions the cluster lists. Fails on any failure not in {@code tempest/known-failures.txt}
 * (each there with its reason).
 *
 * <p>A Java test rather than a script because the cluster is what {@link LocalCluster} already starts, configures
 * and kills on every exit path, and because CI runs Maven. The run's workspace (tempest.conf, accounts, the log
 * with every request and answer, the node logs, {@code results.json}, {@code summary.md}) stays in {@code target/tempest} for a
 * post-mortem. {@code -Dtempest.modules=test_ports,admin.test_routers} narrows the run to some modules.
 */
@Tag("integration")
class TempestNetworkApiTest {
    /** The modules of tempest.api.network this run covers: the resources the issue lists and their variants. */
    static final List<String> MODULES = List.of("test_networks", "test_networks_negative", "test_ports",
            "test_allowed_address_pair", "test_routers", "test_routers_negative", "test_floating_ips",
            "test_floating_ips_negative", "test_security_groups", "test_security_groups_negative", "test_extensions",
            "admin.test_ports", "admin.test_routers", "admin.test_routers_negative", "admin.test_routers_dvr",
            "admin.test_external_network_extension", "admin.test_external_networks_negative",
            "admin.test_floating_ips_admin_actions");
    private static final Path TEMPEST = Path.of("/usr/bin/tempest");
    /** Debian's interpreter: tempest and its libraries are installed for it, whatever python3 the PATH finds first. */
    private static final String PYTHON = "/usr/bin/python3";
    private static final Pattern MODULE = Pattern.compile("tempest\\.api\\.network\\.((?:admin\\.)?test_\\w+)\\.");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** subunit statuses that are not a failure (xfail: a test tempest itself expects to fail). */
    private static final List<String> PASSED_OR_SKIPPED = List.of("success", "xfail", "skip");

    private final Path work = Path.of("target", "tempest").toAbsolutePath();

    @Test
    @Timeout(value = 40, unit = TimeUnit.MINUTES)
    void tempestsNetworkApiTestsPassOrSkipForAStatedReason() throws Exception {
        assertThat(TEMPEST).as("tempest is not installed: apt-get install -y tempest (./quickstart test does)")
                .exists();
        deleteTree(work);
        Files.createDirectories(work.resolve("etc"));
        Path clusterDir = Files.createTempDirectory("flowkeeper-tempest-");
        Map<String, String> passwords = new LinkedHashMap<>();
        for (String user : List.of("admin", "demo", "alt_demo")) {
            passwords.put(user, user + "-" + Long.toHexString(System.nanoTime()));
            Files.writeString(clusterDir.resolve(user + ".password"), passwords.get(user));
        }
        try (LocalCluster cluster = new LocalCluster(3, clusterDir, nodeYaml(clusterDir), true)) {
            cluster.startAll();
            cluster.awaitAllReady(120_000);
            RestClient admin = cluster.client(0).withOpenStackToken();
            List<String> extensions = new ArrayList<>();
            RestClient.Response listed = admin.get("/v2.0/extensions");
            assertThat(listed.status()).as(listed.body().toString()).isEqualTo(200);
            listed.body().path("extensions").forEach(e -> extensions.add(e.path("alias").asText()));
            String publicNetwork = externalNetwork(admin);

            Files.writeString(work.resolve("etc/accounts.yaml"), accounts(passwords));
            Files.writeString(work.resolve("etc/tempest.conf"), tempestConf(cluster.restUrl(1), extensions,
                    publicNetwork));
            Path python = Files.createDirectories(work.resolve("python"));
            copyResource("tempest/sitecustomize.py", python.resolve("sitecustomize.py"));
            copyResource("tempest/results.py", work.resolve("results.py"));

            int exit;
            try {
                exit = runTempest(modules());
            } finally {
                for (int i = 0; i < cluster.size(); i++) {
                    Files.copy(cluster.logFile(i), work.resolve(cluster.logFile(i).getFileName()));
                }
            }
            List<JsonNode> results = results();
            List<KnownFailure> known = knownFailures();
            Files.writeString(work.resolve("summary.md"), summary(results, known));
            System.out.println("tempest exit " + exit + "; summary (also in " + work.resolve("summary.md") + "):\n"
                    + Files.readString(work.resolve("summary.md")));
            assertThat(results).as("tempest ran no test; see " + work.resolve("tempest-run.log")).isNotEmpty();
            List<String> unexpected = new ArrayList<>();
            for (JsonNode r : results) {
                if (failed(r) && KnownFailure.reason(known, r) == null) {
                    unexpected.add(r.path("id").asText() + "\n" + lastLines(r.path("traceback").asText(), 6));
                }
            }
            assertThat(unexpected).as("failures not in known-failures.txt (details: " + work.resolve("tempest.log")
                    + ")").isEmpty();
        }
    }

    private static boolean failed(JsonNode result) {
        return !PASSED_OR_SKIPPED.contains(result.path("status").asText());
    }

    /** The node configuration: the three accounts and the ranges tempest's networks draw from. */
    private static List<String> nodeYaml(Path dir) {
        return List.of(
                "identity:",
                "  admin-password-file: " + dir.resolve("admin.password"),
                "  users:",
                "    - {name: demo, password-file: " + dir.resolve("demo.password")
                        + ", project: demo, roles: [member]}",
                "    - {name: alt_demo, password-file: " + dir.resolve("alt_demo.password")
                        + ", project: alt_demo, roles: [member]}",
                "network:",
                "  vxlan-vni-ranges: [\"1000:4999\"]",
                "  vlan-ranges: {physnet1: \"100:199\"}",
                "  flat-networks: [physnet1, extnet]");
    }

    /** The external network the floating IP and gateway tests use (tempest's public_network_id), made as admin. */
    private static String externalNetwork(RestClient admin) throws IOException {
        RestClient.Response net = admin.post("/v2.0/networks", "{\"network\": {\"name\": \"public\","
                + " \"router:external\": true, \"provider:network_type\": \"flat\","
                + " \"provider:physical_network\": \"extnet\"}}");
        assertThat(net.status()).as(net.body().toString()).isEqualTo(201);
        String id = net.body().path("network").path("id").asText();
        RestClient.Response subnet = admin.post("/v2.0/subnets", "{\"subnet\": {\"name\": \"public-subnet\","
                + " \"network_id\": \"" + id + "\", \"ip_version\": 4, \"cidr\": \"172.24.4.0/24\","
                + " \"enable_dhcp\": false}}");
        assertThat(subnet.status()).as(subnet.body().toString()).isEqualTo(201);
        return id;
    }

    private static String accounts(Map<String, String> passwords) {
        StringBuilder y = new StringBuilder();
        passwords.forEach((user, password) -> y.append("- username: '").append(user).append("'\n")
                .append("  project_name: '").append(user).append("'\n")
                .append("  password: '").append(password).append("'\n")
                .append("  user_domain_name: 'Default'\n")
                .append("  project_domain_name: 'Default'\n")
                .append("  roles: ['").append(user.equals("admin") ? "admin" : "member").append("']\n"));
        return y.toString();
    }

    private String tempestConf(String identityNode, List<String> extensions, String publicNetwork) {
        return String.join("\n",
                "[DEFAULT]",
                "log_file = " + work.resolve("tempest.log"),
                "debug = true",
                "",
                "[oslo_concurrency]",
                "lock_path = " + work.resolve("lock"),
                "",
                "[auth]",
                "use_dynamic_credentials = false",
                "test_accounts_file = " + work.resolve("etc/accounts.yaml"),
                "default_credentials_domain_name = Default",
                "create_isolated_networks = false",
                "",
                "[identity]",
                "auth_version = v3",
                "uri_v3 = " + identityNode + "/identity/v3",
                "region = RegionOne",
                "v3_endpoint_type = public",
                "admin_role = admin",
                "",
                "[identity-feature-enabled]",
                "api_v2 = false",
                "api_v3 = true",
                "",
                "[service_available]",
                "neutron = true",
                "nova = false",
                "cinder = false",
                "glance = false",
                "swift = false",
                "horizon = false",
                "",
                "[network]",
                "public_network_id = " + publicNetwork,
                "floating_network_name = public",
                "project_network_cidr = 10.100.0.0/16",
                "project_network_mask_bits = 28",
                "build_timeout = 60",
                "",
                "[network-feature-enabled]",
                "api_extensions = " + String.join(",", extensions),
                "ipv6 = false",
                "port_security = " + extensions.contains("port-security"),
                "floating_ips = true",
                "") + "\n";
    }

    /** The modules to run: all of {@link #MODULES}, or those -Dtempest.modules names. */
    private static List<String> modules() {
        String chosen = System.getProperty("tempest.modules", "");
        if (chosen.isBlank()) {
            return MODULES;
        }
        List<String> some = List.of(chosen.split(","));
        assertThat(MODULES).as("-Dtempest.modules").containsAll(some);
        return some;
    }

    private int runTempest(List<String> modules) throws Exception {
        String regex = "^tempest\\.api\\.network\\.(" + String.join("|", modules).replace(".", "\\.") + ")\\.";
        ProcessBuilder pb = new ProcessBuilder(TEMPEST.toString(), "run", "--config-file",
                work.resolve("etc/tempest.conf").toString(), "--serial", "--regex", regex)
                .directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(work.resolve("tempest-run.log").toFile());
        pb.environment().put("PYTHONPATH", work.resolve("python").toString());
        pb.environment().put("PYTHON", PYTHON);
        Process p = pb.start();
        try {
            if (!p.waitFor(35, TimeUnit.MINUTES)) {
                throw new AssertionError("tempest did not finish in 35 minutes: " + work.resolve("tempest-run.log"));
            }
            return p.exitValue();
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    /** Every test's outcome, from the run's subunit stream, also kept as results.json. */
    private List<JsonNode> results() throws Exception {
        Path stream = work.resolve("last.subunit");
        Process last = new ProcessBuilder("/usr/bin/stestr", "last", "--subunit").directory(work.toFile())
                .redirectOutput(stream.toFile()).redirectError(work.resolve("stestr-last.log").toFile()).start();
        assertThat(last.waitFor(2, TimeUnit.MINUTES)).isTrue();
        Process parse = new ProcessBuilder(PYTHON, work.resolve("results.py").toString()).directory(work.toFile())
                .redirectInput(stream.toFile()).redirectOutput(work.resolve("results.json").toFile())
                .redirectError(work.resolve("results-errors.log").toFile()).start();
        assertThat(parse.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(parse.exitValue()).as(Files.readString(work.resolve("results-errors.log"))).isZero();
        List<JsonNode> results = new ArrayList<>();
        for (String line : Files.readAllLines(work.resolve("results.json"))) {
            if (!line.isBlank()) {
                results.add(JSON.readTree(line));
            }
        }
        return results;
    }

    /**
     * Per module: passed, failed, skipped; then every skip and failure with its reason (a failure's last
     * traceback line, the exception tempest raised with the server's answer).
     */
    static String summary(List<JsonNode> results, List<KnownFailure> known) {
        Map<String, int[]> counts = new TreeMap<>();
        Map<String, List<String>> notes = new TreeMap<>();
        for (JsonNode r : results) {
            String id = r.path("id").asText();
            Matcher m = MODULE.matcher(id);
            String module = m.find() ? m.group(1) : "(other)";
            int[] c = counts.computeIfAbsent(module, k -> new int[3]);
            String status = r.path("status").asText();
            switch (status) {
                case "success", "xfail" -> c[0]++;
                case "skip" -> {
                    c[2]++;
                    notes.computeIfAbsent(module, k -> new ArrayList<>()).add("skipped " + shortId(id) + ": "
                            + r.path("reason").asText().strip());
                }
                default -> {
                    c[1]++;
                    String reason = KnownFailure.reason(known, r);
                    notes.computeIfAbsent(module, k -> new ArrayList<>()).add("FAILED " + shortId(id)
                            + (reason == null ? "" : " (known: " + reason + ")") + ": "
                            + lastLines(r.path("traceback").asText(), 1));
                }
            }
        }
        StringBuilder sb = new StringBuilder("| module | passed | failed | skipped |\n|---|---|---|---|\n");
        int[] total = new int[3];
        counts.forEach((module, c) -> {
            sb.append("| ").append(module).append(" | ").append(c[0]).append(" | ").append(c[1]).append(" | ")
                    .append(c[2]).append(" |\n");
            for (int i = 0; i < 3; i++) {
                total[i] += c[i];
            }
        });
        sb.append("| **total** | ").append(total[0]).append(" | ").append(total[1]).append(" | ").append(total[2])
                .append(" |\n\n");
        notes.forEach((module, lines) -> {
            sb.append(module).append(":\n");
            lines.forEach(l -> sb.append("- ").append(l).append('\n'));
        });
        for (KnownFailure k : known) {
            boolean passed = results.stream().anyMatch(r -> !k.onError() && k.matches(r) && !failed(r)
                    && !r.path("status").asText().equals("skip"));
            if (passed) {
                sb.append("\nknown failure now passing (delete its line from known-failures.txt): ")
                        .append(k.pattern()).append('\n');
            }
        }
        return sb.toString();
    }

    /** The id without the module prefix and tempest's "[id-...,smoke]" attributes. */
    private static String shortId(String id) {
        return id.replaceFirst("^tempest\\.api\\.network\\.(admin\\.)?", "").replaceFirst("\\[.*\\]$", "");
    }

    private static String lastLines(String text, int n) {
        List<String> lines = text.strip().lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }

    /**
     * A failure the run expects, from {@code tempest/known-failures.txt}: each line {@code PATTERN  # reason}, where
     * PATTERN is a test id without the {@code tempest.api.network.} prefix (a prefix of it matches: a class, a
     * module), or {@code error: TEXT}, which matches a failure whose last traceback line contains TEXT.
     */
    record KnownFailure(String pattern, boolean onError, String reason) {
        boolean matches(JsonNode result) {
            if (onError) {
                return lastLines(result.path("traceback").asText(), 1).contains(pattern);
            }
            String id = result.path("id").asText();
            return shortId(id).startsWith(pattern) || id.contains("." + pattern);
        }

        /** The reason of the first entry matching this failure, or null. */
        static String reason(List<KnownFailure> known, JsonNode result) {
            for (KnownFailure k : known) {
                if (k.matches(result)) {
                    return k.reason();
                }
            }
            return null;
        }
    }

    private static List<KnownFailure> knownFailures() throws IOException {
        List<KnownFailure> known = new ArrayList<>();
        try (InputStream in = TempestNetworkApiTest.class.getResourceAsStream("/tempest/known-failures.txt")) {
            assertThat(in).as("tempest/known-failures.txt").isNotNull();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                int hash = line.indexOf('#');
                String pattern = (hash < 0 ? line : line.substring(0, hash)).strip();
                if (pattern.isEmpty()) {
                    continue;
                }
                String reason = hash < 0 ? "" : line.substring(hash + 1).strip();
                assertThat(reason).as("known-failures.txt: every entry says why: " + line).isNotEmpty();
                known.add(pattern.startsWith("error:")
                        ? new KnownFailure(pattern.substring(6).strip(), true, reason)
                        : new KnownFailure(pattern, false, reason));
            }
        }
        return known;
    }

    private static void copyResource(String name, Path to) throws IOException {
        try (InputStream in = TempestNetworkApiTest.class.getResourceAsStream("/" + name)) {
            assertThat(in).as(name).isNotNull();
            Files.copy(in, to);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
