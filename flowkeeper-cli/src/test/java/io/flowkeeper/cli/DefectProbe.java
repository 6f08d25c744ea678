package io.flowkeeper.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A black-box probe of issue 15's REST defects against a running node, by its URL and an API token only, so the same
 * program runs against any build (the one the defects were found on, {@code fdb2b2e}, and today's): JDK classes
 * only, run as a single file: {@code java flowkeeper-cli/src/test/java/io/flowkeeper/cli/DefectProbe.java
 * http://127.0.0.1:8181 TOKEN}. Prints one line per defect, {@code Dn reproduces|fixed: evidence}. Covers what the
 * REST port shows: D1, D3, D6, D9, D11 (D2's descriptor leak, D4/D7's OpenFlow, D5's TLS and D8's files need the
 * node's host or a switch). It writes under the ownership shard (D1): probe a throw-away cluster only.
 */
public final class DefectProbe {
    private final String base;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private DefectProbe(String base, String token) {
        this.base = base;
        this.token = token;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: DefectProbe http://HOST:PORT API-TOKEN");
            System.exit(2);
        }
        DefectProbe p = new DefectProbe(args[0], args[1]);
        p.d1();
        p.d6();
        p.d9();
        p.d11();
        p.d3(); // last: it may leave the node's REST pool busy until its timeouts
    }

    private HttpResponse<String> send(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void report(String defect, boolean reproduces, String evidence) {
        System.out.printf("%s %s: %s%n", defect, reproduces ? "reproduces" : "fixed", evidence.replace('\n', ' '));
    }

    private static String cut(String s) {
        return s.length() > 160 ? s.substring(0, 160) + "..." : s;
    }

    /** D1: an API token writes the internal ownership shard through the raw datastore API. */
    private void d1() throws Exception {
        HttpResponse<String> r = send("PUT", "/v1/datastore/ownership/probe/d1", "{\"probe\":true}");
        report("D1", r.statusCode() / 100 == 2, "PUT /v1/datastore/ownership/probe/d1 -> " + r.statusCode() + " "
                + cut(r.body()));
        if (r.statusCode() / 100 == 2) {
            send("DELETE", "/v1/datastore/ownership/probe/d1", null);
        }
    }

    /** D6: the node token defaults to an API token, so an API token opens /v1/internal/. */
    private void d6() throws Exception {
        HttpResponse<String> r = send("GET", "/v1/internal/switches/00000000000000d6/role", null);
        report("D6", r.statusCode() != 401 && r.statusCode() != 403, "API token on GET /v1/internal/... -> "
                + r.statusCode() + " " + cut(r.body()));
    }

    /** D9: a member at port 99999 is accepted and answered late with library text. */
    private void d9() throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<String> r;
        try {
            r = send("POST", "/v1/cluster/members", "{\"id\":\"probe9\",\"address\":\"127.0.0.1:99999\"}");
        } catch (java.net.http.HttpTimeoutException e) {
            report("D9", true, "POST member 127.0.0.1:99999 -> no answer within 30 s");
            return;
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        boolean libraryText = r.body().contains("org.apache") || r.body().contains("ratis")
                || r.body().contains("Exception");
        report("D9", r.statusCode() != 400 || libraryText, "POST member 127.0.0.1:99999 -> " + r.statusCode()
                + " after " + ms + " ms " + cut(r.body()));
    }

    /** D11: lenient JSON, if-absent=maybe read as false, HTML errors. */
    private void d11() throws Exception {
        List<String> lenient = new ArrayList<>();
        HttpResponse<String> r = send("PUT", "/v1/datastore/network-config/probe/d11a", "{\"a\":1}garbage");
        if (r.statusCode() / 100 == 2) {
            lenient.add("trailing garbage stored (" + r.statusCode() + ")");
        }
        r = send("PUT", "/v1/datastore/network-config/probe/d11b", "{\"a\":1e999999}");
        if (r.statusCode() / 100 == 2) {
            lenient.add("1e999999 stored (" + r.statusCode() + ")");
        }
        r = send("PUT", "/v1/datastore/network-config/probe/d11c?if-absent=maybe", "{}");
        if (r.statusCode() / 100 == 2) {
            lenient.add("if-absent=maybe accepted (" + r.statusCode() + ")");
        }
        String bad = raw("GET /v1/cluster HTTP/1.1\r\nHost: x\r\nno colon here\r\nConnection: close\r\n\r\n");
        if (!bad.toLowerCase(java.util.Locale.ROOT).contains("application/json")) {
            lenient.add("a malformed header answered as: " + cut(bad.lines().findFirst().orElse("nothing")
                    + " " + bad.replaceAll("\\s+", " ")));
        }
        report("D11", !lenient.isEmpty(), lenient.isEmpty() ? "all refused with JSON errors" : String.join("; ", lenient));
    }

    /** Sends {@code request} on a new connection and returns what the server answered before closing it. */
    private String raw(String request) throws IOException {
        URI u = URI.create(base);
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(u.getHost(), u.getPort()), 3_000);
            s.setSoTimeout(5_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.net.SocketTimeoutException e) {
            return "no answer within 5 s";
        }
    }

    /** D3: ~256 half-sent requests fill the REST pool: is /v1/health still answered within a second? */
    private void d3() throws Exception {
        URI u = URI.create(base);
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 300; i++) {
                Socket s = new Socket();
                s.connect(new InetSocketAddress(u.getHost(), u.getPort()), 3_000);
                s.getOutputStream().write(("GET /v1/cluster HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                        + "\r\nX-Half: ").getBytes(StandardCharsets.UTF_8));
                s.getOutputStream().flush();
                held.add(s);
            }
            Thread.sleep(1_000);
            long t0 = System.nanoTime();
            String answer;
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(u.getHost(), u.getPort()), 3_000);
                s.setSoTimeout(5_000);
                s.getOutputStream().write("GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.UTF_8));
                InputStream in = s.getInputStream();
                byte[] buf = new byte[64];
                int n = in.read(buf);
                answer = n <= 0 ? "closed without an answer" : new String(buf, 0, n, StandardCharsets.UTF_8).lines()
                        .findFirst().orElse("");
            } catch (IOException e) {
                answer = e.toString();
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            report("D3", !answer.startsWith("HTTP/1.1 200") || ms >= 1_000, "300 half-sent requests held, then"
                    + " /v1/health: " + answer + " after " + ms + " ms");
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }
}
