package io.flowkeeper.cli.bench;

import io.flowkeeper.testbed.BridgeSpec;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.PingMonitor;
import io.flowkeeper.testbed.PingResult;
import io.flowkeeper.testbed.RealisticPipeline;
import io.flowkeeper.testbed.TestBed;
import io.flowkeeper.testbed.Vm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flowkeeper bench restore}: how fast a host forwards again after {@code ovs-vswitchd} restarts, with the
 * agent's snapshot restore, against the ways without it: {@code ovs-ofctl --bundle add-flows} of the same flows
 * (the best a script can do) and one {@code ovs-ofctl add-flow} per flow (seed 000's old agent, measured on a
 * sample and extrapolated). Also the agent's heap (it runs with {@code -Xmx128m}) and journaling speed.
 */
@Command(name = "restore", mixinStandardHelpOptions = true,
        description = {"Time flow restore after an ovs-vswitchd restart: the agent's snapshot restore vs",
            "ovs-ofctl --bundle add-flows vs one ovs-ofctl add-flow per flow (old way, extrapolated)."})
public final class RestoreBench implements Callable<Integer> {
    private static final String BR = "br-int";
    private static final Duration WAIT = Duration.ofSeconds(120);

    @Option(names = "--flows", split = ",", description = "Table sizes (default: 20000,200000).")
    List<Integer> sizes = new ArrayList<>(List.of(20_000, 200_000));

    @Option(names = "--old-way-sample", description = "Flows timed one ovs-ofctl process each (default 2000).",
            defaultValue = "2000")
    int oldWaySample;

    @Option(names = "--repeat", description = "Restores timed per size (default 3).", defaultValue = "3")
    int repeat;

    @Option(names = "--journal-changes", description = "Flow changes for the journaling rate (default 20000).",
            defaultValue = "20000")
    int journalChanges;

    @Option(names = "--small", description = "CI size: 2,000 flows, a 100-flow old-way sample, 1 restore.")
    boolean small;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (small) {
            sizes = List.of(2_000);
            oldWaySample = 100;
            repeat = 1;
            journalChanges = 2_000;
        }
        for (int s : sizes) {
            if (s < 10 || s > 320_000) {
                throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                        "--flows values must be 10..320000");
            }
        }
        BenchReport report = new BenchReport("flow restore after an ovs-vswitchd restart",
                "flows", "method", "install_s", "vs_ofctl_bundle", "start_to_installed_s", "start_to_first_ping_s",
                "agent_heap_mib", "note");
        report.environment("agent_jvm", "-Xmx128m");
        Double journalRate = null;
        for (int size : sizes) {
            Double rate = runSize(size, report, journalRate == null);
            journalRate = journalRate == null ? rate : journalRate;
        }
        if (journalRate != null) {
            report.note(String.format(java.util.Locale.ROOT,
                    "journaling: %d flow changes (one ovs-ofctl --bundle add-flows) written to the snapshot at "
                            + "%.0f changes/s end to end", journalChanges, journalRate));
        }
        report.note("install_s: the flow install alone (agent: bundle OPEN to commit reply; ovs-ofctl: the command). "
                + "start_to_*: from launching ovs-vswitchd after a SIGKILL to the table being complete, and to the "
                + "first echo reply between two VMs pinging every 10 ms. The agent runs in its own JVM with -Xmx128m.");
        report.print(System.out, json);
        return 0;
    }

    private void progress(String s) {
        if (!json) {
            System.err.println(s);
        }
    }

    /** One timed restart: ovs-vswitchd start -> table installed -> first ping, and the install alone. */
    private record Restart(double installed, double firstPing, double installOnly, long heapMib) {
    }

    private interface Installer {
        /** Installs the table into the freshly started switch; returns the install-only time in seconds. */
        double install(Instant vswitchdStart) throws Exception;
    }

    /** Kills ovs-vswitchd under a 10 ms ping, starts it, lets {@code installer} put the flows back. */
    private static Restart restart(OvsHost host, Vm a, Vm b, Installer installer, long[] heap) throws Exception {
        PingMonitor ping = a.startPing(b.ip(), Duration.ofMillis(10));
        Thread.sleep(300);
        host.killVswitchd();
        Instant start = Instant.now();
        host.startVswitchdAgain();
        double installOnly = installer.install(start);
        Instant installed = Instant.now();
        Thread.sleep(400);
        PingResult pr = ping.stop();
        Instant reply = pr.firstReplyAfter(start).orElseThrow(
                () -> new IllegalStateException("no ping reply after the restart: " + pr));
        return new Restart(seconds(start, installed), seconds(start, reply), installOnly, heap[0]);
    }

    private static double seconds(Instant from, Instant to) {
        return Duration.between(from, to).toNanos() / 1e9;
    }

    private static void addRows(BenchReport report, int total, String method, List<Restart> runs, double ofctl,
            String note) {
        double installed = BenchReport.quantile(runs.stream().map(Restart::installed).toList(), 0.5);
        double ping = BenchReport.quantile(runs.stream().map(Restart::firstPing).toList(), 0.5);
        double only = BenchReport.quantile(runs.stream().map(Restart::installOnly).toList(), 0.5);
        long heap = runs.stream().mapToLong(Restart::heapMib).max().orElse(0);
        report.row(total, method, only, Double.isNaN(ofctl) ? 1.0 : only / ofctl, installed, ping,
                heap > 0 ? heap : null, note);
    }

    private Double runSize(int size, BenchReport report, boolean measureJournal) throws Exception {
        int ports = RealisticPipeline.portsFor(size);
        try (TestBed bed = TestBed.create()) {
            OvsHost host = bed.addHost("h1");
            host.addBridge(BridgeSpec.named(BR));
            Vm a = host.addVm("a", BR, "02:00:00:00:00:0a", "10.0.0.1/24");
            Vm b = host.addVm("b", BR, "02:00:00:00:00:0b", "10.0.0.2/24");
            List<String> flows = new ArrayList<>(RealisticPipeline.flows(ports));
            flows.add("table=0,priority=200,in_port=" + a.ofport() + ",actions=output:" + b.ofport());
            flows.add("table=0,priority=200,in_port=" + b.ofport() + ",actions=output:" + a.ofport());
            int total = flows.size();
            Path file = host.runDir().resolve("flows.txt");
            Files.write(file, flows);
            long[] noHeap = {0};

            List<Restart> scripted = new ArrayList<>();
            for (int i = 0; i < repeat; i++) {
                progress(total + " flows: restart + ovs-ofctl --bundle add-flows " + (i + 1) + "/" + repeat);
                scripted.add(restart(host, a, b, start -> {
                    long t0 = System.nanoTime();
                    host.ofctl("--bundle", "add-flows", BR, file.toString());
                    return (System.nanoTime() - t0) / 1e9;
                }, noHeap));
            }
            checkCount(host, total);
            double ofctl = BenchReport.quantile(scripted.stream().map(Restart::installOnly).toList(), 0.5);

            int sample = Math.min(oldWaySample, total);
            progress(total + " flows: the old way on " + sample + " flows, one ovs-ofctl process each");
            host.restartVswitchd();
            long o0 = System.nanoTime();
            for (int i = 0; i < sample; i++) {
                host.ofctl("add-flow", BR, flows.get(i));
            }
            double perFlow = (System.nanoTime() - o0) / 1e9 / sample;

            host.restartVswitchd();
            host.ofctl("--bundle", "add-flows", BR, file.toString());
            Path snapshots = host.runDir().resolve("snapshots");
            Double journalRate = null;
            List<Restart> ours = new ArrayList<>();
            try (AgentProcess agent = new AgentProcess(host.runDir(), BR, snapshots, "128m")) {
                agent.await(e -> e.kind().equals("journaling") && e.number("flows") == total, WAIT,
                        "journaling of " + total + " flows");
                for (int i = 0; i < repeat; i++) {
                    progress(total + " flows: restart + agent snapshot restore " + (i + 1) + "/" + repeat);
                    agent.clearEvents();
                    long[] heap = {0};
                    ours.add(restart(host, a, b, start -> {
                        AgentProcess.Event restored = agent.await(e -> e.kind().equals("restored"), WAIT,
                                "restore");
                        if (restored.number("flows") != total) {
                            throw new IllegalStateException("restored " + restored.number("flows") + " of "
                                    + total);
                        }
                        heap[0] = restored.number("heap_mib");
                        return restored.number("bundle_ms") / 1000.0;
                    }, heap));
                    agent.await(e -> e.kind().equals("journaling"), WAIT, "journaling after the restore");
                }
                checkCount(host, total);
                if (measureJournal) {
                    journalRate = measureJournal(host, agent);
                }
            }
            addRows(report, total, "agent snapshot restore", ours, ofctl, "median of " + repeat);
            addRows(report, total, "ovs-ofctl --bundle add-flows", scripted, Double.NaN, "median of " + repeat);
            report.row(total, "ovs-ofctl add-flow per flow", perFlow * total, perFlow * total / ofctl, null, null,
                    null, String.format(java.util.Locale.ROOT, "EXTRAPOLATED from %d flows (%.2f ms each)", sample,
                            perFlow * 1000));
            return journalRate;
        }
    }

    /** Adds {@code journalChanges} new flows in one bundle and times until the agent journaled all of them. */
    private double measureJournal(OvsHost host, AgentProcess agent) throws Exception {
        progress("journaling rate: " + journalChanges + " changes");
        List<String> extra = new ArrayList<>();
        for (int i = 0; i < journalChanges; i++) {
            extra.add("table=50,priority=" + (1 + i % 30_000) + ",reg3=" + i + ",actions=drop");
        }
        Path file = host.runDir().resolve("churn.txt");
        Files.write(file, extra);
        agent.clearEvents();
        long baseline = 0;
        Instant t0 = Instant.now();
        host.ofctl("--bundle", "add-flows", BR, file.toString());
        AgentProcess.Event done = agent.await(e -> e.kind().equals("journaled")
                && e.number("total") >= baseline + journalChanges, WAIT, "journaling of the changes");
        return journalChanges / (Duration.between(t0, done.at()).toNanos() / 1e9);
    }

    private static void checkCount(OvsHost host, int expected) {
        int n = host.flowCount(BR);
        if (n != expected) {
            throw new IllegalStateException("bridge has " + n + " flows, expected " + expected);
        }
    }

}
