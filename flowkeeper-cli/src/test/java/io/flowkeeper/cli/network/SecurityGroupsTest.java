package io.flowkeeper.cli.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flowkeeper.cli.bench.TenantLab;
import io.flowkeeper.cli.bench.TenantLab.Plugged;
import io.flowkeeper.controller.RestClient;
import io.flowkeeper.testbed.Cmd;
import io.flowkeeper.testbed.Vm;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Security groups enforced in real OVS, checked with real traffic only ({@code ping}, {@code nc}, Python sockets in
 * the VMs): a three-node cluster and two hosts ({@link TenantLab}), one network. A (h1) and B (h2) are in the
 * project's default group; X (h2) is in "web", which starts with Neutron's egress-only rules; O (h1) has port
 * security off.
 */
@Tag("integration")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(600)
class SecurityGroupsTest {
    private static final Duration LONG = Duration.ofSeconds(60);
    /** How long a rule or membership change may take to reach the switches (the port-plug budget). */
    private static final Duration BUDGET = Duration.ofSeconds(10);
    private static TenantLab lab;
    private static RestClient api;
    private static Plugged a;
    private static Plugged b;
    private static Plugged x;
    private static Plugged o;
    private static String web;
    private static String friends;
    private static String sshRule;
    private static final List<Process> processes = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        lab = TenantLab.start(2, 0x5e1, List.of("request-timeout: 5s", "election-timeout-min: 1s",
                "election-timeout-max: 2s", "stats-interval: 1s"));
        api = lab.api();
        String net = lab.create("networks", "{\"network\": {\"name\": \"sg\", \"project_id\": \"p\"}}");
        String subnet = lab.create("subnets", "{\"subnet\": {\"network_id\": \"" + net + "\", \"project_id\": \"p\","
                + " \"ip_version\": 4, \"cidr\": \"10.3.0.0/24\"}}");
        web = lab.create("security-groups", "{\"security_group\": {\"name\": \"web\", \"project_id\": \"p\"}}");
        friends = lab.create("security-groups", "{\"security_group\": {\"name\": \"friends\", \"project_id\": \"p\"}}");
        a = lab.plug(lab.host(0), "a", net, subnet, "p", "fa:16:3e:00:5a:01", "10.3.0.10", "");
        b = lab.plug(lab.host(1), "b", net, subnet, "p", "fa:16:3e:00:5b:01", "10.3.0.20", "");
        x = lab.plug(lab.host(1), "x", net, subnet, "p", "fa:16:3e:00:5c:01", "10.3.0.30",
                ", \"security_groups\": [\"" + web + "\"]");
        o = lab.plug(lab.host(0), "o", net, subnet, "p", "fa:16:3e:00:5d:01", "10.3.0.40",
                ", \"port_security_enabled\": false, \"security_groups\": []");
    }

    @AfterAll
    static void stop() throws Exception {
        processes.forEach(Process::destroyForcibly);
        if (lab != null) {
            lab.close();
        }
    }

    private static String rule(String group, String direction, String protocol, Integer min, Integer max,
                               String prefix, String remoteGroup) throws Exception {
        StringBuilder sb = new StringBuilder("{\"security_group_rule\": {\"security_group_id\": \"" + group
                + "\", \"direction\": \"" + direction + "\", \"ethertype\": \"IPv4\"");
        if (protocol != null) {
            sb.append(", \"protocol\": \"").append(protocol).append('"');
        }
        if (min != null) {
            sb.append(", \"port_range_min\": ").append(min).append(", \"port_range_max\": ").append(max);
        }
        if (prefix != null) {
            sb.append(", \"remote_ip_prefix\": \"").append(prefix).append('"');
        }
        if (remoteGroup != null) {
            sb.append(", \"remote_group_id\": \"").append(remoteGroup).append('"');
        }
        return lab.create("security-group-rules", sb.append("}}").toString());
    }

    /** Whether a TCP connection from the VM to {@code ip:port} opens within two seconds ({@code nc -z}). */
    private static boolean connects(Vm from, String ip, int port) {
        return inVm(from, "nc", "-z", "-w", "2", ip, String.valueOf(port)).ok();
    }

    /** Runs a command in the VM's namespace; its result whatever the exit code. */
    private static Cmd.Result inVm(Vm vm, String... command) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", vm.netns()));
        cmd.addAll(List.of(command));
        return Cmd.exec(cmd, Map.of(), Duration.ofSeconds(20));
    }

    /** A process in the VM's namespace, stopped after the tests; its first output line must be {@code ready}. */
    private static BufferedReader start(Vm vm, String ready, String... command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", vm.netns()));
        cmd.addAll(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        processes.add(p);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        if (ready != null) {
            String line = out.readLine();
            assertThat(line).as("first line of " + cmd).isEqualTo(ready);
        }
        return out;
    }

    /** A TCP server echoing every connection's bytes, on {@code port}. */
    private static void tcpEcho(Vm vm, int port) throws Exception {
        start(vm, "listening", "python3", "-u", "-c", String.join("\n",
                "import socket, threading",
                "s = socket.socket()",
                "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
                "s.bind(('', " + port + "))",
                "s.listen(16)",
                "print('listening')",
                "def echo(c):",
                "    while True:",
                "        d = c.recv(4096)",
                "        if not d:",
                "            return",
                "        c.sendall(d)",
                "while True:",
                "    c, _ = s.accept()",
                "    threading.Thread(target=echo, args=(c,), daemon=True).start()"));
    }

    @Test
    @Order(1)
    void dhcpAndArpWorkUnderAnyRuleSet() throws Exception {
        for (Plugged p : List.of(a, b, x, o)) {
            await().atMost(LONG).until(() -> lab.portStatus(p.portId()).equals("ACTIVE"));
        }
        for (Plugged p : List.of(a, b, x, o)) {
            String lease = TenantLab.configureFromDhcp(p.vm(), Duration.ofSeconds(30));
            assertThat(lease).contains("fixed-address " + p.ip() + ";");
        }
        // X's group lets nothing in, yet ARP for it is answered
        assertThat(a.vm().arping(x.ip(), Duration.ofSeconds(10))).isTrue();
    }

    @Test
    @Order(2)
    void theDefaultGroupLetsMembersTalkKeepsOutsidersOutAndLetsMembersReachOut() {
        assertThat(a.vm().reachable(b.ip(), LONG)).isTrue();
        assertThat(a.vm().ping(b.ip(), 10, Duration.ofSeconds(2))).isTrue();
        assertThat(b.vm().ping(a.ip(), 10, Duration.ofSeconds(2))).isTrue();
        // X is not a member: its pings to A and B are dropped at their ingress
        assertThat(x.vm().ping(a.ip(), 3, Duration.ofSeconds(1))).isFalse();
        assertThat(x.vm().ping(b.ip(), 3, Duration.ofSeconds(1))).isFalse();
        // members reach out: O (no port security) answers, the replies come back as established traffic
        assertThat(a.vm().reachable(o.ip(), LONG)).isTrue();
        assertThat(b.vm().ping(o.ip(), 5, Duration.ofSeconds(2))).isTrue();
    }

    @Test
    @Order(3)
    void tcp22FromAPrefixConnectsFromInsideTimesOutFromOutsideAndDropsIcmp() throws Exception {
        start(x.vm(), null, "nc", "-lk", "22");
        sshRule = rule(web, "ingress", "tcp", 22, 22, "10.3.0.0/28", null); // A (.10) inside, B (.20) outside
        await().atMost(BUDGET).until(() -> connects(a.vm(), x.ip(), 22));
        assertThat(connects(b.vm(), x.ip(), 22)).isFalse();
        assertThat(a.vm().ping(x.ip(), 3, Duration.ofSeconds(1))).isFalse();
        assertThat(connects(a.vm(), x.ip(), 23)).isFalse();
    }

    @Test
    @Order(4)
    void aRemoteGroupRuleFollowsMembership() throws Exception {
        tcpEcho(x.vm(), 8080);
        rule(web, "ingress", "tcp", 8080, 8080, null, friends);
        Thread.sleep(2_000); // the rule is in force: B is no friend yet
        assertThat(connects(b.vm(), x.ip(), 8080)).isFalse();
        String defaultGroup = api.get("/v2.0/ports/" + b.portId()).body().path("port").path("security_groups")
                .get(0).asText();
        long t0 = System.nanoTime();
        RestClient.Response r = api.put("/v2.0/ports/" + b.portId(), "{\"port\": {\"security_groups\": [\""
                + defaultGroup + "\", \"" + friends + "\"]}}");
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        await().atMost(BUDGET).until(() -> connects(b.vm(), x.ip(), 8080));
        System.out.printf("remote group: B let in %d ms after joining%n", (System.nanoTime() - t0) / 1_000_000);
        // leaving again shuts it out
        r = api.put("/v2.0/ports/" + b.portId(), "{\"port\": {\"security_groups\": [\"" + defaultGroup + "\"]}}");
        assertThat(r.status()).isEqualTo(200);
        await().atMost(BUDGET).until(() -> !connects(b.vm(), x.ip(), 8080));
    }

    @Test
    @Order(5)
    void removingARuleStopsAnOpenTcpSession() throws Exception {
        tcpEcho(x.vm(), 2222);
        String rule = rule(web, "ingress", "tcp", 2222, 2222, "10.3.0.0/28", null);
        await().atMost(BUDGET).until(() -> connects(a.vm(), x.ip(), 2222));
        // one byte every 100 ms, each echoed; a second without the echo ends the session
        BufferedReader session = start(a.vm(), "open", "python3", "-u", "-c", String.join("\n",
                "import socket, time",
                "s = socket.create_connection(('" + x.ip() + "', 2222), timeout=5)",
                "s.settimeout(1)",
                "print('open')",
                "n = 0",
                "while True:",
                "    s.sendall(b'x')",
                "    try:",
                "        if not s.recv(1):",
                "            print('closed'); break",
                "    except socket.timeout:",
                "        print('cut after', n); break",
                "    n += 1",
                "    if n % 10 == 0:",
                "        print('echoed', n)",
                "    time.sleep(0.1)"));
        assertThat(session.readLine()).isEqualTo("echoed 10");
        long t0 = System.nanoTime();
        assertThat(api.delete("/v2.0/security-group-rules/" + rule).status()).isEqualTo(204);
        String last;
        do {
            last = session.readLine();
        } while (last != null && last.startsWith("echoed"));
        System.out.printf("rule removed: the open session was cut %d ms after the DELETE (%s)%n",
                (System.nanoTime() - t0) / 1_000_000, last);
        assertThat(last).startsWith("cut after");
        assertThat(connects(a.vm(), x.ip(), 2222)).isFalse();
    }

    @Test
    @Order(6)
    void udpRequestAndReplyPassStatefully() throws Exception {
        start(x.vm(), "listening", "python3", "-u", "-c", String.join("\n",
                "import socket",
                "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
                "s.bind(('', 5353))",
                "print('listening')",
                "while True:",
                "    d, peer = s.recvfrom(512)",
                "    s.sendto(b'reply:' + d, peer)"));
        String ask = "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.settimeout(2)\n"
                + "s.sendto(b'q', ('" + x.ip() + "', 5353))\ntry:\n    print(s.recvfrom(512)[0].decode())\n"
                + "except socket.timeout:\n    print('no reply')";
        assertThat(a.vm().exec("python3", "-c", ask).strip()).isEqualTo("no reply");
        rule(web, "ingress", "udp", 5353, 5353, null, null);
        // X is no member of A's group: the reply reaches A only as the connection's reply
        await().atMost(BUDGET).until(() -> a.vm().exec("python3", "-c", ask).strip().equals("reply:q"));
    }

    @Test
    @Order(7)
    void portsShowListsTheRulesInForceAndTheirFlows() throws Exception {
        // X's group: Neutron's egress rules (IPv4 and IPv6) and the rules the tests above added (tcp/22 still in)
        new SecurityGroupsShow(lab).check(x.portId(), o.portId());
    }

    @Test
    @Order(8)
    void portSecurityOffPassesEverything() {
        assertThat(x.vm().reachable(o.ip(), LONG)).isTrue();
        assertThat(o.vm().ping(a.ip(), 3, Duration.ofSeconds(1))).isFalse(); // A's rules still hold for O
        assertThat(b.vm().ping(o.ip(), 5, Duration.ofSeconds(2))).isTrue();
        o.vm().exec("ip", "addr", "add", "10.3.0.99/24", "dev", "eth0");
        // O answers from an address it does not own (no anti-spoofing); X's egress is open, the reply is X's state
        assertThat(inVm(x.vm(), "ping", "-n", "-q", "-c", "3", "-i", "0.2", "-W", "2", "10.3.0.99").ok()).isTrue();
    }

    @Test
    @Order(9)
    void aClosedPortStaysClosedThroughAKillOfTheSwitchMaster() throws Exception {
        // kill -9 the master of either host's switch, if a node JVM of its own holds one; the probe is a closed
        // port on that host: h2, X's tcp/22 from B (outside the prefix); h1, A's tcp/22 from X (no member)
        int host = -1;
        int victim = -1;
        for (int h = 0; h < 2 && victim < 0; h++) {
            String owner = owner(String.format("%016x", 0x5e1 + h));
            if (owner != null && !owner.equals(lab.cluster().id(2))) {
                victim = lab.cluster().indexOf(owner);
                host = h;
            }
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(victim >= 0, "both switches are mastered in this JVM");
        String dpid = String.format("%016x", 0x5e1 + host);
        Vm prober0 = host == 1 ? b.vm() : x.vm();
        Plugged target = host == 1 ? x : a;
        if (host == 0) {
            start(a.vm(), null, "nc", "-lk", "22"); // a listener: only the firewall keeps X out
        }
        List<String> before = lab.host(host).dumpFlowsWithoutCounters(TenantLab.BRIDGE);
        assertThat(connects(host == 1 ? a.vm() : b.vm(), target.ip(), 22)).as("open to those allowed").isTrue();
        java.util.concurrent.atomic.AtomicInteger probes = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger opened = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        // a refused SYN costs a probe its 1 s timeout: four probers, staggered, keep one in flight at all times
        List<Thread> probers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Thread prober = new Thread(() -> {
                while (!stop.get()) {
                    probes.incrementAndGet();
                    if (inVm(prober0, "nc", "-z", "-w", "1", target.ip(), "22").ok()) {
                        opened.incrementAndGet();
                    }
                }
            });
            prober.start();
            probers.add(prober);
            Thread.sleep(250);
        }
        try {
            Thread.sleep(500);
            lab.cluster().kill(victim);
            int killed = victim;
            await().atMost(LONG).until(() -> {
                String o = owner(dpid);
                return o != null && !o.equals(lab.cluster().id(killed));
            });
            Thread.sleep(5_000);
        } finally {
            stop.set(true);
            for (Thread prober : probers) {
                prober.join();
            }
        }
        System.out.printf("master kill (h%d): %d probes of the closed port, %d opened%n", host + 1, probes.get(),
                opened.get());
        assertThat(opened.get()).isZero();
        assertThat(probes.get()).isGreaterThan(15);
        assertThat(connects(host == 1 ? a.vm() : b.vm(), target.ip(), 22)).as("still open to those allowed")
                .isTrue();
        assertThat(lab.host(host).dumpFlowsWithoutCounters(TenantLab.BRIDGE)).as("the new master's table")
                .isEqualTo(before);
    }

    /** The node that owns the switch, from any node that answers. */
    private static String owner(String dpid) throws Exception {
        for (int i = 0; i < 3; i++) {
            if (i < 2 && !lab.cluster().isRunning(i)) {
                continue;
            }
            RestClient.Response r = lab.cluster().client(i).get("/v1/ownership");
            if (!r.ok()) {
                continue;
            }
            for (com.fasterxml.jackson.databind.JsonNode e : r.body().path("entities")) {
                if (e.path("entity").asText().equals("openflow:" + dpid) && e.path("owner").isTextual()) {
                    return e.get("owner").asText();
                }
            }
        }
        return null;
    }
}
