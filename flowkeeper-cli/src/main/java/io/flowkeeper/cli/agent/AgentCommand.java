package io.flowkeeper.cli.agent;

import io.flowkeeper.agent.AgentConfig;
import io.flowkeeper.agent.AgentListener;
import io.flowkeeper.agent.HostAgent;
import io.flowkeeper.agent.snapshot.FsyncPolicy;
import io.flowkeeper.cli.UserException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flowkeeper agent}: one per host. Prints one line per state change (restored, journaling, disconnected,
 * degraded, forwarding released) on stdout, and runs until SIGTERM.
 */
@Command(
        name = "agent",
        mixinStandardHelpOptions = true,
        subcommands = AgentStatusCommand.class,
        description = {
            "Run the host agent beside Open vSwitch. It journals every flow of each",
            "bridge into a crash-safe snapshot (OpenFlow 1.4 flow monitor on the",
            "bridge's management socket) and, when ovs-vswitchd restarts or the host",
            "boots, restores the snapshot in one bundle and clears flow-restore-wait.",
            "It needs no controller.",
            "",
            "--config FILE (Java properties): ovs-rundir=, bridges=br-int,br-ex,",
            "snapshot-dir=, fsync-interval-ms=. Flags win over the file.",
            ""
        })
public final class AgentCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "Properties file with the settings below.")
    Path config;

    @Option(names = "--ovs-rundir", paramLabel = "DIR",
            description = "Where db.sock, <bridge>.mgmt and ovs-vswitchd.pid live (default /var/run/openvswitch).")
    Path ovsRundir;

    @Option(names = "--bridge", paramLabel = "NAME", description = "A bridge to journal and restore (repeatable).")
    List<String> bridges = new ArrayList<>();

    @Option(names = "--snapshot-dir", paramLabel = "DIR",
            description = "Snapshot directory, one sub-directory per bridge, on the host's own disk "
                    + "(default /var/lib/flowkeeper/snapshots).")
    Path snapshotDir;

    @Option(names = "--fsync-interval-ms", paramLabel = "MS",
            description = "Force journal appends to disk at most this long after they happen: a power failure "
                    + "loses at most this window (default 100; 0 = every batch).")
    Long fsyncIntervalMs;

    @Option(names = "--report-journal", hidden = true,
            description = "Print a 'journaled' line with the running total of journaled changes (benchmarks).")
    boolean reportJournal;

    @Override
    public Integer call() throws Exception {
        Properties file = new Properties();
        if (config != null) {
            try (InputStream in = Files.newInputStream(config)) {
                file.load(in);
            } catch (IOException e) {
                throw new UserException("cannot read --config " + config + ": " + e.getMessage(), 2);
            }
        }
        Path rundir = ovsRundir != null ? ovsRundir : Path.of(file.getProperty("ovs-rundir", "/var/run/openvswitch"));
        List<String> names = !bridges.isEmpty() ? bridges
                : Arrays.stream(file.getProperty("bridges", "").split(",")).map(String::strip)
                        .filter(s -> !s.isEmpty()).toList();
        Path snapshots = snapshotDir != null ? snapshotDir
                : Path.of(file.getProperty("snapshot-dir", "/var/lib/flowkeeper/snapshots"));
        long fsyncMs = fsyncIntervalMs != null ? fsyncIntervalMs
                : Long.parseLong(file.getProperty("fsync-interval-ms", "100"));
        if (names.isEmpty()) {
            throw new UserException("no bridge given: use --bridge NAME (or bridges= in --config)", 2);
        }
        if (!Files.isDirectory(rundir)) {
            throw new UserException("--ovs-rundir " + rundir + " is not a directory", 2);
        }
        if (fsyncMs < 0) {
            throw new UserException("--fsync-interval-ms must be 0 or more", 2);
        }
        AgentConfig cfg;
        try {
            cfg = new AgentConfig(rundir, names, snapshots,
                    fsyncMs == 0 ? FsyncPolicy.EVERY_FLUSH : new FsyncPolicy(Duration.ofMillis(fsyncMs)),
                    AgentConfig.DEFAULT_RECONNECT_INTERVAL);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage(), 2);
        }
        PrintStream out = System.out;
        CountDownLatch stop = new CountDownLatch(1);
        HostAgent agent = new HostAgent(cfg, new StatusPrinter(out, reportJournal)).start();
        out.println("agent: journaling " + names + " from " + rundir + " into " + snapshots);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                agent.close();
            } catch (IOException e) {
                System.err.println("agent: closing snapshots failed: " + e.getMessage());
            }
            stop.countDown();
        }, "agent-shutdown"));
        stop.await();
        return 0;
    }

    /** One line per state change, parseable by benchmarks ({@code key=value} pairs after the event). */
    static final class StatusPrinter implements AgentListener {
        private final PrintStream out;
        private final boolean reportJournal;
        private long journaledTotal;

        StatusPrinter(PrintStream out, boolean reportJournal) {
            this.out = out;
            this.reportJournal = reportJournal;
        }

        @Override
        public synchronized void journaled(String bridge, int changes) {
            journaledTotal += changes;
            if (reportJournal) {
                out.println("journaled bridge=" + bridge + " total=" + journaledTotal);
            }
        }

        private static long heapMiB() {
            return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20;
        }

        @Override
        public void restored(String bridge, int flows, Duration bundle, Duration sinceSwitchStart) {
            out.println("restored bridge=" + bridge + " flows=" + flows + " bundle_ms=" + bundle.toMillis()
                    + (sinceSwitchStart == null ? "" : " since_vswitchd_start_ms=" + sinceSwitchStart.toMillis())
                    + " heap_mib=" + heapMiB());
        }

        @Override
        public void journaling(String bridge, int flows) {
            out.println("journaling bridge=" + bridge + " flows=" + flows + " heap_mib=" + heapMiB());
        }

        @Override
        public void disconnected(String bridge) {
            out.println("disconnected bridge=" + bridge);
        }

        @Override
        public void degraded(String bridge, String reason) {
            out.println("degraded bridge=" + bridge + " reason=" + reason.replace('\n', ' '));
        }

        @Override
        public void forwardingReleased() {
            out.println("released flow-restore-wait");
        }
    }
}
