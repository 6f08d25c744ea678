package io.flowkeeper.cli.bench;

import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.network.FixedIp;
import io.flowkeeper.api.network.Port;
import io.flowkeeper.api.network.SecurityGroup;
import io.flowkeeper.api.network.SecurityGroupRule;
import io.flowkeeper.network.Ipv4;
import io.flowkeeper.network.dataplane.HostView.SecuredPort;
import io.flowkeeper.network.dataplane.HostViews;
import io.flowkeeper.network.dataplane.SecurityGroupFlows;
import io.flowkeeper.testbed.Cmd;
import io.flowkeeper.testbed.Vm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What security groups cost. In the compiler: the flows of one port in a 500-member group (Neutron's default rules)
 * and in a group of 200 rules, and their compile time; the flows a join of that 500-member group changes on a host
 * with 50 of its members. On real OVS (a 3-node cluster, two hosts): TCP connections
 * from A (host 1) to a server behind 200 rules and to one with port security off (no firewall), alternated, as
 * connection latency and rate and their ratio; and the time from a rule's POST to the first connection it lets
 * through, p50 and p99.
 */
@Command(name = "security-groups", mixinStandardHelpOptions = true,
        description = {"Security groups: flows and compile time for a 500-member and a 200-rule group; TCP connect",
            "latency and rate through 200 rules vs no firewall on real OVS, with the ratio; rule POST to",
            "enforcement p50/p99 (--small: fewer connections and rule changes)."})
public final class SecurityGroupsBench implements Callable<Integer> {
    private static final String A_IP = "10.4.0.10";
    private static final String RULES_IP = "10.4.0.20";
    private static final String OPEN_IP = "10.4.0.30";
    private static final int SERVER_PORT = 5001;

    @Option(names = "--small", description = "CI size: 3 rounds of 20 connections, 5 rule changes.")
    boolean small;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        int rounds = small ? 3 : 6;
        int connections = small ? 20 : 100;
        int changes = small ? 5 : 20;
        BenchReport report = new BenchReport("security groups: flows, compile time, firewall cost, rule latency",
                "measure", "value", "unit", "baseline", "ratio");
        report.environment("load_average_at_start", BenchReport.loadAverage());
        compiled(report, 500, 0);
        compiled(report, 2, 200);
        joinCost(report, 500, 50);
        progress("starting the test bed and 3 controller nodes (2 JVMs, 1 in this one)");
        try (TenantLab lab = TenantLab.start(2, 0x5b1, List.of("request-timeout: 10s"))) {
            Lab l = build(lab);
            List<Double> through = new ArrayList<>();
            List<Double> open = new ArrayList<>();
            List<Double> rateThrough = new ArrayList<>();
            List<Double> rateOpen = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                progress("round " + (r + 1) + "/" + rounds);
                for (int k = 0; k < 2; k++) {
                    boolean rules = (k == 0) == (r % 2 == 0);
                    List<Double> ms = connects(l.a, rules ? RULES_IP : OPEN_IP, connections);
                    (rules ? through : open).addAll(ms);
                    double total = ms.stream().mapToDouble(Double::doubleValue).sum();
                    (rules ? rateThrough : rateOpen).add(ms.size() * 1000.0 / total);
                }
            }
            double p50 = BenchReport.quantile(through, 0.5);
            double p50Open = BenchReport.quantile(open, 0.5);
            report.row("TCP connect, p50 (" + through.size() + " through 200 rules; baseline: port security off)",
                    round(p50), "ms", round(p50Open), round(p50 / p50Open));
            double p99 = BenchReport.quantile(through, 0.99);
            double p99Open = BenchReport.quantile(open, 0.99);
            report.row("TCP connect, p99", round(p99), "ms", round(p99Open), round(p99 / p99Open));
            double rate = BenchReport.quantile(rateThrough, 0.5);
            double rateBase = BenchReport.quantile(rateOpen, 0.5);
            report.row("new connections per second, one at a time (median of " + rounds + " rounds)", round(rate),
                    "conn/s", round(rateBase), round(rate / rateBase));
            List<Double> enforce = new ArrayList<>();
            List<Double> posts = new ArrayList<>();
            for (int i = 0; i < changes; i++) {
                progress("rule change " + (i + 1) + "/" + changes);
                Enforced e = ruleToEnforcement(lab, l, 6000 + i);
                enforce.add(e.throughMs());
                posts.add(e.postMs());
            }
            report.row("rule POST to first connection it lets through, p50 (" + changes + " rules)",
                    round(BenchReport.quantile(enforce, 0.5)), "ms", null, null);
            report.row("rule POST to first connection it lets through, p99", round(BenchReport.quantile(enforce,
                    0.99)), "ms", null, null);
            report.row("... of which the POST's own answer, p50", round(BenchReport.quantile(posts, 0.5)), "ms",
                    null, null);
            report.note("connect: python3 socket.create_connection + close from A (host 1) to a server on host 2,"
                    + " over VXLAN, userspace datapath; the two servers alternate, so load falls on both alike");
            report.note("rule latency: A's probe, already running, starts a connection attempt every 50 ms (each"
                    + " given 1 s); the server already listens; the rule list is the server's 200 rules plus one");
            report.environment("load_average_at_end", BenchReport.loadAverage());
        }
        report.print(System.out, json);
        return 0;
    }

    /** Flows and compile time of one port: {@code members} in its group, {@code extra} rules besides Neutron's. */
    private static void compiled(BenchReport report, int members, int extra) {
        List<SecurityGroupRule> rules = new ArrayList<>(List.of(
                new SecurityGroupRule("out", "g", "egress", "IPv4", null, null, null, null, null),
                new SecurityGroupRule("in", "g", "ingress", "IPv4", null, null, null, null, "g")));
        for (int i = 0; i < extra; i++) {
            rules.add(new SecurityGroupRule("r" + i, "g", "ingress", "IPv4", "tcp", 1000 + i, 1000 + i,
                    "172.16." + i + ".0/24", null));
        }
        List<Port> ports = new ArrayList<>();
        for (int i = 0; i < members; i++) {
            ports.add(new Port("p" + i, "", "p", "n", "fa:16:3e:00:00:01", List.of(new FixedIp("s",
                    Ipv4.format(Ipv4.parse("10.0.0.2") + i))), "", "", "", "", true, List.of("g"), List.of(), true,
                    0));
        }
        Map<String, SecurityGroup> groups = Map.of("g", new SecurityGroup("g", "g", "p", rules, 0));
        List<Long> nanos = new ArrayList<>();
        int flows = 0;
        for (int run = 0; run < 21; run++) {
            long t0 = System.nanoTime();
            SecuredPort p = HostViews.securedPort(ports.get(0), 7, 100, List.of(Ipv4.parse("10.0.0.1")), groups,
                    HostViews.groupMembers(ports));
            List<Flow> f = SecurityGroupFlows.port(p);
            nanos.add(System.nanoTime() - t0);
            flows = f.size();
        }
        nanos.sort(null);
        report.row("flows of one port: " + members + "-member group, " + rules.size() + " rules", flows, "flows",
                members * rules.size(), round(flows / (double) (members * rules.size())));
        report.row("compile time of that port (median of 21)", round(nanos.get(10) / 1e6), "ms", null, null);
    }

    /**
     * What a port joining the default group costs one host: the host holds {@code local} of the group's
     * {@code members} ports (Neutron's default rules, so every member's ingress names the group); the security flows
     * that differ once a port on another host joined.
     */
    private static void joinCost(BenchReport report, int members, int local) {
        List<SecurityGroupRule> rules = List.of(
                new SecurityGroupRule("out", "g", "egress", "IPv4", null, null, null, null, null),
                new SecurityGroupRule("in", "g", "ingress", "IPv4", null, null, null, null, "g"));
        Map<String, SecurityGroup> groups = Map.of("g", new SecurityGroup("g", "g", "p", rules, 0));
        List<Port> ports = new ArrayList<>();
        for (int i = 0; i <= members; i++) {
            ports.add(new Port("p" + i, "", "p", "n", "fa:16:3e:00:00:01", List.of(new FixedIp("s",
                    Ipv4.format(Ipv4.parse("10.0.0.2") + i))), "", "", "", "", true, List.of("g"), List.of(), true,
                    0));
        }
        SecurityGroupFlows compiler = new SecurityGroupFlows();
        java.util.Set<Flow> before = new java.util.HashSet<>(compiler.compile(securedLocal(ports.subList(0,
                members), local, groups)));
        java.util.Set<Flow> after = new java.util.HashSet<>(compiler.compile(securedLocal(ports, local, groups)));
        int changed = 0;
        for (Flow f : before) {
            changed += after.contains(f) ? 0 : 1;
        }
        for (Flow f : after) {
            changed += before.contains(f) ? 0 : 1;
        }
        report.row("a port joins a " + members + "-member default group: security flows added or removed on a host"
                + " with " + local + " of its members", changed, "flows", before.size(), null);
        report.note("join: the baseline is all the security flows on that host; the members' own flows and their"
                + " ct_mark stay as they were (only the joiner's address flow is new)");
    }

    /** The first {@code local} of {@code ports} as one host's secured ports, in a group of all of them. */
    private static List<SecuredPort> securedLocal(List<Port> ports, int local, Map<String, SecurityGroup> groups) {
        List<SecuredPort> out = new ArrayList<>();
        for (int i = 0; i < local; i++) {
            out.add(HostViews.securedPort(ports.get(i), 10 + i, 100, List.of(Ipv4.parse("10.0.0.1")), groups,
                    HostViews.groupMembers(ports)));
        }
        return out;
    }

    private record Lab(Vm a, Vm server, String group) {
    }

    private static Lab build(TenantLab lab) throws Exception {
        progress("creating a network, a 200-rule group and three VMs through the API");
        String net = lab.create("networks", "{\"network\": {\"name\": \"sg\", \"project_id\": \"p\"}}");
        String sub = lab.create("subnets", "{\"subnet\": {\"network_id\": \"" + net + "\", \"project_id\": \"p\","
                + " \"ip_version\": 4, \"cidr\": \"10.4.0.0/24\"}}");
        String group = lab.create("security-groups", "{\"security_group\": {\"name\": \"many\", \"project_id\": \"p\"}}");
        for (int i = 0; i < 199; i++) {
            rule(lab, group, 1000 + i, "172.16." + i + ".0/24");
        }
        rule(lab, group, SERVER_PORT, "10.4.0.0/24");
        Vm a = lab.plug(lab.host(0), "a", net, sub, "p", "fa:16:3e:00:4a:01", A_IP, "").vm();
        Vm rules = lab.plug(lab.host(1), "rules", net, sub, "p", "fa:16:3e:00:4b:01", RULES_IP,
                ", \"security_groups\": [\"" + group + "\"]").vm();
        Vm open = lab.plug(lab.host(1), "open", net, sub, "p", "fa:16:3e:00:4c:01", OPEN_IP,
                ", \"port_security_enabled\": false, \"security_groups\": []").vm();
        for (Vm vm : List.of(a, rules, open)) {
            TenantLab.configureFromDhcp(vm, Duration.ofSeconds(60));
        }
        for (Vm vm : List.of(rules, open)) {
            server(vm, SERVER_PORT);
        }
        for (String ip : List.of(RULES_IP, OPEN_IP)) {
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (connects(a, ip, 1).isEmpty()) {
                if (System.nanoTime() > end) {
                    throw new IllegalStateException("A cannot connect to " + ip + ":" + SERVER_PORT);
                }
            }
        }
        return new Lab(a, rules, group);
    }

    private static String rule(TenantLab lab, String group, int port, String prefix) throws Exception {
        return lab.create("security-group-rules", "{\"security_group_rule\": {\"security_group_id\": \"" + group
                + "\", \"direction\": \"ingress\", \"ethertype\": \"IPv4\", \"protocol\": \"tcp\","
                + " \"port_range_min\": " + port + ", \"port_range_max\": " + port + ", \"remote_ip_prefix\": \""
                + prefix + "\"}}");
    }

    /** A TCP server in the VM accepting and closing every connection on {@code port}, in the background. */
    private static void server(Vm vm, int port) {
        vm.exec("sh", "-c", "nohup python3 -c \"import socket\ns = socket.socket()\n"
                + "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\ns.bind(('', " + port + "))\n"
                + "s.listen(128)\nwhile True:\n    s.accept()[0].close()\" >/dev/null 2>&1 &");
    }

    /** The milliseconds of each of {@code count} connects (made and closed one after another; failures left out). */
    private static List<Double> connects(Vm from, String ip, int count) {
        String out = Cmd.exec(List.of("ip", "netns", "exec", from.netns(), "python3", "-c",
                "import socket, time\nfor i in range(" + count + "):\n    t = time.perf_counter()\n    try:\n"
                        + "        socket.create_connection(('" + ip + "', " + SERVER_PORT + "), timeout=2).close()\n"
                        + "        print((time.perf_counter() - t) * 1000)\n    except OSError:\n        pass"),
                Map.of(), Duration.ofSeconds(count * 3L + 10)).stdout();
        List<Double> ms = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                ms.add(Double.parseDouble(line.strip()));
            }
        }
        return ms;
    }

    /** One rule change: the POST's own answer, and the POST to A's first connection through the rule. */
    private record Enforced(double postMs, double throughMs) {
    }

    /**
     * Milliseconds from the POST of a rule opening {@code port} to A's first connection through it, with the server
     * already listening and A's {@link ConnectProbe} already running (started after the POST, as this bench first
     * did, the figure was mostly the start of {@code python3} in the VM).
     */
    private static Enforced ruleToEnforcement(TenantLab lab, Lab l, int port) throws Exception {
        server(l.server, port);
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Cmd.exec(List.of("ip", "netns", "exec", l.server.netns(), "ss", "-ltnH"), Map.of(),
                Duration.ofSeconds(10)).stdout().contains(":" + port + " ")) {
            if (System.nanoTime() > until) {
                throw new IllegalStateException("the server did not listen on " + port + " within 60 s");
            }
            Thread.sleep(20);
        }
        ConnectProbe probe = ConnectProbe.start(l.a, RULES_IP, port);
        try {
            java.time.Instant t0 = java.time.Instant.now();
            rule(lab, l.group, port, "10.4.0.0/24");
            double post = Duration.between(t0, java.time.Instant.now()).toNanos() / 1e6;
            java.time.Instant through = probe.awaitOpened();
            if (through == null) {
                throw new IllegalStateException("a rule opening port " + port + " was not enforced: " + probe);
            }
            return new Enforced(post, Duration.between(t0, through).toNanos() / 1e6);
        } finally {
            probe.stop();
        }
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static void progress(String what) {
        System.err.println("bench security-groups: " + what);
    }
}
