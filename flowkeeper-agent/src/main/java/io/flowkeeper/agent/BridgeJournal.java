package io.flowkeeper.agent;

import io.flowkeeper.agent.snapshot.FlowSnapshot;
import io.flowkeeper.agent.snapshot.SnapshotInspector;
import io.flowkeeper.openflow.wire.FlowMonitorListener;
import io.flowkeeper.openflow.wire.FlowUpdate;
import io.flowkeeper.openflow.unix.UnixSwitchConnection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import io.flowkeeper.agent.ovsdb.OvsdbClient;
import io.flowkeeper.agent.ovsdb.OvsdbException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one bridge's snapshot equal to its flow table, and restores the table from the snapshot when
 * {@code ovs-vswitchd} comes back empty. Runs on its own thread: connect, maybe restore, monitor, journal; on
 * disconnect, start over.
 *
 * <p>When to restore, on each (re)connection, if the snapshot holds flows: when {@code flow-restore-wait} is set
 * (a boot: OVS is waiting for us), when {@code ovs-vswitchd} is a different process than the one journaled (a
 * restart or crash: its table started empty), or, at the agent's own start, when the table is empty. An agent
 * restart beside a running switch never restores: the switch is the truth and the snapshot is rebuilt from it.
 *
 * <p>A bridge with controllers, restored under {@code flow-restore-wait}, is restored after the release: OVS 3.1
 * adds a bridge's controllers only once the flag is cleared, and flushes its whole table as the first one is added
 * ({@code connmgr_set_controllers}), so a table restored before the release would be lost. The journal instead
 * sends the snapshot into a bundle it leaves open (OVS keeps an uncommitted bundle through the flush), with only the
 * snapshot's first flow in the table, releases, waits for the flush (the table's flow count drops to 0) and commits:
 * one message, so the table is empty only for the turn or two of OVS's main loop between the flush and the commit.
 * The journal starts after that, so the snapshot mirrors the restored table, never the flush.
 */
final class BridgeJournal implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(BridgeJournal.class);
    /** A 200,000-flow initial dump takes about 0.5 s; this bounds a wedged switch. */
    static final Duration INITIAL_DUMP_TIMEOUT = Duration.ofSeconds(60);
    /**
     * How long after the release OVS may take to add the controllers and flush (it reconfigures within
     * milliseconds; the margin is for a loaded host). Without a flush by then, OVS kept the restored table.
     */
    static final Duration CONTROLLER_FLUSH_WAIT = Duration.ofSeconds(2);

    private final String bridge;
    private final AgentConfig config;
    private final FlowSnapshot snapshot;
    private final AgentListener listener;
    private final BooleanSupplier flowRestoreWait;
    private final Runnable restoredCallback;
    private final Supplier<CompletableFuture<Void>> nextRelease;
    private final CompletableFuture<Void> firstRestoreDecision = new CompletableFuture<>();
    private volatile boolean stopping;
    private volatile UnixSwitchConnection session;
    private long journaledVswitchdPid = -1;
    private boolean everConnected;
    /** What {@code STATUS} says; replaced whole at every change (readers see one consistent record). */
    private volatile AgentStatus status;
    private volatile long journaledChanges;
    private volatile long statusWrittenNanos;

    BridgeJournal(String bridge, AgentConfig config, FlowSnapshot snapshot, AgentListener listener,
            BooleanSupplier flowRestoreWait, Runnable restoredCallback,
            Supplier<CompletableFuture<Void>> nextRelease) {
        this.bridge = bridge;
        this.config = config;
        this.snapshot = snapshot;
        this.listener = listener;
        this.flowRestoreWait = flowRestoreWait;
        this.restoredCallback = restoredCallback;
        this.nextRelease = nextRelease;
        this.status = new AgentStatus(bridge, "connecting", Instant.now(), ProcessHandle.current().pid(), null,
                null, 0, null, null);
    }

    /** Records a state change in the bridge's STATUS file (best effort: status must never stop journaling). */
    private synchronized void setStatus(AgentStatus next) {
        if (stopping && !"stopped".equals(next.state())) {
            return; // a late update from the reader thread must not overwrite the final state
        }
        status = next;
        statusWrittenNanos = System.nanoTime();
        try {
            next.write(config.snapshotOf(bridge));
        } catch (IOException e) {
            LOG.debug("bridge {}: cannot write STATUS: {}", bridge, e.getMessage());
        }
    }

    private void setState(String state) {
        AgentStatus s = status;
        setStatus(new AgentStatus(bridge, state, Instant.now(), s.agentPid(), vswitchdPidOrNull(),
                s.snapshotFlows(), journaledChanges, s.lastRestore(), null));
    }

    private Long vswitchdPidOrNull() {
        long pid = vswitchdPid();
        return pid < 0 ? null : pid;
    }

    /** What {@code STATUS} says now (the flow count may be up to 2 s newer than the file). */
    AgentStatus status() {
        return status;
    }

    /** Completes once this bridge is restored, or known not to need a restore, after the agent started. */
    CompletableFuture<Void> firstRestoreDecision() {
        return firstRestoreDecision;
    }

    @Override
    public void run() {
        while (!stopping) {
            UnixSwitchConnection c = connect();
            if (c == null) {
                return;
            }
            session = c;
            try {
                restoreIfNeeded(c);
                journal(c);
                Throwable why = c.closed().get();
                if (!stopping) {
                    LOG.info("bridge {}: switch disconnected ({}); waiting for it to come back", bridge,
                            why.getMessage());
                    listener.disconnected(bridge);
                    setState("disconnected");
                }
            } catch (IOException e) {
                if (!stopping) {
                    LOG.warn("bridge {}: {}; reconnecting in 1 s", bridge, e.getMessage());
                    sleep(Duration.ofSeconds(1));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                LOG.error("bridge {}: unexpected failure, reconnecting", bridge, e);
                sleep(Duration.ofMillis(200));
            } finally {
                c.close();
            }
        }
    }

    /** Polls the management socket until {@code ovs-vswitchd} serves it; null when stopping. */
    private UnixSwitchConnection connect() {
        Path socket = config.managementSocket(bridge);
        boolean said = false;
        while (!stopping) {
            if (Files.exists(socket)) {
                try {
                    return UnixSwitchConnection.connect(socket);
                } catch (IOException e) {
                    if (!said) {
                        LOG.info("bridge {}: {}", bridge, e.getMessage());
                        said = true;
                    }
                }
            }
            sleep(config.reconnectInterval());
        }
        return null;
    }

    private void restoreIfNeeded(UnixSwitchConnection c) throws IOException, InterruptedException {
        long pid = vswitchdPid();
        boolean waitFlag = flowRestoreWait.getAsBoolean();
        boolean newSwitch = everConnected && pid != journaledVswitchdPid;
        boolean emptyAtStart = !everConnected && c.flowCount() == 0;
        everConnected = true;
        CompletableFuture<Void> release = null;
        SnapshotRestorer.Staged staged = null;
        if (snapshotHasFlows() && (waitFlag || newSwitch || emptyAtStart)) {
            String why = waitFlag ? "flow-restore-wait is set" : newSwitch ? "ovs-vswitchd restarted"
                    : "the flow table is empty";
            if (waitFlag && controllerCount() > 0) {
                release = nextRelease.get(); // before our restore can trigger the release
                staged = stage(c, why);
            } else {
                restore(c, why, true);
            }
            restoredCallback.run();
        }
        journaledVswitchdPid = pid;
        firstRestoreDecision.complete(null);
        if (release != null) {
            commitAfterControllerFlush(c, release, staged);
        }
    }

    private void restore(UnixSwitchConnection c, String why, boolean replaceAll) throws IOException {
        LOG.info("bridge {}: restoring the snapshot ({})", bridge, why);
        setState("restoring");
        reportRestore(SnapshotRestorer.restore(config.snapshotOf(bridge), c, replaceAll, n -> { }), why);
    }

    /**
     * Sends the snapshot into a bundle the switch keeps open until OVS's flush (see
     * {@link #commitAfterControllerFlush}); the table holds its first flow meanwhile, so that the flush shows.
     */
    private SnapshotRestorer.Staged stage(UnixSwitchConnection c, String why) throws IOException {
        LOG.info("bridge {}: staging the snapshot in a bundle, to commit after OVS's flush ({}, and the bridge has "
                + "controllers)", bridge, why);
        setState("restoring");
        SnapshotRestorer.Staged staged = SnapshotRestorer.stage(config.snapshotOf(bridge), c, n -> { });
        Duration sinceStart = vswitchdStart().map(t -> Duration.between(t, Instant.now())).orElse(null);
        LOG.info("bridge {}: staged {} flows in {} ms{}", bridge, staged.flows(), staged.staging().toMillis(),
                sinceStart == null ? "" : " (" + sinceStart.toMillis() + " ms after ovs-vswitchd started)");
        return staged;
    }

    private void reportRestore(SnapshotRestorer.Result result, String why) {
        Duration sinceStart = vswitchdStart().map(t -> Duration.between(t, Instant.now())).orElse(null);
        LOG.info("bridge {}: restored {} flows in one bundle in {} ms{}{}", bridge,
                result.bundle().messages(), result.bundle().elapsed().toMillis(),
                sinceStart == null ? "" : " (" + sinceStart.toMillis() + " ms after ovs-vswitchd started)",
                result.damage().isEmpty() ? "" : "; " + result.damage().size() + " unreadable snapshot records");
        if (!result.bundle().failures().isEmpty()) {
            LOG.warn("bridge {}: the switch refused {} restored flows, first: {}", bridge,
                    result.bundle().failures().size(), result.bundle().failures().get(0).error());
        }
        listener.restored(bridge, result.bundle().messages(), result.bundle().elapsed(), sinceStart);
        AgentStatus s = status;
        setStatus(new AgentStatus(bridge, "restored", Instant.now(), s.agentPid(), vswitchdPidOrNull(),
                s.snapshotFlows(), journaledChanges, new AgentStatus.Restore(Instant.now(),
                        result.bundle().messages(), result.bundle().elapsed().toMillis(),
                        sinceStart == null ? null : sinceStart.toMillis(), why), null));
    }

    /**
     * Waits for the release and for OVS's flush as it adds the controllers (the table's one flow goes), then
     * commits the staged snapshot: one message, so the table is empty only between the flush and that commit, not
     * for the time it takes to send the snapshot (27 s for 32,013 flows on a host with 4,000 ports, where OVS reads
     * 50 OpenFlow messages per connection per turn of its main loop and each turn polls every port). Without a
     * flush, the commit adds the rest of the snapshot. If OVS dropped the bundle meanwhile (idle longer than its
     * {@code bundle-idle-timeout}), the snapshot is sent again, adding only, and only if the table is still empty:
     * a master that programmed the switch in the meantime is the truth. The cluster's master waits for this commit
     * before it writes (the agent tells the cluster that its snapshot holds flows), for a bounded time: a
     * controller that still adds flows before it finds its flows kept and the snapshot's added beside them.
     */
    private void commitAfterControllerFlush(UnixSwitchConnection c, CompletableFuture<Void> release,
            SnapshotRestorer.Staged staged) throws IOException, InterruptedException {
        String why = "flow-restore-wait is set";
        long deadline = System.nanoTime() + INITIAL_DUMP_TIMEOUT.toNanos();
        while (!release.isDone()) {
            if (stopping) {
                staged.discard();
                return;
            }
            if (System.nanoTime() > deadline) {
                LOG.warn("bridge {}: flow-restore-wait not cleared; restoring without waiting for the flush",
                        bridge);
                commitOrRestore(c, staged, why, true);
                return;
            }
            try {
                release.get(100, TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException e) {
                // not yet; a failed release is retried by the agent, and bounded by the deadline
            }
        }
        long released = System.nanoTime();
        long flushDeadline = released + CONTROLLER_FLUSH_WAIT.toNanos();
        while (c.flowCount() > 0) {
            if (stopping) {
                staged.discard();
                return;
            }
            if (System.nanoTime() > flushDeadline) {
                LOG.info("bridge {}: OVS kept the table as it added the controllers", bridge);
                commitOrRestore(c, staged, why, true);
                return;
            }
            Thread.sleep(1);
        }
        long flushed = System.nanoTime();
        why = "OVS flushed the table as it added the controllers";
        long committed = commitOrRestore(c, staged, why, false);
        LOG.info("bridge {}: OVS flushed the table {} ms after the release, as it added the controllers; the "
                + "staged snapshot was committed {} ms after the flush was seen", bridge,
                (flushed - released) / 1_000_000, (committed - flushed) / 1_000_000);
    }

    /**
     * Commits the staged snapshot; if the switch refuses the commit, sends the snapshot again. Returns when the
     * table was refilled ({@link System#nanoTime}).
     */
    private long commitOrRestore(UnixSwitchConnection c, SnapshotRestorer.Staged staged, String why,
            boolean replaceAll) throws IOException {
        try {
            SnapshotRestorer.Result result = staged.commit();
            long committed = System.nanoTime();
            reportRestore(result, why);
            return committed;
        } catch (IOException e) {
            if (!c.isOpen()) {
                throw e;
            }
            LOG.warn("bridge {}: the switch refused the staged snapshot's commit ({}); restoring it again", bridge,
                    e.getMessage());
            if (replaceAll || c.flowCount() == 0) {
                restore(c, why, replaceAll);
            }
            return System.nanoTime();
        }
    }

    /** How many controllers OVSDB names for this bridge (0 if OVSDB cannot tell: nothing to wait for then). */
    private int controllerCount() {
        try (OvsdbClient ovsdb = OvsdbClient.connect(config.dbSocket())) {
            return ovsdb.controllerCount(bridge);
        } catch (OvsdbException e) {
            LOG.warn("bridge {}: cannot read its controllers from OVSDB: {}", bridge, e.getMessage());
            return 0;
        }
    }

    /** Whether the snapshot holds any record: cheap (file sizes), so deciding to restore costs nothing. */
    private boolean snapshotHasFlows() throws IOException {
        return SnapshotInspector.hasRecords(config.snapshotOf(bridge));
    }

    /** Monitors the switch: the initial dump replaces the snapshot, then every change is journaled. */
    private void journal(UnixSwitchConnection c) throws IOException {
        Journaler j = new Journaler();
        c.startMonitor(j, INITIAL_DUMP_TIMEOUT);
        if (j.failure != null) {
            throw j.failure;
        }
    }

    /** Runs on the session's reader thread: must keep up with the switch. */
    private final class Journaler implements FlowMonitorListener {
        private FlowSnapshot.Rebase rebase;
        private int initialFlows;
        volatile IOException failure;

        @Override
        public void onUpdates(List<FlowUpdate> updates, boolean initialDumpComplete) {
            if (failure != null) {
                return; // this session is being dropped; the next one starts with a fresh dump
            }
            try {
                if (rebase == null && updates.stream().anyMatch(u -> u.event() == FlowUpdate.Event.INITIAL)) {
                    rebase = snapshot.rebase();
                }
                for (FlowUpdate u : updates) {
                    apply(u);
                }
                if (initialDumpComplete) {
                    if (rebase == null) {
                        rebase = snapshot.rebase(); // an empty table: the snapshot becomes empty too
                    }
                    rebase.commit();
                    rebase = null;
                    LOG.info("bridge {}: journaling; the snapshot mirrors {} flows", bridge, initialFlows);
                    listener.journaling(bridge, initialFlows);
                    AgentStatus s = status;
                    setStatus(new AgentStatus(bridge, "journaling", Instant.now(), s.agentPid(), vswitchdPidOrNull(),
                            initialFlows, journaledChanges, s.lastRestore(), null));
                } else {
                    snapshot.flush();
                    int changes = (int) updates.stream().filter(u -> u.event() == FlowUpdate.Event.ADDED
                            || u.event() == FlowUpdate.Event.MODIFIED || u.event() == FlowUpdate.Event.REMOVED)
                            .count();
                    if (changes > 0) {
                        listener.journaled(bridge, changes);
                        journaledChanges += changes;
                        snapshotFlowsDelta(updates);
                    }
                }
            } catch (IOException e) {
                // The snapshot misses changes now. Start over: the next initial dump rewrites it whole, and
                // until the disk has room again every attempt fails here, leaving the last good snapshot.
                failure = e;
                if (rebase != null) {
                    rebase.close();
                    rebase = null;
                }
                listener.degraded(bridge, e.getMessage());
                AgentStatus s = status;
                setStatus(new AgentStatus(bridge, "degraded", Instant.now(), s.agentPid(), vswitchdPidOrNull(),
                        s.snapshotFlows(), journaledChanges, s.lastRestore(), e.getMessage()));
                resync();
            }
        }

        /** Keeps STATUS's flow count current; rewrites the file at most every 2 s under churn. */
        private void snapshotFlowsDelta(List<FlowUpdate> updates) {
            AgentStatus s = status;
            if (s.snapshotFlows() == null) {
                return;
            }
            int flows = s.snapshotFlows();
            for (FlowUpdate u : updates) {
                if (u.event() == FlowUpdate.Event.ADDED) {
                    flows++;
                } else if (u.event() == FlowUpdate.Event.REMOVED) {
                    flows--;
                }
            }
            AgentStatus next = new AgentStatus(bridge, s.state(), s.since(), s.agentPid(), s.vswitchdPid(), flows,
                    journaledChanges, s.lastRestore(), s.degradedReason());
            if (System.nanoTime() - statusWrittenNanos > 2_000_000_000L) {
                setStatus(next);
            } else {
                status = next;
            }
        }

        private void apply(FlowUpdate u) throws IOException {
            switch (u.event()) {
                case INITIAL -> {
                    initialFlows++;
                    rebase.put(u.identityKey(), u.toFlowMod());
                }
                case ADDED, MODIFIED -> snapshot.put(u.identityKey(), u.toFlowMod());
                case REMOVED -> snapshot.delete(u.identityKey());
                case PAUSED -> LOG.warn("bridge {}: the switch paused the flow monitor (too many changes); "
                        + "resynchronizing when it resumes", bridge);
                case RESUMED -> resync();
                case ABBREV -> { } // our own flow-mods on this session: none are sent here
            }
        }

        @Override
        public void onDisconnect(Throwable cause) {
            if (rebase != null) {
                rebase.close();
                rebase = null;
            }
        }
    }

    /** Drops the session so the loop reconnects and rebuilds the snapshot from a fresh initial dump. */
    private void resync() {
        UnixSwitchConnection c = session;
        if (c != null) {
            journaledVswitchdPid = vswitchdPid(); // same switch: no restore
            CompletableFuture.runAsync(c::close);
        }
    }

    private long vswitchdPid() {
        try {
            return Long.parseLong(Files.readString(config.vswitchdPidfile()).strip());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /**
     * When the running {@code ovs-vswitchd} started: its pidfile's modification time (written at start-up, with
     * sub-millisecond precision; the process start time in /proc is relative to a boot time known only to the
     * second).
     */
    private java.util.Optional<Instant> vswitchdStart() {
        try {
            return java.util.Optional.of(Files.getLastModifiedTime(config.vswitchdPidfile()).toInstant());
        } catch (IOException e) {
            return java.util.Optional.empty();
        }
    }

    void stop() {
        stopping = true;
        setState("stopped");
        UnixSwitchConnection c = session;
        if (c != null) {
            c.close();
        }
    }

    private static void sleep(Duration d) {
        try {
            TimeUnit.NANOSECONDS.sleep(d.toNanos());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
