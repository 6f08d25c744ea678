package io.flowkeeper.cli.bench;

import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.OfctlText;
import io.flowkeeper.api.flow.FlowChange;
import io.flowkeeper.openflow.OpenFlowConfig;
import io.flowkeeper.openflow.OpenFlowServer;
import io.flowkeeper.openflow.SwitchConnection;
import io.flowkeeper.api.switches.SwitchListener;
import io.flowkeeper.api.flow.BundleResult;
import io.flowkeeper.testbed.BridgeSpec;
import io.flowkeeper.testbed.Cmd;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.RealisticPipeline;
import io.flowkeeper.testbed.TestBed;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flowkeeper bench southbound}: installing and dumping a realistic pipeline through our OpenFlow stack
 * (pipelined flow-mods + barrier, and one atomic bundle) against {@code ovs-ofctl --bundle add-flows} and
 * {@code ovs-ofctl dump-flows} of the same flows, on the same bridge, in one run.
 */
@Command(name = "southbound", mixinStandardHelpOptions = true,
        description = {"Time flow install (pipelined, bundle) and dump through Flowkeeper's OpenFlow stack",
            "against ovs-ofctl --bundle add-flows and ovs-ofctl dump-flows of the same flows."})
public final class SouthboundBench implements Callable<Integer> {
    private static final String BR = "br-sb";
    private static final long COOKIE = 0xf100000000000000L;

    @Option(names = "--flows", split = ",", description = "Table sizes (default: 20000,200000).")
    List<Integer> sizes = new ArrayList<>(List.of(20_000, 200_000));

    @Option(names = "--repeat", description = "Runs per measure, median reported (default 3).", defaultValue = "3")
    int repeat;

    @Option(names = "--small", description = "CI size: 2,000 flows, one run.")
    boolean small;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (small) {
            sizes = List.of(2_000);
            repeat = 1;
        }
        BenchReport report = new BenchReport("OpenFlow southbound: install and dump vs ovs-ofctl",
                "flows", "operation", "flowkeeper_s", "ovs_ofctl_s", "ratio", "note");
        long peakHeap = 0;
        for (int size : sizes) {
            if (size < 10 || size > 320_000) {
                throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                        "--flows values must be 10..320000");
            }
            peakHeap = Math.max(peakHeap, runSize(size, report));
        }
        report.environment("controller_heap_used_mib_after_largest", peakHeap);
        report.note("controller heap: " + peakHeap + " MiB used after GC, holding the desired and the dumped flow "
                + "sets of the largest size (JVM " + ManagementFactory.getRuntimeMXBean().getInputArguments() + ")");
        report.note("ovs-ofctl rows run the command with its output to /dev/null; ours include encoding from / "
                + "decoding into the neutral flow model");
        report.print(System.out, json);
        return 0;
    }

    private void progress(String s) {
        if (!json) {
            System.err.println(s);
        }
    }

    private long runSize(int size, BenchReport report) throws Exception {
        try (TestBed bed = TestBed.create()) {
            OvsHost host = bed.addHost("h1");
            CompletableFuture<SwitchConnection> connected = new CompletableFuture<>();
            try (OpenFlowServer server = new OpenFlowServer(OpenFlowConfig.tcp(bed.controllerIp(), 0),
                    SwitchListener.onConnect(sw -> connected.complete((SwitchConnection) sw)))) {
                int port = server.start();
                host.addBridge(BridgeSpec.named(BR).controllers("tcp:" + bed.controllerIp() + ":" + port));
                SwitchConnection sw = connected.get(30, TimeUnit.SECONDS);
                List<Flow> flows = new ArrayList<>();
                List<String> text = new ArrayList<>();
                long cookie = COOKIE;
                for (String line : RealisticPipeline.flows(RealisticPipeline.portsFor(size))) {
                    Flow f = OfctlText.parse(line).withCookie(cookie++);
                    flows.add(f);
                    text.add(OfctlText.format(f));
                }
                int n = flows.size();
                Path file = host.runDir().resolve("flows.txt");
                Files.write(file, text);
                List<FlowChange> adds = flows.stream().map(FlowChange::add).toList();

                // Warm-up, untimed: a controller runs for days, so its encoders and decoders are JIT-compiled; a
                // cold first run would time the compiler, not the southbound.
                sw.install(flows.subList(0, Math.min(n, 20_000)));
                sw.dumpFlows();
                clear(host);

                List<Double> ofctlInstall = new ArrayList<>();
                List<Double> ourPipelined = new ArrayList<>();
                List<Double> ourBundle = new ArrayList<>();
                List<Double> ofctlDump = new ArrayList<>();
                List<Double> ourDump = new ArrayList<>();
                List<Flow> dumped = List.of();
                double echoMaxMs = 0;
                int echoes = 0;
                for (int r = 0; r < repeat; r++) {
                    progress(n + " flows: run " + (r + 1) + "/" + repeat);
                    clear(host);
                    ofctlInstall.add(time(() -> host.ofctl("-O", "OpenFlow14", "--bundle", "add-flows", BR,
                            file.toString())));
                    check(host, n);
                    ofctlDump.add(time(() -> Cmd.run(List.of("sh", "-c",
                            "ovs-ofctl -O OpenFlow14 dump-flows " + BR + " > /dev/null"), host.ovsEnvironment(),
                            Duration.ofMinutes(5))));
                    long d0 = System.nanoTime();
                    dumped = sw.dumpFlows();
                    ourDump.add((System.nanoTime() - d0) / 1e9);
                    if (dumped.size() != n) {
                        throw new IllegalStateException("dump returned " + dumped.size() + " of " + n);
                    }
                    clear(host);
                    try (SouthboundEchoProbe probe = new SouthboundEchoProbe(sw)) {
                        ourPipelined.add(time(() -> sw.install(flows)));
                        echoMaxMs = Math.max(echoMaxMs, probe.maxMillis());
                        echoes += probe.count();
                    }
                    check(host, n);
                    clear(host);
                    long b0 = System.nanoTime();
                    BundleResult result = sw.applyBundle(adds);
                    ourBundle.add((System.nanoTime() - b0) / 1e9);
                    if (!result.committed()) {
                        throw new IllegalStateException("bundle refused: " + result.failures());
                    }
                    check(host, n);
                }
                double ofctl = BenchReport.quantile(ofctlInstall, 0.5);
                double dumpOfctl = BenchReport.quantile(ofctlDump, 0.5);
                String median = "median of " + repeat;
                row(report, n, "install: pipelined flow-mods + barrier", ourPipelined, ofctl, median
                        + "; baseline: ovs-ofctl --bundle add-flows");
                row(report, n, "install: one atomic bundle", ourBundle, ofctl, median
                        + "; baseline: ovs-ofctl --bundle add-flows");
                row(report, n, "dump all flows", ourDump, dumpOfctl, median + "; baseline: ovs-ofctl dump-flows");
                report.environment("echo_rtt_max_ms_during_install_" + n, Math.round(echoMaxMs * 10) / 10.0);
                report.note(n + " flows: an echo request every 50 ms during the pipelined installs: " + echoes
                        + " answered, slowest " + String.format("%.1f", echoMaxMs) + " ms (an echo waits behind the bounded "
                        + "outbound queue, not behind the whole push)");
                System.gc();
                long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20;
                if (flows.size() + dumped.size() < 0) {
                    throw new IllegalStateException(); // keeps both sets reachable until the heap was read
                }
                return heap;
            }
        }
    }

    private static void row(BenchReport report, int n, String op, List<Double> ours, double baseline, String note) {
        double o = BenchReport.quantile(ours, 0.5);
        report.row(n, op, o, baseline, o / baseline, note);
    }

    private static void clear(OvsHost host) {
        host.ofctl("-O", "OpenFlow14", "del-flows", BR);
        check(host, 0);
    }

    private static void check(OvsHost host, int expected) {
        int got = host.flowCount(BR);
        if (got != expected) {
            throw new IllegalStateException(BR + " holds " + got + " flows, expected " + expected);
        }
    }

    private static double time(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) / 1e9;
    }

}
