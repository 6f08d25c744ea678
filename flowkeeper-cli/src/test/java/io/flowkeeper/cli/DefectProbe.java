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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A black-box probe of issue 15's defects against a running node, so the same program runs against any build (the
 * one the defects were found on, {@code fdb2b2e}, and today's): JDK classes only, run as a single file:
 * <pre>
 * FLOWKEEPER_TOKEN=... java flowkeeper-cli/src/test/java/io/flowkeeper/cli/DefectProbe.java http://127.0.0.1:8181 \
 *     [--pid PID] [--data-dir DIR] [--openflow HOST:PORT] [--tls-url https://HOST:PORT] [--d7-wait SECONDS]
 * </pre>
 * The API token comes from {@code FLOWKEEPER_TOKEN} or {@code --token-file FILE}, never from the command line (the
 * probe must not commit D8 itself). Prints one line per defect, {@code Dn reproduces|fixed|not judged: evidence}.
 * Over the REST port alone: D1, D3, D6, D9, D11. With {@code --openflow} (the node's plain-text OpenFlow port) it plays
 * hand-written OpenFlow 1.3 switches over sockets: D4 (an impostor from 127.0.0.3 claims a connected dpid) and D7
 * (200 invented dpids, their ownership entities counted, then watched for {@code --d7-wait} seconds). With the node's
 * {@code --pid} (same host, same user): D2 (its descriptors, {@code /proc/PID/fd}) and D8 (its command line); with
 * {@code --data-dir}: D8's file modes. With {@code --tls-url}, the URL of a node whose configuration turned TLS on:
 * D5. It writes under the ownership shard (D1) and leaves fake switches' entities: probe a throw-away cluster only.
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
        java.util.Map<String, String> opt = new java.util.HashMap<>();
        for (int i = 1; i + 1 < args.length; i += 2) {
            opt.put(args[i], args[i + 1]);
        }
        String token = opt.containsKey("--token-file")
                ? Files.readAllLines(Path.of(opt.get("--token-file"))).stream().map(String::strip)
                        .filter(l -> !l.isEmpty() && !l.startsWith("#")).findFirst().orElse("")
                : System.getenv().getOrDefault("FLOWKEEPER_TOKEN", "");
        java.util.Set<String> known = java.util.Set.of("--token-file", "--pid", "--data-dir", "--openflow",
                "--tls-url", "--d7-wait");
        if (args.length == 0 || args.length % 2 == 0 || !known.containsAll(opt.keySet()) || token.isEmpty()) {
            System.err.println("usage: FLOWKEEPER_TOKEN=... DefectProbe http://HOST:PORT [--token-file FILE]"
                    + " [--pid PID] [--data-dir DIR] [--openflow HOST:PORT] [--tls-url https://HOST:PORT]"
                    + " [--d7-wait SECONDS]");
            System.exit(2);
        }
        DefectProbe p = new DefectProbe(args[0], token);
        p.d1();
        p.d6();
        p.d9();
        p.d11();
        if (opt.containsKey("--tls-url")) {
            p.d5(opt.get("--tls-url"));
        }
        if (opt.containsKey("--openflow")) {
            String[] hp = opt.get("--openflow").split(":");
            InetSocketAddress of = new InetSocketAddress(hp[0], Integer.parseInt(hp[1]));
            p.d4(of);
            p.d7(of, Integer.parseInt(opt.getOrDefault("--d7-wait", "0")));
        }
        if (opt.containsKey("--pid") || opt.containsKey("--data-dir")) {
            p.d8(opt.get("--pid"), opt.get("--data-dir"));
        }
        if (opt.containsKey("--pid")) {
            p.d2(opt.get("--pid")); // after the others: on a leaking build it leaves 1,000 descriptors behind
        }
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
        report(defect, reproduces ? "reproduces" : "fixed", evidence);
    }

    private static void report(String defect, String verdict, String evidence) {
        System.out.printf("%s %s: %s%n", defect, verdict, evidence.replace('\n', ' '));
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

    private static long openFds(String pid) throws IOException {
        try (var fds = Files.list(Path.of("/proc", pid, "fd"))) {
            return fds.count();
        }
    }

    /** D2: a connection that sends a request line and closes leaks a descriptor: 1,000 of them, then count. */
    private void d2(String pid) throws Exception {
        send("GET", "/v1/cluster", null); // warm: pools and connections that stay
        long baseline = openFds(pid);
        URI u = URI.create(base);
        for (int i = 0; i < 1_000; i++) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(u.getHost(), u.getPort()), 3_000);
                s.getOutputStream().write("GET /v1/health HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
            }
        }
        // The server notices each close on its own time: give it 15 s to get back near the baseline.
        long deadline = System.currentTimeMillis() + 15_000;
        long now = openFds(pid);
        while (now > baseline + 20 && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
            now = openFds(pid);
        }
        report("D2", now > baseline + 20, "1,000 connections sent a request line and closed: node's descriptors "
                + baseline + " before, " + now + " after 15 s at most");
    }

    /** D5: a node whose configuration turned TLS on serves HTTPS, and a plain-text client is told why. */
    private void d5(String tlsUrl) throws Exception {
        URI u = URI.create(tlsUrl);
        String https;
        boolean served = false;
        try {
            // The probe checks that TLS is spoken, not whom to trust: it accepts any certificate.
            javax.net.ssl.SSLContext trustAll = javax.net.ssl.SSLContext.getInstance("TLS");
            trustAll.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
                @Override
                public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) { }

                @Override
                public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) { }

                @Override
                public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                    return new java.security.cert.X509Certificate[0];
                }
            }}, null);
            HttpClient tls = HttpClient.newBuilder().sslContext(trustAll).connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> r = tls.send(HttpRequest.newBuilder(URI.create("https://" + u.getHost() + ":"
                    + u.getPort() + "/v1/cluster")).timeout(Duration.ofSeconds(10))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
            served = r.statusCode() == 200;
            https = "HTTPS GET /v1/cluster -> " + r.statusCode();
        } catch (IOException e) {
            https = "HTTPS GET /v1/cluster failed: " + cut(String.valueOf(e));
        }
        String plain;
        boolean toldWhy = false;
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + u.getHost() + ":"
                    + u.getPort() + "/v1/cluster")).timeout(Duration.ofSeconds(10))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
            toldWhy = r.statusCode() == 400 && r.body().contains("HTTPS");
            plain = "plain HTTP -> " + r.statusCode() + " " + cut(r.body());
        } catch (IOException e) {
            plain = "plain HTTP failed: " + cut(String.valueOf(e));
        }
        report("D5", !(served && toldWhy), https + "; " + plain);
    }

    /** D4: an impostor from another address completes a handshake with a connected dpid. Who gets the flows? */
    private void d4(InetSocketAddress of) throws Exception {
        long dpid = 0xd4L;
        try (FakeSwitch real = new FakeSwitch(of, "127.0.0.1")) {
            if (!real.handshake(dpid)) {
                report("D4", "not judged", "the switch playing the real one was closed in its handshake");
                return;
            }
            if (!real.awaitRole(2, 30_000)) {
                report("D4", "not judged", "the real switch was not made master within 30 s (roles: " + real.roles
                        + ")");
                return;
            }
            String impostorSaw;
            boolean impostorMaster;
            int realFlowModsBefore;
            try (FakeSwitch impostor = new FakeSwitch(of, "127.0.0.3")) {
                boolean handshook = impostor.handshake(dpid);
                impostor.awaitRole(2, 5_000);
                realFlowModsBefore = real.count(14);
                int n = (int) (System.currentTimeMillis() % 250) + 1; // a flow no earlier run left desired
                HttpResponse<String> put = send("PUT", "/v1/switches/" + String.format("%016x", dpid)
                        + "/flows/probe-d4-" + n, "{\"flow\":\"table=0,priority=40,ip,nw_dst=10.4.4." + n
                        + ",actions=drop\"}");
                long deadline = System.currentTimeMillis() + 10_000;
                while (real.count(14) == realFlowModsBefore && impostor.count(14) == 0
                        && System.currentTimeMillis() < deadline) {
                    Thread.sleep(100);
                }
                Thread.sleep(1_000); // whatever else the push sends
                impostorMaster = impostor.roles.contains(2) || impostor.count(14) > 0;
                impostorSaw = "impostor from 127.0.0.3: handshake " + (handshook ? "completed" : "cut short")
                        + ", roles asked " + impostor.roles + ", flow mods " + impostor.count(14) + ", "
                        + (impostor.closed ? "closed by the node" : "still open") + "; flow PUT " + put.statusCode();
            }
            int realGot = real.count(14) - realFlowModsBefore;
            report("D4", impostorMaster || realGot == 0, impostorSaw + "; real switch from 127.0.0.1: "
                    + (real.closed ? "closed by the node" : "still open") + ", flow mods after the PUT " + realGot);
        }
    }

    /** Ownership entities whose dpid starts with {@code prefix} (hex), from GET /v1/ownership. */
    private int entities(String prefix) throws Exception {
        HttpResponse<String> r = send("GET", "/v1/ownership", null);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"entity\"\\s*:\\s*\"openflow:" + prefix)
                .matcher(r.body());
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    /** D7: 200 invented dpids complete a handshake and go: how many entities stay, and for how long? */
    private void d7(InetSocketAddress of, int waitSeconds) throws Exception {
        String prefix = "00000000d7";
        int before = entities(prefix);
        java.util.concurrent.atomic.AtomicInteger handshook = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(20);
        List<java.util.concurrent.Future<?>> done = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            long dpid = 0xd7000000L + i;
            done.add(pool.submit(() -> {
                try (FakeSwitch sw = new FakeSwitch(of, "127.0.0.1")) {
                    if (sw.handshake(dpid)) {
                        handshook.incrementAndGet();
                        Thread.sleep(2_000); // long enough to be registered, or refused
                    }
                }
                return null;
            }));
        }
        for (var f : done) {
            f.get();
        }
        pool.shutdown();
        // Registrations commit after the handshake: wait until the count is steady for 3 s.
        int after = entities(prefix);
        for (int steady = 0; steady < 3; ) {
            Thread.sleep(1_000);
            int n = entities(prefix);
            steady = n == after ? steady + 1 : 0;
            after = n;
        }
        String evidence = "200 invented dpids connected (" + handshook.get() + " handshakes completed) and left: "
                + (after - before) + " new ownership entities";
        if (waitSeconds <= 0) {
            report("D7", "not judged", evidence + " (no --d7-wait: their lifetime not watched)");
            return;
        }
        long t0 = System.currentTimeMillis();
        int left = after;
        while (left > 0 && System.currentTimeMillis() - t0 < waitSeconds * 1_000L) {
            Thread.sleep(2_000);
            left = entities(prefix);
        }
        report("D7", left > 0, evidence + "; " + left + " of them left after "
                + (System.currentTimeMillis() - t0) / 1_000 + " s");
    }

    /** D8: the token on the node's command line (seen by every local user in ps), and its data dir's modes. */
    private void d8(String pid, String dataDir) throws Exception {
        List<String> found = new ArrayList<>();
        if (pid != null) {
            String cmdline = Files.readString(Path.of("/proc", pid, "cmdline")).replace('\0', ' ');
            // never print the token: only whether it is there
            found.add(cmdline.contains(token) ? "the API token is on its command line (ps shows it)"
                    : "no API token on its command line");
        }
        if (dataDir != null) {
            java.util.Map<String, Integer> open = new java.util.TreeMap<>();
            int[] total = {0};
            try (var all = Files.walk(Path.of(dataDir))) {
                for (Path f : (Iterable<Path>) all::iterator) {
                    total[0]++;
                    var perms = Files.getPosixFilePermissions(f, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                    if (perms.stream().anyMatch(x -> x.name().startsWith("GROUP") || x.name().startsWith("OTHERS"))) {
                        String kind = (Files.isDirectory(f) ? "dirs " : "files ")
                                + java.nio.file.attribute.PosixFilePermissions.toString(perms);
                        open.merge(kind, 1, Integer::sum);
                    }
                }
            }
            found.add(open.isEmpty() ? "all " + total[0] + " entries of the data dir private (no group/other bits)"
                    : "of " + total[0] + " data dir entries, readable by others: " + open);
        }
        boolean reproduces = found.stream().anyMatch(f -> f.startsWith("the API token is") || f.startsWith("of "));
        report("D8", reproduces, String.join("; ", found));
    }

    /**
     * A switch played over a socket with hand-written OpenFlow 1.4 (the version Flowkeeper pushes flows in, as
     * bundles): HELLO, FEATURES_REPLY, an empty port description; then it answers echoes, barriers, role, bundle
     * and multipart requests as OVS would, and records what it was sent (a flow mod inside a bundle counts as one).
     */
    private static final class FakeSwitch implements AutoCloseable {
        private final Socket socket = new Socket();
        private final java.io.DataInputStream in;
        private final java.io.OutputStream out;
        private final List<Integer> types = java.util.Collections.synchronizedList(new ArrayList<>());
        final List<Integer> roles = java.util.Collections.synchronizedList(new ArrayList<>());
        volatile boolean closed;

        FakeSwitch(InetSocketAddress controller, String localAddress) throws IOException {
            socket.bind(new InetSocketAddress(localAddress, 0));
            socket.connect(controller, 3_000);
            socket.setSoTimeout(15_000);
            in = new java.io.DataInputStream(new java.io.BufferedInputStream(socket.getInputStream()));
            out = socket.getOutputStream();
        }

        private synchronized void send(int type, int xid, byte[] body) throws IOException {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + body.length);
            b.put((byte) 5).put((byte) type).putShort((short) (8 + body.length)).putInt(xid).put(body);
            out.write(b.array());
            out.flush();
        }

        /** One message: {type, xid} and its body, or null when the node closed the connection. */
        private Object[] read() throws IOException {
            byte[] header = new byte[8];
            try {
                in.readFully(header);
            } catch (java.io.EOFException | java.net.SocketException e) {
                closed = true;
                return null;
            }
            java.nio.ByteBuffer h = java.nio.ByteBuffer.wrap(header);
            h.get();
            int type = h.get() & 0xff;
            int length = h.getShort() & 0xffff;
            int xid = h.getInt();
            byte[] body = new byte[length - 8];
            in.readFully(body);
            return new Object[] {type, xid, body};
        }

        /** Plays the handshake; true when the node asked for the port description (the handshake's end). */
        boolean handshake(long dpid) throws IOException {
            send(0, 1, new byte[0]); // HELLO
            while (true) {
                Object[] m = read();
                if (m == null) {
                    return false;
                }
                int type = (int) m[0];
                int xid = (int) m[1];
                if (type == 5) { // FEATURES_REQUEST
                    send(6, xid, java.nio.ByteBuffer.allocate(24).putLong(dpid).putInt(0).put((byte) 254).array());
                } else if (type == 18) { // the port description request: answered, the switch is up
                    answer(type, xid, (byte[]) m[2]);
                    socket.setSoTimeout(0); // from here a quiet switch is normal: the reader waits for the close
                    Thread t = new Thread(this::serve, "fake-switch-" + Long.toHexString(dpid));
                    t.setDaemon(true);
                    t.start();
                    return true;
                } else {
                    answer(type, xid, (byte[]) m[2]);
                }
            }
        }

        private void serve() {
            try {
                for (Object[] m = read(); m != null; m = read()) {
                    types.add((Integer) m[0]);
                    byte[] body = (byte[]) m[2];
                    if ((int) m[0] == 34 && body.length >= 16) { // BUNDLE_ADD_MESSAGE: what it carries
                        types.add(body[9] & 0xff);
                    }
                    answer((int) m[0], (int) m[1], (byte[]) m[2]);
                }
            } catch (IOException e) {
                closed = true;
            }
        }

        private void answer(int type, int xid, byte[] body) throws IOException {
            switch (type) {
                case 2 -> send(3, xid, body); // ECHO
                case 7 -> send(8, xid, new byte[] {0, 0, (byte) 0xff, (byte) 0xff}); // GET_CONFIG
                case 20 -> send(21, xid, new byte[0]); // BARRIER
                case 24 -> { // ROLE_REQUEST: granted as asked
                    roles.add(java.nio.ByteBuffer.wrap(body).getInt());
                    send(25, xid, body);
                }
                case 33 -> { // BUNDLE_CONTROL: each request (open, close, commit, discard) granted by its reply
                    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(body.clone());
                    b.putShort(4, (short) (b.getShort(4) + 1));
                    send(33, xid, b.array());
                }
                case 18 -> { // MULTIPART_REQUEST: an empty reply of its kind (a blank description for DESC)
                    int kind = java.nio.ByteBuffer.wrap(body).getShort() & 0xffff;
                    byte[] reply = new byte[8 + (kind == 0 ? 1056 : 0)];
                    java.nio.ByteBuffer.wrap(reply).putShort((short) kind);
                    send(19, xid, reply);
                }
                default -> { }
            }
        }

        int count(int type) {
            synchronized (types) {
                return (int) types.stream().filter(t -> t == type).count();
            }
        }

        boolean awaitRole(int role, long millis) throws InterruptedException {
            long deadline = System.currentTimeMillis() + millis;
            while (!roles.contains(role) && !closed && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
            return roles.contains(role);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
