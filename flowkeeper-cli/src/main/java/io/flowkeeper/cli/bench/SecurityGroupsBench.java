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
 * and in a group of 200 rules, and their compile time. On real OVS (a 3-node cluster, two hosts): TCP connections
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
            for (int i = 0; i < changes; i++) {
                progress("rule change " + (i + 1) + "/" + changes);
                enforce.add(ruleToEnforcement(lab, l, 6000 + i));
            }
            report.row("rule POST to first connection it lets through, p50 (" + changes + " rules)",
                    round(BenchReport.quantile(enforce, 0.5)), "ms", null, null);
            report.row("rule POST to first connection it lets through, p99", round(BenchReport.quantile(enforce,
                    0.99)), "ms", null, null);
            report.note("connect: python3 socket.create_connection + close from A (host 1) to a server on host 2,"
                    + " over VXLAN, userspace datapath; the two servers alternate, so load falls on both alike");
            report.note("rule latency: polled with 20 ms connect attempts (each up to 0.2 s), so it includes up to"
                    + " one attempt; the rule list is the server's 200 rules plus one");
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

    /** Milliseconds from the POST of a rule opening {@code port} to A's first connection through it. */
    private static double ruleToEnforcement(TenantLab lab, Lab l, int port) throws Exception {
        server(l.server, port);
        long t0 = System.nanoTime();
        rule(lab, l.group, port, "10.4.0.0/24");
        Cmd.Result r = Cmd.exec(List.of("ip", "netns", "exec", l.a.netns(), "python3", "-c",
                "import socket, time\nwhile True:\n    try:\n        socket.create_connection(('" + RULES_IP + "', "
                        + port + "), timeout=0.2).close()\n        break\n    except OSError:\n"
                        + "        time.sleep(0.02)"), Map.of(), Duration.ofSeconds(60));
        double ms = (System.nanoTime() - t0) / 1e6;
        if (!r.ok()) {
            throw new IllegalStateException("a rule opening port " + port + " was not enforced within 60 s");
        }
        return ms;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static void progress(String what) {
        System.err.println("bench security-groups: " + what);
    }
}
