package io.flowkeeper.cli.bench;

import io.flowkeeper.testbed.BridgeSpec;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.TestBed;
import io.flowkeeper.testbed.Vm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flowkeeper bench testbed}: how long the test bed takes to give a test a working host with two VMs (the
 * goal is about a second, so a suite of many real-OVS tests stays fast), and to restart {@code ovs-vswitchd}.
 */
@Command(
        name = "testbed",
        mixinStandardHelpOptions = true,
        description = "Time test-bed bring-up: host (netns, OVSDB, ovs-vswitchd) + bridge + 2 VMs + first ping.")
public final class TestbedBench implements Callable<Integer> {
    /** The goal for one host with two VMs. */
    static final double TARGET_SECONDS = 1.0;

    @Option(names = "--repeat", description = "Bring-ups to time (default: ${DEFAULT-VALUE}).", defaultValue = "10")
    int repeat;

    @Option(names = "--small", description = "CI size: 3 bring-ups.")
    boolean small;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Override
    public Integer call() {
        int n = small ? 3 : repeat;
        if (n < 1) {
            throw new picocli.CommandLine.ParameterException(
                    new picocli.CommandLine(this), "--repeat must be at least 1");
        }
        List<Double> upToHost = new ArrayList<>();
        List<Double> upToPing = new ArrayList<>();
        List<Double> restart = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (!json) {
                System.err.printf("bring-up %d/%d%n", i + 1, n);
            }
            long t0 = System.nanoTime();
            try (TestBed bed = TestBed.create()) {
                OvsHost host = bed.addHost("h1");
                host.addBridge(BridgeSpec.named("br-int"));
                Vm a = host.addVm("a", "br-int", "02:00:00:00:00:0a", "10.0.0.1/24");
                Vm b = host.addVm("b", "br-int", "02:00:00:00:00:0b", "10.0.0.2/24");
                upToHost.add(seconds(t0));
                host.ofctl("add-flow", "br-int", "priority=0,actions=NORMAL");
                if (!a.reachable(b.ip(), Duration.ofSeconds(10))) {
                    throw new IllegalStateException("VMs of a fresh host cannot ping each other");
                }
                upToPing.add(seconds(t0));
                long r0 = System.nanoTime();
                host.restartVswitchd();
                restart.add(seconds(r0));
            }
        }
        double p50 = BenchReport.quantile(upToHost, 0.5);
        BenchReport report = new BenchReport("test bed bring-up (" + n + " runs)",
                "measure", "p50_s", "max_s", "target_s", "p50/target");
        report.row("host + bridge + 2 VMs", p50, max(upToHost), TARGET_SECONDS, p50 / TARGET_SECONDS);
        report.row("... + first ping a->b", BenchReport.quantile(upToPing, 0.5), max(upToPing), null, null);
        report.row("ovs-vswitchd restart", BenchReport.quantile(restart, 0.5), max(restart), null, null);
        report.note("the first ping includes ARP and the userspace datapath's first upcall");
        report.print(System.out, json);
        return 0;
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double max(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }
}
