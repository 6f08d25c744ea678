package io.flowkeeper.cli.bench;

import io.flowkeeper.testbed.Vm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * East-west routing against switching, on real OVS: a 3-node cluster, two test-bed hosts joined by VXLAN, two
 * subnets joined by a router through the Neutron API. From VM A (subnet 1, host 1): to C (subnet 1, host 2) is
 * switched, to B (subnet 2, host 2) is routed on host 1; both cross the same tunnel. Rounds of echo round trips and
 * TCP transfers alternate between the two, so load on the shared machine falls on both alike; the table shows each and
 * the routed/switched ratio (routing is a few more flow tables in the same datapath lookup, so the target is no
 * measurable cost).
 */
@Command(name = "routing", mixinStandardHelpOptions = true,
        description = {"Routed vs same-subnet traffic between two hosts on real OVS: ping RTT p50/p99, alternated,",
            "and TCP throughput, with the routed/switched ratio (--small: 2 rounds, 20 pings and 8 MB each)."})
public final class RoutingBench implements Callable<Integer> {
    private static final Pattern TIME = Pattern.compile("time=([0-9.]+) ms");
    /** Routed over switched: within this, routing costs nothing this machine can tell apart from noise. */
    static final double TARGET_RATIO = 1.25;
    private static final String B_IP = "10.2.0.10";
    private static final String C_IP = "10.1.0.11";

    @Option(names = "--small", description = "CI size: 2 rounds of 20 pings and one 8 MB transfer each way.")
    boolean small;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Option(names = "--rounds", description = "Alternating rounds (default: 6, or 2 with --small).")
    Integer roundsOption;

    @Override
    public Integer call() throws Exception {
        int rounds = roundsOption != null ? roundsOption : small ? 2 : 6;
        int pings = small ? 20 : 50;
        int megabytes = small ? 8 : 64;
        BenchReport report = new BenchReport("east-west routing vs same-subnet switching, 2 hosts", "measure",
                "switched", "routed", "unit", "routed/switched", "target", "met");
        report.environment("load_average_at_start", BenchReport.loadAverage());
        progress("starting the test bed and 3 controller nodes (2 JVMs, 1 in this one)");
        try (TenantLab lab = TenantLab.start(2, 0xf1, List.of("request-timeout: 10s"))) {
            Vm[] vms = build(lab);
            Vm a = vms[0];
            Vm b = vms[1];
            Vm c = vms[2];
            List<Double> switched = new ArrayList<>();
            List<Double> routed = new ArrayList<>();
            List<Double> switchedTcp = new ArrayList<>();
            List<Double> routedTcp = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                progress("round " + (r + 1) + "/" + rounds);
                // alternate which goes first, so neither always meets a warmer cache
                boolean routedFirst = r % 2 == 1;
                for (int k = 0; k < 2; k++) {
                    boolean doRouted = (k == 0) == routedFirst;
                    String ip = doRouted ? B_IP : C_IP;
                    (doRouted ? routed : switched).addAll(rtts(a, ip, pings));
                    (doRouted ? routedTcp : switchedTcp).add(tcp(a, doRouted ? b : c, ip, megabytes));
                }
            }
            row(report, "ping RTT p50 (" + rounds * pings + " sent each, " + switched.size() + " and "
                    + routed.size() + " answered)", BenchReport.quantile(switched, 0.5),
                    BenchReport.quantile(routed, 0.5), "ms", true);
            row(report, "ping RTT p99", BenchReport.quantile(switched, 0.99),
                    BenchReport.quantile(routed, 0.99), "ms", false);
            row(report, "TCP throughput, median of " + switchedTcp.size() + " transfers of " + megabytes + " MB",
                    BenchReport.quantile(switchedTcp, 0.5), BenchReport.quantile(routedTcp, 0.5), "MB/s", true);
            report.note("switched: A (subnet 1, host 1) -> C (subnet 1, host 2); routed: A -> B (subnet 2, host 2),"
                    + " routed on host 1 (TTL 63 at B); both over the same VXLAN tunnel, userspace datapath");
            report.note("TCP: one connection, first byte to end of stream as the receiver sees it (a Python"
                    + " socket pair: the VMs have no iperf); TX checksum offload off in the VMs, as the userspace"
                    + " datapath needs; the throughput target is the inverse ratio");
            report.environment("load_average_at_end", BenchReport.loadAverage());
        }
        report.print(System.out, json);
        return 0;
    }

    private static void row(BenchReport report, String measure, double switched, double routed, String unit,
                            boolean judged) {
        boolean lowerIsBetter = !unit.equals("MB/s");
        double ratio = routed / switched;
        Boolean met = !judged ? null : lowerIsBetter ? ratio <= TARGET_RATIO : ratio >= 1 / TARGET_RATIO;
        report.row(measure, round(switched), round(routed), unit, round(ratio),
                judged ? (lowerIsBetter ? "<= " + TARGET_RATIO : ">= " + round(1 / TARGET_RATIO)) : null, met);
    }

    /** Networks, router, three VMs with their addresses from DHCP and the gateway as default route. */
    private static Vm[] build(TenantLab lab) throws Exception {
        progress("creating two subnets, a router and three VMs through the API");
        String net1 = lab.create("networks", "{\"network\": {\"name\": \"one\", \"project_id\": \"p\"}}");
        String net2 = lab.create("networks", "{\"network\": {\"name\": \"two\", \"project_id\": \"p\"}}");
        String sub1 = lab.create("subnets", "{\"subnet\": {\"network_id\": \"" + net1 + "\", \"project_id\": \"p\","
                + " \"ip_version\": 4, \"cidr\": \"10.1.0.0/24\"}}");
        String sub2 = lab.create("subnets", "{\"subnet\": {\"network_id\": \"" + net2 + "\", \"project_id\": \"p\","
                + " \"ip_version\": 4, \"cidr\": \"10.2.0.0/24\"}}");
        Vm a = lab.plug(lab.host(0), "a", net1, sub1, "p", "fa:16:3e:00:0a:01", "10.1.0.10", "").vm();
        Vm b = lab.plug(lab.host(1), "b", net2, sub2, "p", "fa:16:3e:00:0b:01", B_IP, "").vm();
        Vm c = lab.plug(lab.host(1), "c", net1, sub1, "p", "fa:16:3e:00:0a:02", C_IP, "").vm();
        String router = lab.create("routers", "{\"router\": {\"name\": \"r\", \"project_id\": \"p\"}}");
        lab.addRouterInterfaces(router, sub1, sub2);
        for (Vm vm : List.of(a, b, c)) {
            TenantLab.configureFromDhcp(vm, Duration.ofSeconds(60));
        }
        for (String to : List.of(B_IP, C_IP)) {
            if (!a.reachable(to, Duration.ofSeconds(60))) {
                throw new IllegalStateException("A cannot reach " + to);
            }
        }
        return new Vm[] {a, b, c};
    }

    /**
     * The round trip of each of {@code count} pings 10 ms apart; lost ones are left out (a loaded shared machine
     * drops some, switched or routed alike: the table says how many were sent and answered).
     */
    private static List<Double> rtts(Vm from, String to, int count) {
        // exec, not run: ping exits 1 when any reply is missing
        String out = io.flowkeeper.testbed.Cmd.exec(List.of("ip", "netns", "exec", from.netns(), "ping", "-n", "-c",
                String.valueOf(count), "-i", "0.01", "-W", "2", to), java.util.Map.of(), Duration.ofSeconds(60))
                .stdout();
        List<Double> times = new ArrayList<>();
        Matcher m = TIME.matcher(out);
        while (m.find()) {
            times.add(Double.parseDouble(m.group(1)));
        }
        if (times.isEmpty()) {
            throw new IllegalStateException("all " + count + " pings to " + to + " lost");
        }
        return times;
    }

    /** Counts a stream's bytes and prints them with the seconds from its first byte to its end. */
    private static final String RECEIVER = String.join("\n",
            "import socket, time",
            "s = socket.socket()",
            "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
            "s.bind(('', 5001))",
            "s.listen(1)",
            "print('listening', flush=True)",
            "c, _ = s.accept()",
            "n, t0 = 0, None",
            "while True:",
            "    d = c.recv(1 << 16)",
            "    if not d:",
            "        break",
            "    t0 = t0 or time.monotonic()",
            "    n += len(d)",
            "print(n, time.monotonic() - t0, flush=True)");

    /** MB/s of one transfer of {@code megabytes} from {@code from} to a receiver in {@code to}, as it saw them. */
    private static double tcp(Vm from, Vm to, String toIp, int megabytes) throws Exception {
        Process receiver = new ProcessBuilder("ip", "netns", "exec", to.netns(), "python3", "-c", RECEIVER)
                .redirectErrorStream(true).start();
        try (java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(
                receiver.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
            String ready = out.readLine();
            if (!"listening".equals(ready)) {
                throw new IllegalStateException("the receiver in " + to + " did not start: " + ready);
            }
            from.exec("python3", "-c", "import socket\ns = socket.create_connection(('" + toIp + "', 5001), "
                    + "timeout=30)\nb = bytes(1 << 20)\nfor i in range(" + megabytes + "):\n    s.sendall(b)\n"
                    + "s.close()");
            if (!receiver.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new IllegalStateException("the receiver in " + to + " did not see the stream end");
            }
            String[] result = String.valueOf(out.readLine()).split(" ");
            long bytes = Long.parseLong(result[0]);
            if (bytes != (long) megabytes << 20) {
                throw new IllegalStateException("the receiver in " + to + " got " + bytes + " bytes");
            }
            return megabytes / Double.parseDouble(result[1]);
        } finally {
            receiver.destroyForcibly();
        }
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static void progress(String what) {
        System.err.println("bench routing: " + what);
    }
}
