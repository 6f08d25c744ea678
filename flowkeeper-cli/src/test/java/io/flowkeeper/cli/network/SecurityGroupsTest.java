package io.flowkeeper.cli.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flowkeeper.cli.bench.AgentProcess;
import io.flowkeeper.cli.bench.ConnectProbe;
import io.flowkeeper.cli.bench.TenantLab;
import io.flowkeeper.cli.bench.TenantLab.Plugged;
import io.flowkeeper.controller.RestClient;
import io.flowkeeper.testbed.Cmd;
import io.flowkeeper.testbed.OvsHost;
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
        ConnectProbe probe = ConnectProbe.start(prober0, target.ip(), 22);
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
            probe.stop();
        }
        System.out.printf("master kill (h%d): %s%n", host + 1, probe);
        assertThat(probe.opened()).as(probe.toString()).isZero();
        assertThat(probe.probes()).as(probe.toString()).isGreaterThan(50);
        assertThat(connects(host == 1 ? a.vm() : b.vm(), target.ip(), 22)).as("still open to those allowed")
                .isTrue();
        assertThat(lab.host(host).dumpFlowsWithoutCounters(TenantLab.BRIDGE)).as("the new master's table")
                .isEqualTo(before);
    }

    @Test
    @Order(10)
    void aClosedPortStaysClosedThroughAHostReboot() throws Exception {
        // h2 reboots as its boot script does it (kill -9 of ovs-vswitchd, flow-restore-wait, start), and a host
        // agent journaling its br-int restores the table; meanwhile B (h2) probes X's tcp/22 (B is outside the
        // prefix), a port that must stay closed while the table is empty, restored, flushed and restored again
        OvsHost h2 = lab.host(1);
        List<String> agentArgs = List.of("--ovs-rundir", h2.runDir().toString(), "--bridge", TenantLab.BRIDGE,
                "--snapshot-dir", h2.runDir().resolve("sg-snapshots").toString());
        try (AgentProcess agent = new AgentProcess("128m", agentArgs)) {
            int flows = h2.flowCount(TenantLab.BRIDGE);
            agent.await(e -> e.kind().equals("journaling") && e.number("flows") == flows, LONG,
                    "journaling of " + flows + " flows");
            List<String> before = h2.dumpFlowsWithoutCounters(TenantLab.BRIDGE);
            assertThat(connects(a.vm(), x.ip(), 22)).as("open to those allowed").isTrue();
            ConnectProbe probe = ConnectProbe.start(b.vm(), x.ip(), 22);
            long restoredMillis;
            try {
                Thread.sleep(500);
                agent.clearEvents();
                h2.killVswitchd();
                h2.setFlowRestoreWait(true);
                long t0 = System.nanoTime();
                h2.startVswitchdAgain();
                agent.awaitKinds(LONG, "restored", "released");
                // the master reconciles the switch as it reconnects: the table it programmed, nothing more
                await().atMost(LONG).until(() -> h2.dumpFlowsWithoutCounters(TenantLab.BRIDGE).equals(before));
                restoredMillis = (System.nanoTime() - t0) / 1_000_000;
                Thread.sleep(2_000);
            } finally {
                probe.stop();
            }
            System.out.printf("host reboot (h2): the table back %d ms after ovs-vswitchd start; %s%n",
                    restoredMillis, probe);
            assertThat(probe.opened()).as(probe.toString()).isZero();
            assertThat(probe.probes()).as(probe.toString()).isGreaterThan(40);
        }
        assertThat(connects(a.vm(), x.ip(), 22)).as("still open to those allowed").isTrue();
        assertThat(b.vm().ping(a.ip(), 3, Duration.ofSeconds(2))).as("the default group across hosts").isTrue();
    }

    @Test
    @Order(11)
    void floodedPacketsPassEachPortsIngressRules() throws Exception {
        // UDP to 255.255.255.255 is flooded to every port of the network: A (h1, member of the default group), X
        // (h2, "web", nothing let in on 5354) and O (h1, port security off) listen; B (h2, member) and X send
        java.nio.file.Path stop = java.nio.file.Files.createTempDirectory("flood").resolve("stop");
        String listen = String.join("\n",
                "import os, socket",
                "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
                "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
                "s.bind(('', 5354))",
                "s.settimeout(0.2)",
                "print('ready')",
                "while not os.path.exists('" + stop + "'):",
                "    try:",
                "        print(s.recvfrom(512)[0].decode())",
                "    except socket.timeout:",
                "        pass");
        Map<String, BufferedReader> heard = new java.util.LinkedHashMap<>();
        for (Plugged p : List.of(a, x, o)) {
            heard.put(p.vm().name(), start(p.vm(), "ready", "python3", "-u", "-c", listen));
        }
        for (Plugged from : List.of(b, x)) {
            from.vm().exec("python3", "-c", String.join("\n",
                    "import socket, time",
                    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
                    "s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)",
                    "for i in range(3):",
                    "    s.sendto(b'from-" + from.vm().name() + "', ('255.255.255.255', 5354))",
                    "    time.sleep(0.2)"));
        }
        Thread.sleep(1_000);
        java.nio.file.Files.writeString(stop, "");
        Map<String, java.util.Set<String>> got = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, BufferedReader> e : heard.entrySet()) {
            java.util.Set<String> lines = new java.util.TreeSet<>();
            for (String line = e.getValue().readLine(); line != null; line = e.getValue().readLine()) {
                lines.add(line);
            }
            got.put(e.getKey(), lines);
        }
        java.nio.file.Files.delete(stop);
        java.nio.file.Files.delete(stop.getParent());
        System.out.println("broadcast to udp/5354 heard: " + got);
        // A lets members in; X lets nothing in on 5354 (it hears its own broadcast from its own kernel); O takes all
        assertThat(got.get("a")).containsExactly("from-b");
        assertThat(got.get("x")).doesNotContain("from-b");
        assertThat(got.get("o")).containsExactly("from-b", "from-x");
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
