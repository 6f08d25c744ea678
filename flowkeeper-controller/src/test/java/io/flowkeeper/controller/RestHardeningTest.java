package io.flowkeeper.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The REST server under abuse (issue 15: D1, D2, D3, D9, D10, D11), on a one-node cluster in this JVM: half-sent and
 * abandoned requests, watch floods, writes to internal data, lenient JSON and bad member adds; and paths that try to
 * reach past the dashboard's static files into the rest of the jar.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(180)
class RestHardeningTest {
    private static final int MAX_WATCHES = 6;
    private SoloNode solo;
    private RestClient api;

    @BeforeAll
    void start() throws Exception {
        solo = new SoloNode("rest-max-watches: " + MAX_WATCHES + "\n").start();
        api = solo.client();
    }

    @AfterAll
    void stop() throws Exception {
        if (solo != null) {
            solo.close();
        }
    }

    private static long openFds() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    /** Waits until this JVM's descriptor count is back to {@code baseline} (a little slack for JVM internals). */
    private static void awaitFdsBackTo(long baseline) throws Exception {
        long deadline = System.currentTimeMillis() + 15_000;
        long now = openFds();
        while (now > baseline + 20 && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
            now = openFds();
        }
        assertThat(now).as("open descriptors after the connections closed (baseline %d)", baseline)
                .isLessThanOrEqualTo(baseline + 20);
    }

    private Socket connect() throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", solo.restPort), 3_000);
        s.setSoTimeout(5_000);
        return s;
    }

    /** Sends a raw request with Connection: close and returns everything the server answered. */
    private String raw(String request) throws IOException {
        try (Socket s = connect()) {
            s.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private void healthAnswersWithinASecond() throws IOException {
        long t0 = System.nanoTime();
        assertThat(new RestClient(api.baseUrl(), null).get("/v1/health").status()).isEqualTo(200);
        assertThat((System.nanoTime() - t0) / 1_000_000).as("health latency, ms").isLessThan(1_000);
    }

    @Test
    void aThousandHalfSentRequestsNeitherStarveOthersNorLeakDescriptors() throws Exception {
        api.get("/v1/cluster"); // warm: pools and connections that stay
        long baseline = openFds();
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 1_000; i++) {
                Socket s = connect();
                // Headers never finished: the classic slowloris.
                s.getOutputStream().write(("GET /v1/cluster HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                        + SoloNode.TOKEN + "\r\n").getBytes(StandardCharsets.US_ASCII));
                slow.add(s);
            }
            for (int i = 0; i < 100; i++) {
                Socket s = connect();
                // Headers done, body half-sent: no route thread may wait for the rest.
                s.getOutputStream().write(("PUT /v1/datastore/network-config/slow HTTP/1.1\r\nHost: x\r\n"
                        + "Authorization: Bearer " + SoloNode.TOKEN + "\r\nContent-Length: 100\r\n\r\n{\"a\":")
                        .getBytes(StandardCharsets.US_ASCII));
                slow.add(s);
            }
            healthAnswersWithinASecond();
            long t0 = System.nanoTime();
            assertThat(api.get("/v1/cluster").status()).isEqualTo(200);
            assertThat(api.put("/v1/datastore/network-config/during-slowloris", "{}").status()).isEqualTo(200);
            assertThat((System.nanoTime() - t0) / 1_000_000).as("API latency, ms").isLessThan(3_000);
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }
        awaitFdsBackTo(baseline);
        healthAnswersWithinASecond();
    }

    @Test
    void connectionsThatSendARequestAndCloseLeakNoDescriptor() throws Exception {
        api.get("/v1/cluster");
        long baseline = openFds();
        for (int i = 0; i < 1_000; i++) {
            try (Socket s = connect()) {
                // A request line alone, a whole request, one the server answers with an error: then a plain close
                // (FIN) before reading the answer.
                String request = switch (i % 3) {
                    case 0 -> "GET /v1/health HTTP/1.1\r\n";
                    case 1 -> "GET /v1/cluster HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + SoloNode.TOKEN
                            + "\r\n\r\n";
                    default -> "GET /v1/cluster HTTP/1.1\r\nHost: x\r\n\r\n";
                };
                s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            }
        }
        awaitFdsBackTo(baseline);
        healthAnswersWithinASecond();
    }

    @Test
    void watchStreamsAreBoundedSeparatelyAndNeverStarveOtherClients() throws Exception {
        List<InputStream> watches = new ArrayList<>();
        try {
            for (int i = 0; i < MAX_WATCHES; i++) {
                InputStream in = api.watch("network-config", "/w", 0);
                watches.add(in);
                assertThat(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).readLine())
                        .contains("WATCHING");
            }
            assertThatThrownBy(() -> api.watch("network-config", "/w", 0)).isInstanceOf(IOException.class)
                    .hasMessageContaining("HTTP 503").hasMessageContaining("too many watch streams");
            healthAnswersWithinASecond();
            assertThat(api.put("/v1/datastore/network-config/w/x", "{\"v\":1}").status()).isEqualTo(200);
            assertThat(api.get("/v1/datastore/network-config/w/x").status()).isEqualTo(200);
            watches.remove(0).close();
            long deadline = System.currentTimeMillis() + 15_000;
            while (true) { // the slot frees when the server notices the closed stream (next event or heartbeat)
                api.put("/v1/datastore/network-config/w/x", "{\"v\":2}");
                try {
                    watches.add(api.watch("network-config", "/w", 0));
                    break;
                } catch (IOException e) {
                    assertThat(System.currentTimeMillis()).as("slot freed").isLessThan(deadline);
                    Thread.sleep(200);
                }
            }
        } finally {
            for (InputStream in : watches) {
                in.close();
            }
        }
    }

    @Test
    void internalDataIsReadOnlyThroughTheDatastoreApi() throws Exception {
        RestClient.Response r = api.put("/v1/datastore/ownership/entities/openflow:zz", "{\"entity\":\"openflow:zz\"}");
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.error()).contains("ownership shard is internal").contains("read-only");
        assertThat(api.delete("/v1/datastore/ownership/?prefix=true").status()).isEqualTo(403);
        assertThat(api.delete("/v1/datastore/ownership/nodes/solo").status()).isEqualTo(403);
        assertThat(api.post("/v1/txn/ownership", "{\"operations\":[{\"delete\":\"/entities/x\"}]}").status())
                .isEqualTo(403);
        assertThat(api.put("/v1/datastore/inventory-operational/switches/0000000000000001", "{}").status())
                .isEqualTo(403);
        assertThat(api.delete("/v1/datastore/inventory-operational/?prefix=true").status()).isEqualTo(403);
        r = api.post("/v1/txn/inventory-config",
                "{\"operations\":[{\"put\":\"/flows/0000000000000001/f1\",\"value\":{\"flow\":\"junk\"}}]}");
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.error()).contains("/v1/switches/{dpid}/flows");
        // Reads still work, and user areas of the same shards stay writable.
        assertThat(api.get("/v1/datastore/ownership/?list=true").status()).isEqualTo(200);
        assertThat(api.put("/v1/datastore/inventory-operational/sw/s9", "{}").status()).isEqualTo(200);
        assertThat(api.get("/v1/ownership").status()).isEqualTo(200);
    }

    @Test
    void jsonIsStrictAndBooleansAreTrueOrFalse() throws Exception {
        RestClient.Response r = api.put("/v1/datastore/network-config/strict", "{\"a\":1}garbage");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).startsWith("malformed JSON");
        r = api.put("/v1/datastore/network-config/strict", "{\"a\":1e999999}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).contains("out of range");
        assertThat(api.put("/v1/datastore/network-config/strict", "{\"a\":1,\"a\":2}").status()).isEqualTo(400);
        assertThat(api.post("/v1/txn/network-config",
                "{\"operations\":[{\"put\":\"/strict\",\"value\":{\"a\":1e999}}]}").status()).isEqualTo(400);
        assertThat(api.get("/v1/datastore/network-config/strict").status()).isEqualTo(404);
        r = api.put("/v1/datastore/network-config/strict?if-absent=maybe", "{}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).contains("if-absent must be true or false");
        assertThat(api.get("/v1/datastore/network-config/?list=yes").status()).isEqualTo(400);
        String badEscape = raw("GET /v1/datastore/network-config/?watch=%zz HTTP/1.1\r\nHost: x\r\n"
                + "Authorization: Bearer " + SoloNode.TOKEN + "\r\nConnection: close\r\n\r\n");
        assertThat(badEscape).startsWith("HTTP/1.1 400").contains("\"error\"");
        assertThat(api.put("/v1/datastore/network-config/strict?if-absent=true", "{\"a\":1.5}").status())
                .isEqualTo(200);
    }

    @Test
    void theServerItselfAnswersJsonAndNamesNoVersion() throws Exception {
        String bad = raw("GET /v1/cluster HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n");
        assertThat(bad).startsWith("HTTP/1.1 400").containsIgnoringCase("content-type: application/json")
                .contains("\"error\"").doesNotContainIgnoringCase("<html");
        String big = raw("GET /v1/cluster HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(10_000)
                + "\r\nConnection: close\r\n\r\n");
        assertThat(big).startsWith("HTTP/1.1 431").contains("\"error\"").doesNotContainIgnoringCase("<html");
        String ok = raw("GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertThat(ok).startsWith("HTTP/1.1 200").doesNotContainIgnoringCase("\nServer:");
        String head = raw("HEAD /v1/cluster HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + SoloNode.TOKEN
                + "\r\nConnection: close\r\n\r\n");
        assertThat(head).startsWith("HTTP/1.1 405");
        String tooLong = raw("PUT /v1/datastore/network-config/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + SoloNode.TOKEN + "\r\nContent-Length: 100000000\r\nConnection: close\r\n\r\n");
        assertThat(tooLong).startsWith("HTTP/1.1 413").contains("\"error\"");
    }

    @Test
    void memberAddsAreValidatedBeforeRaftSeesThem() throws Exception {
        long t0 = System.nanoTime();
        RestClient.Response r = api.post("/v1/cluster/members", "{\"id\":\"n4\",\"address\":\"127.0.0.1:99999\"}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).contains("port from 1 to 65535");
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(1_000);
        r = api.post("/v1/cluster/members", "{\"id\":\"solo\",\"address\":\"127.0.0.1:1234\"}");
        assertThat(r.status()).isEqualTo(409);
        assertThat(r.error()).contains("already a member");
        String soloAddress = api.get("/v1/cluster/members").body().path("members").path("solo").asText();
        r = api.post("/v1/cluster/members", "{\"id\":\"n5\",\"address\":\"" + soloAddress + "\"}");
        assertThat(r.status()).isEqualTo(409);
        assertThat(api.post("/v1/cluster/members", "{\"id\":\"bad id\",\"address\":\"h:1\"}").status())
                .isEqualTo(400);
        assertThat(api.get("/v1/cluster/members").body().path("members").size()).isEqualTo(1);
    }

    /** A request with the API token (it must open nothing more than no token does) and Connection: close. */
    private String withToken(String method, String target) throws IOException {
        return raw(method + " " + target + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + SoloNode.TOKEN
                + "\r\nConnection: close\r\n\r\n");
    }

    private static String header(String response, String name) {
        for (String line : response.substring(0, response.indexOf("\r\n\r\n")).split("\r\n")) {
            if (line.regionMatches(true, 0, name + ":", 0, name.length() + 1)) {
                return line.substring(name.length() + 1).trim();
            }
        }
        return null;
    }

    private static String body(String response) {
        return response.substring(response.indexOf("\r\n\r\n") + 4);
    }

    @Test
    void dashboardFilesNeedNoTokenAndNothingElseOfTheJarIsReachable() throws Exception {
        String page = raw("GET /dashboard/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); // no token
        assertThat(page).startsWith("HTTP/1.1 200");
        assertThat(header(page, "Content-Type")).isEqualToIgnoringWhitespace("text/html;charset=utf-8");
        assertThat(header(page, "Content-Security-Policy")).isEqualTo("default-src 'self'; frame-ancestors 'none'");
        assertThat(header(page, "X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(header(page, "Cache-Control")).isEqualTo("no-cache");
        assertThat(body(page)).contains("dashboard.js").contains("dashboard.css");
        assertThat(body(withToken("GET", "/dashboard/index.html"))).isEqualTo(body(page));
        String head = withToken("HEAD", "/dashboard/");
        assertThat(head).startsWith("HTTP/1.1 200");
        assertThat(header(head, "Content-Length")).isEqualTo(String.valueOf(body(page).getBytes(StandardCharsets.UTF_8)
                .length));
        assertThat(body(head)).isEmpty();
        assertThat(header(withToken("GET", "/dashboard/dashboard.js"), "Content-Type"))
                .isEqualToIgnoringWhitespace("text/javascript;charset=utf-8");
        assertThat(header(withToken("GET", "/dashboard/dashboard.css"), "Content-Type"))
                .isEqualToIgnoringWhitespace("text/css;charset=utf-8");
        String bare = withToken("GET", "/dashboard");
        assertThat(bare).startsWith("HTTP/1.1 301");
        assertThat(header(bare, "Location")).endsWith("/dashboard/");
        assertThat(withToken("POST", "/dashboard/index.html")).startsWith("HTTP/1.1 405");
        assertThat(withToken("PUT", "/dashboard/x.html")).startsWith("HTTP/1.1 405");
        // Paths Jetty normalizes land outside the files' directory, or name nothing in it: 404.
        for (String target : List.of("/dashboard/..", "/dashboard/../io/flowkeeper/controller/RestServer.class",
                "/dashboard/RestServer.class", "/dashboard/../RestServer.class", "/dashboard/file:/etc/passwd",
                "/dashboard/META-INF/MANIFEST.MF", "/dashboard/jetty-dir.css", "/dashboard/x/jetty-dir.css",
                "/io/flowkeeper/controller/dashboard/index.html", "/dashboard/nope", "/dashboard/index.html/")) {
            String r = withToken("GET", target);
            assertThat(r).as(target).startsWith("HTTP/1.1 404").contains("\"error\"");
            assertThat(header(r, "Content-Type")).as(target).isEqualTo("application/json");
        }
        // Encoded dots and slashes, empty segments, backslashes, path parameters: Jetty's URI compliance refuses
        // them as ambiguous (400) before any handler sees them.
        for (String target : List.of("/dashboard/%2e%2e/RestServer.class", "/dashboard/%2e%2e/%2e%2e/etc/passwd",
                "/dashboard/..%2fRestServer.class", "/dashboard/%2e%2e%2fRestServer.class", "/dashboard//etc/passwd",
                "/dashboard/%2fetc%2fpasswd", "/dashboard/../../../../etc/passwd", "/dashboard/..;/RestServer.class",
                "/dashboard/%5c..%5cRestServer.class", "/dashboard/%00")) {
            String r = withToken("GET", target);
            assertThat(r).as(target).startsWith("HTTP/1.1 400").contains("\"error\"");
            assertThat(header(r, "Content-Type")).as(target).isEqualTo("application/json");
        }
    }
}
