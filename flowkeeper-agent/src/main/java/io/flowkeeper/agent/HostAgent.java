package io.flowkeeper.agent;

import io.flowkeeper.api.util.Threads;
import io.flowkeeper.agent.ovsdb.OvsdbClient;
import io.flowkeeper.agent.ovsdb.OvsdbException;
import io.flowkeeper.agent.snapshot.FlowSnapshot;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host agent: one {@link BridgeJournal} per bridge, and the {@code flow-restore-wait} handshake with OVS. At
 * boot, a systemd drop-in sets {@code other_config:flow-restore-wait=true} before {@code ovs-vswitchd} starts,
 * so OVS forwards nothing with an empty or partial table; once every bridge has been restored (or found not to
 * need it) the agent clears the flag and OVS starts forwarding with the full tables, the way
 * {@code ovs-ctl restart} protects itself. Restore never needs a controller. A bridge with controllers is flushed
 * by OVS as the flag is cleared; its {@link BridgeJournal} holds its snapshot in an open bundle, waits for the
 * release ({@code nextRelease}), then for the flush, and commits the bundle.
 */
public final class HostAgent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HostAgent.class);
    static final String FLOW_RESTORE_WAIT = "flow-restore-wait";

    private final AgentConfig config;
    private final AgentListener listener;
    private final List<FlowSnapshot> snapshots = new ArrayList<>();
    private final List<BridgeJournal> journals = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean closed;
    /** Completes at the next clearing of {@code flow-restore-wait} (or when it is found already clear). */
    private volatile CompletableFuture<Void> nextRelease = new CompletableFuture<>();

    public HostAgent(AgentConfig config, AgentListener listener) {
        this.config = config;
        this.listener = listener;
    }

    /** Opens the snapshots and starts journaling (and restoring, where needed) every bridge. */
    public HostAgent start() throws IOException {
        for (String bridge : config.bridges()) {
            FlowSnapshot snapshot = FlowSnapshot.open(config.snapshotOf(bridge), FlowSnapshot.DEFAULT_PARTITIONS,
                    config.fsync(), 4L << 20);
            snapshots.add(snapshot);
            BridgeJournal journal = new BridgeJournal(bridge, config, snapshot, listener, this::flowRestoreWait,
                    this::releaseIfAllRestored, () -> nextRelease);
            journals.add(journal);
            threads.add(Threads.daemon("agent-" + bridge).newThread(journal));
        }
        threads.forEach(Thread::start);
        CompletableFuture.allOf(journals.stream().map(BridgeJournal::firstRestoreDecision)
                .toArray(CompletableFuture[]::new)).thenRun(this::releaseIfAllRestored);
        LOG.info("agent started: bridges {}, OVS run dir {}, snapshots in {}", config.bridges(), config.ovsRundir(),
                config.snapshotDir());
        return this;
    }

    /** Completes when every bridge has been restored or found not to need it since the agent started. */
    public CompletableFuture<Void> initialRestoreDone() {
        return CompletableFuture.allOf(journals.stream().map(BridgeJournal::firstRestoreDecision)
                .toArray(CompletableFuture[]::new));
    }

    private boolean flowRestoreWait() {
        try (OvsdbClient ovsdb = OvsdbClient.connect(config.dbSocket())) {
            return "true".equals(ovsdb.otherConfig(FLOW_RESTORE_WAIT));
        } catch (OvsdbException e) {
            LOG.warn("cannot read flow-restore-wait from OVSDB: {}", e.getMessage());
            return false;
        }
    }

    /**
     * Clears {@code flow-restore-wait} once every bridge made its first restore decision; after that, at every
     * later restore (an {@code ovs-ctl restart} sets the flag again).
     */
    private synchronized void releaseIfAllRestored() {
        if (closed || !initialRestoreDone().isDone()) {
            return;
        }
        try (OvsdbClient ovsdb = OvsdbClient.connect(config.dbSocket())) {
            if ("true".equals(ovsdb.otherConfig(FLOW_RESTORE_WAIT))) {
                ovsdb.removeOtherConfig(FLOW_RESTORE_WAIT);
                LOG.info("flow-restore-wait cleared: OVS forwards with the restored tables");
                listener.forwardingReleased();
            }
            CompletableFuture<Void> released = nextRelease;
            nextRelease = new CompletableFuture<>();
            released.complete(null);
        } catch (OvsdbException e) {
            LOG.warn("could not clear flow-restore-wait (OVS keeps waiting): {}", e.getMessage());
        }
    }

    /**
     * Whether this agent journals {@code bridge} and its snapshot holds flows: it then restores the bridge's table
     * when {@code ovs-vswitchd} comes back empty (what the cluster agent tells the cluster, so that the switch's
     * master waits for that restore rather than writing every flow itself meanwhile).
     */
    public boolean restores(String bridge) {
        if (!config.bridges().contains(bridge)) {
            return false;
        }
        try {
            return io.flowkeeper.agent.snapshot.SnapshotInspector.hasRecords(config.snapshotOf(bridge));
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The figures of {@code bridge}'s snapshot the cluster agent reports ({@link SnapshotReport#NONE} for a bridge
     * this agent does not journal): file sizes and times and the journal's last status, no record read.
     */
    public SnapshotReport snapshotReport(String bridge) {
        int i = config.bridges().indexOf(bridge);
        if (i < 0 || i >= journals.size()) {
            return SnapshotReport.NONE;
        }
        AgentStatus status = journals.get(i).status();
        try {
            io.flowkeeper.agent.snapshot.SnapshotInspector.DiskUsage disk =
                    io.flowkeeper.agent.snapshot.SnapshotInspector.diskUsage(config.snapshotOf(bridge));
            return new SnapshotReport(restores(bridge), status.state(), status.snapshotFlows(), disk.bytes(),
                    disk.writtenAt(), status.lastRestore());
        } catch (IOException e) {
            return new SnapshotReport(false, status.state(), status.snapshotFlows(), 0, null, status.lastRestore());
        }
    }

    public AgentConfig config() {
        return config;
    }

    @Override
    public void close() throws IOException {
        closed = true;
        journals.forEach(BridgeJournal::stop);
        for (Thread t : threads) {
            try {
                t.join(Duration.ofSeconds(5).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        IOException failure = null;
        for (FlowSnapshot s : snapshots) {
            try {
                s.close();
            } catch (IOException e) {
                failure = e;
            }
        }
        LOG.info("agent stopped");
        if (failure != null) {
            throw failure;
        }
    }
}
