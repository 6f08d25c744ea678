package io.flowkeeper.cli.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowkeeper.api.network.Host;
import io.flowkeeper.cli.bench.AgentProcess;
import io.flowkeeper.cli.bench.GatewayLab;
import io.flowkeeper.cli.bench.TenantLab;
import io.flowkeeper.controller.RestClient;
import io.flowkeeper.testbed.Cmd;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.PingMonitor;
import io.flowkeeper.testbed.PingResult;
import io.flowkeeper.testbed.Vm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The HA gateway router on real OVS with real agents: a three-node cluster ({@link TenantLab}), two gateway hosts
 * each running {@code flowkeeper agent --gateway} in its own network namespace with {@code --bridge-mapping
 * extnet:br-ex}, and an "external" host whose VM sits on a bridge linked to both gateway hosts' {@code br-ex} (the
 * provider network). A router with an external gateway on the flat external network gets its address from the
 * Neutron API; the active host answers ARP and ping for it, the standby does not.
 *
 * <p>Then: kill -9 of the active's agent and {@code ovs-vswitchd} under a 10 ms ping from outside (the standby takes
 * over; gap printed; hooks, state files and l3-agents agree); the old host returns (nopreempt: it stays standby;
 * preempt: it takes the router back); the underlay between the two gateway hosts only is cut (nothing moves: ARP
 * replies on the external network, by {@code tcpdump}, come from the active's uplink only); the active's management
 * link is cut, a partition from the cluster (never both hosts' responders at once, sampled every few ms; on the wire
 * the ARP replies come from gw1's uplink, then from gw2's, never back and forth); every link of the active goes down
 * at once, as when a host dies with no EOF to tell (BFD on the gateway hosts' tunnels: the standby takes over well
 * before the 1.5 s lease; gap printed); a TCP stream through the floating IP across a kill.
 */
@Tag("integration")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(600)
class GatewayHaTest {
    private static final Duration LONG = Duration.ofSeconds(60);
    private static TenantLab lab;
    private static RestClient api;
    private static OvsHost gw1;
    private static OvsHost gw2;
    /** The external network's host: its bridge {@code br-phys} has uplink {@code up1} to gw1, {@code up2} to gw2. */
    private static OvsHost ext;
    private static Vm outside;
    private static Path dir;
    private static String router;
    private static String externalIp;
    private static String network;
    private static TenantLab.Plugged vm;
    private static String floatingIp;
    private static final List<Process> processes = new ArrayList<>();
    private static final Map<String, AgentProcess> agents = new HashMap<>();
    /** The nodes' REST ports as the gateway hosts reach them (see {@link #relay}). */
    private static final List<String> apiUrls = new ArrayList<>();
    private static final List<java.net.ServerSocket> relays = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        lab = TenantLab.start(1, 0x6a1, List.of("request-timeout: 5s", "election-timeout-min: 1s",
                "election-timeout-max: 2s", "stats-interval: 1s", "network:", "  flat-networks: [extnet]"));
        api = lab.api();
        dir = Files.createTempDirectory("gateway-ha");
        gw1 = lab.bed().addHost("gw1").attachUnderlay();
        gw2 = lab.bed().addHost("gw2").attachUnderlay();
        for (OvsHost gw : List.of(gw1, gw2)) {
            // the lab plays h1's agent: its tunnels to the gateway hosts (their agents make theirs to h1), with BFD
            // as the agent runs it on a tunnel to a gateway host
            lab.host(0).addTunnel(TenantLab.BRIDGE, Host.tunnelPortName(gw.underlayIp()), "vxlan", gw);
            lab.host(0).enableBfd(Host.tunnelPortName(gw.underlayIp()), 100);
        }
        ext = lab.bed().addHost("ext");
        ext.vsctl("add-br", "br-phys", "--", "set", "bridge", "br-phys", "datapath_type=netdev",
                "fail_mode=standalone");
        int n = 0;
        for (OvsHost gw : List.of(gw1, gw2)) {
            n++;
            gw.vsctl("add-br", "br-ex", "--", "set", "bridge", "br-ex", "datapath_type=netdev",
                    "fail_mode=standalone");
            // the provider network's cable: ext's end in br-phys, the gateway's in br-ex
            Cmd.run("ip", "-n", ext.netns(), "link", "add", "up" + n, "type", "veth", "peer", "name", "ext0",
                    "netns", gw.netns());
            Cmd.run("ip", "-n", ext.netns(), "link", "set", "up" + n, "up");
            Cmd.run("ip", "-n", gw.netns(), "link", "set", "ext0", "up");
            ext.vsctl("add-port", "br-phys", "up" + n);
            gw.vsctl("add-port", "br-ex", "ext0");
        }
        // the upstream router: the external subnet's gateway_ip, where the gateway sends what it NATs
        outside = ext.addVm("out", "br-phys", "02:00:00:00:99:01", "172.24.4.1/24");
        outside.exec("ethtool", "-K", "eth0", "tx", "off");

        network = lab.create("networks", "{\"network\": {\"name\": \"public\", \"router:external\": true,"
                + " \"provider:network_type\": \"flat\", \"provider:physical_network\": \"extnet\"}}");
        lab.create("subnets", "{\"subnet\": {\"network_id\": \"" + network + "\", \"ip_version\": 4,"
                + " \"cidr\": \"172.24.4.0/24\", \"enable_dhcp\": false,"
                + " \"allocation_pools\": [{\"start\": \"172.24.4.10\", \"end\": \"172.24.4.50\"}]}}");
        router = lab.create("routers", "{\"router\": {\"name\": \"r\", \"project_id\": \"p\","
                + " \"external_gateway_info\": {\"network_id\": \"" + network + "\"}}}");
        externalIp = api.get("/v2.0/routers/" + router).body().path("router").path("external_gateway_info")
                .path("external_fixed_ips").get(0).path("ip_address").asText();
        // a tenant subnet behind the router, with a VM on h1 (no floating IP until the floating IP test)
        String tenant = lab.create("networks", "{\"network\": {\"name\": \"private\", \"project_id\": \"p\"}}");
        String subnet = lab.create("subnets", "{\"subnet\": {\"network_id\": \"" + tenant + "\", \"project_id\": \"p\","
                + " \"ip_version\": 4, \"cidr\": \"10.9.0.0/24\"}}");
        // port security on (the switch answers the VM's ARP for its gateway), and a group letting the outside in
        String open = lab.create("security-groups", "{\"security_group\": {\"name\": \"open\", \"project_id\": \"p\"}}");
        lab.create("security-group-rules", "{\"security_group_rule\": {\"security_group_id\": \"" + open + "\","
                + " \"direction\": \"ingress\", \"ethertype\": \"IPv4\"}}");
        vm = lab.plug(lab.host(0), "vm", tenant, subnet, "p", "fa:16:3e:00:9a:01", "10.9.0.10",
                ", \"security_groups\": [\"" + open + "\"]");
        lab.addRouterInterfaces(router, subnet);

        for (int i = 0; i < lab.cluster().size(); i++) {
            apiUrls.add(relay(lab.bed().controllerIp(), java.net.URI.create(lab.cluster().restUrl(i)).getPort()));
        }
        // gw1 first: placed first, it gets the higher priority and becomes active
        startAgent(gw1);
        agents.get("gw1").await(e -> e.kind().equals("gateway") && "active".equals(e.fields().get("to")), LONG,
                "gw1 active");
        startAgent(gw2);
        agents.get("gw2").await(e -> e.kind().equals("gateway") && "standby".equals(e.fields().get("to")), LONG,
                "gw2 standby");
    }

    /**
     * A node's REST port, which listens on 127.0.0.1, relayed from the management network's address: the agents
     * run in their hosts' namespaces and reach the cluster through their own management link, so cutting that link
     * cuts them off, as a partition would. Returns the relayed URL.
     */
    private static String relay(String address, int port) throws Exception {
        java.net.ServerSocket server = new java.net.ServerSocket(0, 50, java.net.InetAddress.getByName(address));
        relays.add(server);
        io.flowkeeper.api.util.Threads.startDaemon("relay-" + port, () -> {
            while (!server.isClosed()) {
                try {
                    java.net.Socket in = server.accept();
                    java.net.Socket out = new java.net.Socket("127.0.0.1", port);
                    pump(in, out);
                    pump(out, in);
                } catch (java.io.IOException e) {
                    // closed at the end of the test, or a node that is down: the agent tries the next
                }
            }
        });
        return "http://" + address + ":" + server.getLocalPort();
    }

    private static void pump(java.net.Socket from, java.net.Socket to) {
        io.flowkeeper.api.util.Threads.startDaemon("relay-pump", () -> {
            try (from; to) {
                from.getInputStream().transferTo(to.getOutputStream());
            } catch (java.io.IOException e) {
                // either end closed: both go
            }
        });
    }

    @AfterAll
    static void stop() throws Exception {
        for (java.net.ServerSocket s : relays) {
            s.close();
        }
        processes.forEach(Process::destroyForcibly);
        try {
            for (String host : agents.keySet()) {
                printEvents(host);
                // the agents' own log lines of the gateway, when run with FLOWKEEPER_LOG_LEVEL=INFO
                agents.get(host).lines().stream().filter(l -> l.contains(" GatewayAgent - "))
                        .forEach(l -> System.out.println(host + " " + l));
                agents.get(host).close();
            }
        } finally {
            if (lab != null) {
                lab.close();
            }
            if (dir != null) {
                Cmd.run("rm", "-rf", dir.toString());
            }
        }
    }

    private static void startAgent(OvsHost host) throws Exception {
        Path hook = dir.resolve("hook-" + host.name() + ".sh");
        if (!Files.exists(hook)) {
            Files.writeString(hook, "#!/bin/sh\necho \"$1 $2\" >> " + dir.resolve("hooks-" + host.name() + ".log")
                    + "\n");
            Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwx------"));
        }
        List<String> args = new ArrayList<>(AgentProcess.clusterArguments(lab.cluster(), host));
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).equals("--api")) {
                args.set(i + 1, apiUrls.get(countApis(args, i)));
            }
        }
        args.addAll(List.of("--bridge-mapping", "extnet:br-ex", "--gateway", "--state-dir",
                dir.resolve("state-" + host.name()).toString(), "--notify-active", hook.toString(),
                "--notify-standby", hook.toString(), "--notify-fault", hook.toString(), "--notify-timeout-ms",
                "2000"));
        agents.put(host.name(), new AgentProcess("128m", args, host.netns()));
    }

    /** The agent's gateway lines so far, for the record (each transition is one line). */
    private static void printEvents(String host) {
        for (AgentProcess.Event e : agents.get(host).drainEvents()) {
            if (e.kind().startsWith("gateway")) {
                System.out.println(host + " " + e.at() + " " + e.kind() + " " + new java.util.TreeMap<>(e.fields()));
            }
        }
    }

    /** Which --api this is (0 for the first). */
    private static int countApis(List<String> args, int upTo) {
        int n = 0;
        for (int i = 0; i < upTo; i++) {
            n += args.get(i).equals("--api") ? 1 : 0;
        }
        return n;
    }

    private static JsonNode gateway() throws Exception {
        return api.get("/v1/network/gateways/" + router).body();
    }

    private static void awaitActive(String host) {
        await().atMost(LONG).pollInterval(Duration.ofMillis(20)).until(() -> host.equals(gateway().path("active")
                .asText()));
    }

    private static String state(OvsHost host) throws Exception {
        Path f = dir.resolve("state-" + host.name()).resolve("ha_confs").resolve(router).resolve("state");
        return Files.exists(f) ? Files.readString(f) : null;
    }

    private static String hooks(OvsHost host) throws Exception {
        Path f = dir.resolve("hooks-" + host.name() + ".log");
        return Files.exists(f) ? Files.readString(f) : "";
    }

    /** Whether {@code host}'s br-ex holds the router's ARP responder ({@code false} when its switch is down). */
    private static boolean answers(OvsHost host) {
        Cmd.Result r = Cmd.exec(List.of("ovs-ofctl", "dump-flows", "unix:" + host.managementSocket("br-ex"),
                "arp,arp_tpa=" + externalIp), Map.of(), Duration.ofSeconds(5));
        return r.exitCode() == 0 && r.stdout().contains("arp_tpa=" + externalIp);
    }

    private static Map<String, String> haStates() throws Exception {
        Map<String, String> out = new HashMap<>();
        api.get("/v2.0/routers/" + router + "/l3-agents").body().path("agents")
                .forEach(a -> out.put(a.path("host").asText(), a.path("ha_state").asText()));
        return out;
    }

    @Test
    @Order(10)
    void theActiveAnswersArpAndPingForTheExternalIpAndTheStandbyDoesNot() throws Exception {
        assertThat(outside.arping(externalIp, Duration.ofSeconds(5))).isTrue();
        assertThat(outside.ping(externalIp, 3, Duration.ofSeconds(5))).isTrue();
        assertThat(answers(gw1)).isTrue();
        assertThat(answers(gw2)).isFalse();
        assertThat(state(gw1)).isEqualTo("active");
        assertThat(state(gw2)).isEqualTo("standby");
        await().atMost(LONG).until(() -> hooks(gw1).contains(router + " active")
                && hooks(gw2).contains(router + " standby"));
        assertThat(haStates()).isEqualTo(Map.of("gw1", "active", "gw2", "standby"));
        JsonNode g = gateway();
        assertThat(g.path("generation").asLong()).isEqualTo(1);
        assertThat(g.path("hosts").get(0).path("host").asText()).isEqualTo("gw1");
    }

    /** A process in the VM's namespace, killed after the tests; its first output line must be {@code ready}. */
    private static java.io.BufferedReader start(Vm in, String ready, String... command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", in.netns()));
        cmd.addAll(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        processes.add(p);
        java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                java.nio.charset.StandardCharsets.UTF_8));
        assertThat(out.readLine()).as("first line of " + cmd).isEqualTo(ready);
        return out;
    }

    /** A TCP server on {@code port} that prints each connection's peer address: where NAT made it come from. */
    private static java.io.BufferedReader peers(Vm in, int port) throws Exception {
        return start(in, "listening", "python3", "-u", "-c", String.join("\n",
                "import socket",
                "s = socket.socket()",
                "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
                "s.bind(('0.0.0.0', " + port + "))",
                "s.listen(16)",
                "print('listening')",
                "while True:",
                "    c, a = s.accept()",
                "    print(a[0])",
                "    c.close()"));
    }

    /** The gateway hosts' NAT and provider bridge flows, and h1's routing: what a failed NAT check needs. */
    private static void printNat() {
        for (OvsHost h : List.of(gw1, gw2)) {
            Cmd.Result ex = Cmd.exec(List.of("ovs-ofctl", "dump-flows", "unix:" + h.managementSocket("br-ex")),
                    Map.of(), Duration.ofSeconds(5));
            System.out.println(h.name() + " br-ex:\n" + ex.stdout());
            Cmd.Result in = Cmd.exec(List.of("ovs-ofctl", "-O", "OpenFlow13", "dump-flows", "unix:"
                    + h.managementSocket(TenantLab.BRIDGE)), Map.of(), Duration.ofSeconds(5));
            in.stdout().lines().filter(l -> l.contains("table=0,") || l.contains("table=2,") || l.contains("table=3,")
                    || l.contains("table=29,") || l.contains("table=31,") || l.contains("table=30,"))
                    .forEach(l -> System.out.println(h.name() + " br-int " + l));
        }
        lab.host(0).dumpFlowsWithoutCounters(TenantLab.BRIDGE).stream().filter(l -> l.contains("table=27"))
                .forEach(l -> System.out.println("h1 br-int " + l));
    }

    private static boolean connects(Vm from, String ip, int port) {
        return Cmd.exec(List.of("ip", "netns", "exec", from.netns(), "nc", "-z", "-w", "3", ip,
                String.valueOf(port)), Map.of(), Duration.ofSeconds(20)).exitCode() == 0;
    }

    @Test
    @Order(11)
    void aVmWithoutAFloatingIpReachesTheOutsideThroughTheRoutersExternalIp() throws Exception {
        await().atMost(LONG).until(() -> lab.portStatus(vm.portId()).equals("ACTIVE"));
        // a static address (DHCP is RouterTest's): the route to the router, VXLAN's MTU, TX checksums for TCP
        vm.vm().exec("ip", "addr", "add", vm.ip() + "/24", "dev", "eth0");
        vm.vm().exec("ip", "link", "set", "eth0", "mtu", "1450");
        vm.vm().exec("ip", "route", "replace", "default", "via", "10.9.0.1");
        vm.vm().exec("ethtool", "-K", "eth0", "tx", "off");
        assertThat(vm.vm().reachable("172.24.4.1", LONG)).as("ping through SNAT").isTrue();
        java.io.BufferedReader seen = peers(outside, 5001);
        assertThat(connects(vm.vm(), "172.24.4.1", 5001)).as("TCP through SNAT").isTrue();
        assertThat(seen.readLine()).as("the source the outside host saw").isEqualTo(externalIp);
        // the NAT is the active gateway host's only
        assertThat(gw1.dumpFlowsWithoutCounters(TenantLab.BRIDGE).toString()).contains("nat(src=" + externalIp);
        assertThat(gw2.dumpFlowsWithoutCounters(TenantLab.BRIDGE).toString()).doesNotContain("nat(");
    }

    @Test
    @Order(12)
    void aFloatingIpReachesTheVmFromOutsideAndIsItsSourceGoingOut() throws Exception {
        RestClient.Response r = api.post("/v2.0/floatingips", "{\"floatingip\": {\"floating_network_id\": \""
                + network + "\", \"project_id\": \"p\", \"port_id\": \"" + vm.portId() + "\"}}");
        assertThat(r.status()).as(r.body().toString()).isEqualTo(201);
        String fip = r.body().path("floatingip").path("id").asText();
        floatingIp = r.body().path("floatingip").path("floating_ip_address").asText();
        assertThat(outside.reachable(floatingIp, LONG)).as("ping to the floating IP").isTrue();
        java.io.BufferedReader inside = peers(vm.vm(), 5002);
        assertThat(connects(outside, floatingIp, 5002)).as("TCP to the floating IP").isTrue();
        assertThat(inside.readLine()).as("the source the VM saw").isEqualTo("172.24.4.1");
        java.io.BufferedReader seen = peers(outside, 5003);
        assertThat(connects(vm.vm(), "172.24.4.1", 5003)).isTrue();
        assertThat(seen.readLine()).as("the VM's source with a floating IP").isEqualTo(floatingIp);

        // disassociated: unreachable from outside; associated again for the failover
        assertThat(api.put("/v2.0/floatingips/" + fip, "{\"floatingip\": {\"port_id\": null}}").status())
                .isEqualTo(200);
        await().atMost(LONG).until(() -> !outside.ping(floatingIp, 1, Duration.ofSeconds(2)));
        assertThat(api.put("/v2.0/floatingips/" + fip, "{\"floatingip\": {\"port_id\": \"" + vm.portId()
                + "\"}}").status()).isEqualTo(200);
        assertThat(outside.reachable(floatingIp, LONG)).isTrue();
    }

    @Test
    @Order(20)
    void killingTheActiveHostMovesTheAddressToTheStandby() throws Exception {
        long generation = gateway().path("generation").asLong();
        PingMonitor ping = outside.startPing(externalIp, Duration.ofMillis(10));
        PingMonitor fipPing = outside.startPing(floatingIp, Duration.ofMillis(10));
        await().atMost(LONG).until(() -> ping.receivedSoFar() > 20 && fipPing.receivedSoFar() > 20);
        // Under heavy load (seen at 80) renewals answered later than the hold moved the router before any kill:
        // then this test would time nothing
        assertThat(gateway().path("active").asText()).as("the active before the kill").isEqualTo("gw1");
        String load = loadAverage();
        java.time.Instant killedAt = java.time.Instant.now();
        long killed = System.nanoTime();
        agents.get("gw1").kill();
        gw1.killVswitchd();
        printEvents("gw1");
        awaitActive("gw2");
        long elected = System.nanoTime();
        await().atMost(LONG).pollInterval(Duration.ofMillis(10)).until(() -> answers(gw2));
        long answering = System.nanoTime();
        int before = ping.receivedSoFar();
        int fipBefore = fipPing.receivedSoFar();
        await().atMost(LONG).until(() -> ping.receivedSoFar() > before + 20);
        PingResult r = ping.stop();
        try {
            await().atMost(LONG).until(() -> fipPing.receivedSoFar() > fipBefore + 20);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            printNat();
            throw e;
        }
        PingResult f = fipPing.stop();
        // Where the gap goes: the election (the switch's EOF and two missed renewals), then gw2's responder.
        System.out.printf("gateway failover (kill -9 of agent and ovs-vswitchd at %s, load %s): elected after %d ms,"
                + " gw2's responder in after %d ms, longest ping gap to the external IP %d ms (%d of %d lost), to"
                + " floating IP %s (the VM on h1) %d ms (%d of %d lost)%n", killedAt, load,
                (elected - killed) / 1_000_000, (answering - killed) / 1_000_000, r.longestGap().toMillis(), r.lost(),
                r.sent(), floatingIp, f.longestGap().toMillis(), f.lost(), f.sent());
        // Seen 1.9-2.9 s with the full 1.5 s lease; the margin over the sub-second figure is for load 20-40.
        assertThat(r.longestGap()).isLessThan(Duration.ofMillis(1_500));
        assertThat(f.longestGap()).isLessThan(Duration.ofSeconds(10));
        assertThat(vm.vm().reachable("172.24.4.1", LONG)).as("SNAT through the new active").isTrue();
        assertThat(state(gw2)).isEqualTo("active");
        await().atMost(LONG).until(() -> hooks(gw2).contains(router + " active"));
        assertThat(haStates()).containsEntry("gw2", "active").containsEntry("gw1", "standby");
        JsonNode g = gateway();
        assertThat(g.path("generation").asLong()).isGreaterThan(generation);
        assertThat(g.path("last_failover_millis").asLong()).isPositive();
        // The operator's timeline (the dashboard's) on a node shows the failover, with the new generation.
        await().atMost(Duration.ofSeconds(20)).until(() -> timeline(lab.cluster().restUrl(0)).stream().anyMatch(e ->
                e.path("kind").asText().equals("gateway-failover")
                        && e.path("text").asText().equals("router " + router + ": active gateway gw1 -> gw2 at"
                        + " generation " + g.path("generation").asLong())));
    }

    /** The machine's load averages, as {@code uptime} prints them: figures are read beside them. */
    private static String loadAverage() throws java.io.IOException {
        String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
        return f[0] + " " + f[1] + " " + f[2];
    }

    /**
     * What a node's timeline holds ({@code GET /v1/events}, server-sent events, as the dashboard reads it): the
     * events of its backlog, read until the stream goes quiet (it then only sends a comment every 10 s).
     */
    private static List<JsonNode> timeline(String restUrl) throws Exception {
        java.net.HttpURLConnection c = (java.net.HttpURLConnection) java.net.URI.create(restUrl + "/v1/events?after=0")
                .toURL().openConnection();
        c.setRequestProperty("Authorization", "Bearer " + io.flowkeeper.controller.local.LocalCluster.TOKEN);
        c.setReadTimeout(2_000);
        List<JsonNode> events = new ArrayList<>();
        try (java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(c.getInputStream(),
                java.nio.charset.StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.startsWith("data: ")) {
                    events.add(new com.fasterxml.jackson.databind.ObjectMapper().readTree(line.substring(6)));
                }
            }
        } catch (java.net.SocketTimeoutException e) {
            // quiet: the backlog is read
        } finally {
            c.disconnect();
        }
        return events;
    }

    @Test
    @Order(30)
    void theOldHostReturnsAsStandbyWithoutPreemptAndTakesTheRouterBackWithIt() throws Exception {
        gw1.startVswitchdAgain();
        agents.remove("gw1");
        startAgent(gw1);
        await().atMost(LONG).until(() -> "standby".equals(state(gw1)));
        Thread.sleep(2_000); // several renewals of both: nopreempt keeps gw2
        assertThat(gateway().path("active").asText()).isEqualTo("gw2");
        assertThat(answers(gw1)).isFalse();
        assertThat(gateway().path("preempt").asBoolean()).isFalse();

        long generation = gateway().path("generation").asLong();
        assertThat(api.put("/v1/network/gateways/" + router, "{\"preempt\": true}").status()).isEqualTo(200);
        awaitActive("gw1");
        await().atMost(LONG).until(() -> "active".equals(state(gw1)) && "standby".equals(state(gw2)));
        assertThat(gateway().path("generation").asLong()).isEqualTo(generation + 1);
        await().atMost(LONG).until(() -> answers(gw1) && !answers(gw2));
        // the external bridge relearns the gateway's MAC on gw1's port from its gratuitous ARPs; allow for them
        assertThat(outside.reachable(externalIp, Duration.ofSeconds(15))).isTrue();
        assertThat(outside.ping(externalIp, 3, Duration.ofSeconds(5))).isTrue();
    }

    @Test
    @Order(35)
    void aPartitionBetweenTheTwoGatewayHostsOnlyLeavesOneAnswering() throws Exception {
        JsonNode before = gateway();
        String uplink = "up" + before.path("active").asText().substring(2); // gw1 -> up1
        cutUnderlayBetweenGateways(true);
        try (ArpWatch arp = new ArpWatch(externalIp, floatingIp)) {
            // past the 900 ms hold and the 1.5 s lease: nothing may move, as neither host lost the cluster
            Thread.sleep(2_500);
            for (String ip : List.of(externalIp, floatingIp)) {
                assertThat(arp.uplinks(ip)).as("uplinks answering ARP for %s", ip).containsExactly(uplink);
            }
        } finally {
            cutUnderlayBetweenGateways(false);
        }
        assertThat(gateway().path("generation").asLong()).isEqualTo(before.path("generation").asLong());
    }

    /** Drops (or lets through again) all traffic between the two gateway hosts' tunnel addresses, on both hosts. */
    private static void cutUnderlayBetweenGateways(boolean cut) {
        for (OvsHost[] pair : new OvsHost[][] {{gw1, gw2}, {gw2, gw1}}) {
            String socket = "unix:" + pair[0].managementSocket(OvsHost.UNDERLAY_BRIDGE);
            if (cut) {
                String other = pair[1].underlayIp();
                for (String match : List.of("ip,nw_src=" + other, "ip,nw_dst=" + other, "arp,arp_spa=" + other,
                        "arp,arp_tpa=" + other)) {
                    Cmd.run("ovs-ofctl", "add-flow", socket, "cookie=0x5057,priority=1000," + match + ",actions=drop");
                }
            } else {
                Cmd.run("ovs-ofctl", "del-flows", socket, "cookie=0x5057/-1");
            }
        }
    }

    /**
     * ARP replies on the external network, seen by {@code tcpdump -e} on both of {@code br-phys}'s uplinks while the
     * outside VM broadcasts an ARP request for each address every 20 ms: which gateway host answered, and when.
     */
    private static final class ArpWatch implements AutoCloseable {
        private record Reply(double at, String uplink, String ip) {}

        private final List<Reply> replies = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final List<Process> started = new ArrayList<>();

        ArpWatch(String... ips) throws Exception {
            try {
                for (String uplink : List.of("up1", "up2")) {
                    Process p = new ProcessBuilder("ip", "netns", "exec", ext.netns(), "tcpdump", "-n", "-e", "-l",
                            "-tt", "-i", uplink, "arp[6:2] = 2").redirectErrorStream(true).start();
                    started.add(p);
                    processes.add(p);
                    java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(
                            p.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
                    for (String l = out.readLine(); l == null || !l.startsWith("listening on"); l = out.readLine()) {
                        assertThat(l).as("tcpdump on " + uplink + " ended before listening").isNotNull();
                    }
                    io.flowkeeper.api.util.Threads.startDaemon("tcpdump-" + uplink, () -> read(out, uplink));
                }
                List<String> prober = new ArrayList<>(List.of("python3", "-u", "-c", String.join("\n",
                        "import socket, struct, sys, time",
                        "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)",
                        "s.bind(('eth0', 0))",
                        "mac = s.getsockname()[4]",
                        "src = socket.inet_aton('172.24.4.1')",
                        "frames = [b'\\xff' * 6 + mac + b'\\x08\\x06' + struct.pack('!HHBBH', 1, 0x0800, 6, 4, 1)"
                                + " + mac + src + b'\\x00' * 6 + socket.inet_aton(a) for a in sys.argv[1:]]",
                        "print('ready')",
                        "while True:",
                        "    for f in frames:",
                        "        s.send(f)",
                        "    time.sleep(0.02)")));
                prober.addAll(List.of(ips));
                start(outside, "ready", prober.toArray(String[]::new));
                started.add(processes.get(processes.size() - 1));
            } catch (Exception | AssertionError e) {
                close();
                throw e;
            }
        }

        private void read(java.io.BufferedReader out, String uplink) {
            try {
                for (String l = out.readLine(); l != null; l = out.readLine()) {
                    // "1733512345.123456 fa:16:3e:.. > 02:00:..., ethertype ARP (0x0806), length 42: Reply
                    // 172.24.4.36 is-at fa:16:3e:.., length 28"
                    int at = l.indexOf(" Reply ");
                    if (at > 0) {
                        replies.add(new Reply(Double.parseDouble(l.substring(0, l.indexOf(' '))), uplink,
                                l.substring(at + 7, l.indexOf(' ', at + 7))));
                    }
                }
            } catch (java.io.IOException | RuntimeException e) {
                // tcpdump stopped
            }
        }

        /** The uplinks that answered for {@code ip}, in the order they took turns (one entry per run of replies). */
        List<String> uplinks(String ip) {
            List<String> turns = new ArrayList<>();
            replies.stream().filter(r -> r.ip().equals(ip)).sorted(java.util.Comparator.comparingDouble(Reply::at))
                    .forEach(r -> {
                        if (turns.isEmpty() || !turns.get(turns.size() - 1).equals(r.uplink())) {
                            turns.add(r.uplink());
                        }
                    });
            return turns;
        }

        int count(String ip) {
            return (int) replies.stream().filter(r -> r.ip().equals(ip)).count();
        }

        @Override
        public void close() {
            started.forEach(Process::destroyForcibly);
        }
    }

    @Test
    @Order(40)
    void aPartitionFromTheClusterNeverLeavesTwoHostsAnswering() throws Exception {
        // under load a late renewal can put gw1 in fault for a moment (it comes back at its next answered one)
        await().atMost(LONG).pollInterval(Duration.ofMillis(50)).until(() -> answers(gw1));
        ArpWatch arp = new ArpWatch(externalIp, floatingIp);
        Cmd.run("ip", "-n", gw1.netns(), "link", "set", "mgmt0", "down");
        try (arp) {
            long until = System.nanoTime() + Duration.ofSeconds(6).toNanos();
            int samples = 0;
            boolean movedSeen = false;
            while (System.nanoTime() < until) {
                boolean one = answers(gw1);
                boolean two = answers(gw2);
                assertThat(one && two).as("both gateway hosts answer for %s (sample %d)", externalIp, samples)
                        .isFalse();
                movedSeen |= two;
                samples++;
            }
            System.out.printf("partition: %d samples of both responders, never both; ARP replies on the wire: %s"
                    + " %d for the external IP, %s %d for the floating IP%n", samples, arp.uplinks(externalIp),
                    arp.count(externalIp), arp.uplinks(floatingIp), arp.count(floatingIp));
            assertThat(movedSeen).isTrue();
            // On the wire: gw1 answered, then gw2, never taking turns back and forth (two actives would interleave)
            for (String ip : List.of(externalIp, floatingIp)) {
                assertThat(arp.uplinks(ip)).as("uplinks answering ARP for %s, in turn", ip)
                        .containsExactly("up1", "up2");
            }
            assertThat(state(gw1)).isEqualTo("fault");
            assertThat(hooks(gw1)).contains(router + " fault");
            assertThat(outside.ping(externalIp, 3, Duration.ofSeconds(5))).isTrue();
        } finally {
            Cmd.run("ip", "-n", gw1.netns(), "link", "set", "mgmt0", "up");
        }
        // back in touch: preempt is on, so the higher priority takes the router back
        awaitActive("gw1");
        await().atMost(LONG).until(() -> answers(gw1) && !answers(gw2));
    }

    /**
     * A host that dies with its links gives no EOF: the switch's connections only time out. gw1's management,
     * underlay and external links go down at once; gw2's BFD sees its tunnel to gw1 down, names gw1 in its renewals
     * 200 ms later, and takes the router once gw1's lease is 500 ms old (the full-lease path cannot do it in less
     * than 1.3 s: 1.5 s from a renewal sent up to 200 ms before the cut).
     */
    @Test
    @Order(45)
    void theActiveLosingEveryLinkIsReplacedThroughBfdBeforeItsLeaseRunsOut() throws Exception {
        await().atMost(LONG).pollInterval(Duration.ofMillis(50)).until(() -> answers(gw1) && !answers(gw2));
        assertThat(gateway().path("active").asText()).isEqualTo("gw1");
        // both ends of the gateway hosts' tunnel run BFD, and it is up
        await().atMost(LONG).until(() -> GatewayLab.bfdState(gw2, gw1).equals("up")
                && GatewayLab.bfdState(gw1, gw2).equals("up"));
        long generation = gateway().path("generation").asLong();
        PingMonitor ping = outside.startPing(externalIp, Duration.ofMillis(10));
        await().atMost(LONG).until(() -> ping.receivedSoFar() > 20);
        String load = loadAverage();
        java.time.Instant cutAt = java.time.Instant.now();
        long cut = System.nanoTime();
        GatewayLab.setLinks(gw1, false);
        long elected;
        long generationWhileCut;
        PingResult r;
        try {
            awaitActive("gw2");
            elected = System.nanoTime();
            int before = ping.receivedSoFar();
            await().atMost(LONG).until(() -> ping.receivedSoFar() > before + 20);
            r = ping.stop();
            System.out.printf("gateway failover (every link of gw1 down at %s, load %s): elected after %d ms, longest"
                    + " ping gap to the external IP %d ms (%d of %d lost)%n", cutAt, load, (elected - cut) / 1_000_000,
                    r.longestGap().toMillis(), r.lost(), r.sent());
            // gw1, cut off, fenced itself: its responder is gone although its ovs-vswitchd runs
            await().atMost(LONG).until(() -> !answers(gw1));
            // read before gw1's links come back: with preempt on, its next renewal takes the router back
            generationWhileCut = gateway().path("generation").asLong();
        } finally {
            ping.stop();
            GatewayLab.setLinks(gw1, true);
        }
        // The BFD path shows in the election: the full-lease path cannot elect in less than 1.3 s. The ping gap adds
        // the data plane's switch-over on top (issue 19's figure, measured by bench gateway: up to 2.2 s seen), so
        // it gets only a bound that says the external IP came back at all through gw2 without a second move.
        assertThat(Duration.ofNanos(elected - cut)).as("elected before the full lease allows")
                .isLessThan(Duration.ofMillis(1_300));
        assertThat(r.longestGap()).as("the external IP's outage").isLessThan(Duration.ofSeconds(5));
        assertThat(generationWhileCut).as("one move while cut off").isEqualTo(generation + 1);
        // back: preempt is on, so gw1 takes the router back once it renews again
        awaitActive("gw1");
        await().atMost(LONG).until(() -> answers(gw1) && !answers(gw2));
        assertThat(outside.reachable(externalIp, Duration.ofSeconds(15))).isTrue();
    }

    @Test
    @Order(50)
    void aTcpSessionToTheFloatingIpKeepsGoingAcrossAFailover() throws Exception {
        // the receiver: nc in the VM, writing what it gets to a file; the sender: a steady stream from outside
        Path received = dir.resolve("fip-received");
        Process receiver = new ProcessBuilder("ip", "netns", "exec", vm.vm().netns(), "sh", "-c",
                "exec nc -l 5010 > " + received).redirectErrorStream(true).start();
        processes.add(receiver);
        java.io.BufferedReader sender = start(outside, "connected", "python3", "-u", "-c", String.join("\n",
                "import socket, time",
                "for i in range(100):",
                "    try:",
                "        s = socket.create_connection(('" + floatingIp + "', 5010), timeout=2)",
                "        break",
                "    except OSError:",
                "        time.sleep(0.1)",
                "s.settimeout(None)",
                "print('connected')",
                "try:",
                "    while True:",
                "        s.sendall(b'x' * 1024)",
                "        time.sleep(0.01)",
                "except OSError as e:",
                "    print('error', e)"));
        Process senderProcess = processes.get(processes.size() - 1);
        await().atMost(LONG).until(() -> size(received) > 20_000);
        Stall stall = new Stall(received);
        try {
            failoverThenRestoreGw1(stall, receiver, senderProcess);
        } finally {
            stall.stop();
            senderProcess.destroyForcibly();
            receiver.destroyForcibly();
        }
        assertThat(sender.ready() ? sender.readLine() : null).as("the sender's error").isNull();
    }

    private static void failoverThenRestoreGw1(Stall stall, Process receiver, Process senderProcess) throws Exception {
        Thread.sleep(200);
        stall.reset();
        agents.get("gw1").kill();
        gw1.killVswitchd();
        awaitActive("gw2");
        long elected = stall.bytes();
        await().atMost(LONG).until(() -> stall.bytes() > elected + 100_000);
        System.out.printf("TCP to floating IP %s across the failover (kill -9 of gw1's agent and ovs-vswitchd):"
                + " longest stall %d ms, %d bytes received%n", floatingIp, stall.longestMillis(), stall.bytes());
        assertThat(senderProcess.isAlive()).as("the sender saw no reset").isTrue();
        assertThat(receiver.isAlive()).as("the receiver's connection is open").isTrue();

        // gw1 returns (preempt is on: it takes the router back), so the class ends as it began. Whether the session
        // also survives that failback is not asserted: seen stalled for over a minute once (under load 20, with
        // gw1's agent flapping between active and fault), not yet explained.
        gw1.startVswitchdAgain();
        agents.remove("gw1");
        startAgent(gw1);
        awaitActive("gw1");
        await().atMost(LONG).until(() -> answers(gw1) && !answers(gw2));
    }

    private static long size(Path f) throws java.io.IOException {
        return Files.exists(f) ? Files.size(f) : 0;
    }

    /**
     * A sampler of the receiver's byte count every 10 ms: the longest time it did not grow since the last
     * {@link #reset}, in ms, and the count when it last grew.
     */
    private static final class Stall {
        private volatile boolean stopped;
        private long lastGrowth = System.nanoTime();
        private long last;
        private long longest;

        Stall(Path received) {
            io.flowkeeper.api.util.Threads.startDaemon("fip-stall", () -> {
                while (!stopped) {
                    try {
                        Thread.sleep(10);
                        long n = size(received);
                        synchronized (this) {
                            long now = System.nanoTime();
                            longest = Math.max(longest, now - lastGrowth);
                            if (n > last) {
                                last = n;
                                lastGrowth = now;
                            }
                        }
                    } catch (InterruptedException | java.io.IOException e) {
                        return;
                    }
                }
            });
        }

        synchronized void reset() {
            longest = System.nanoTime() - lastGrowth;
        }

        synchronized long longestMillis() {
            return longest / 1_000_000;
        }

        synchronized long bytes() {
            return last;
        }

        void stop() {
            stopped = true;
        }
    }
}
