package io.flowkeeper.controller.mastership;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.FlowId;
import io.flowkeeper.api.flow.OfctlText;
import io.flowkeeper.api.ownership.EntityOwnership;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.StoreException;
import io.flowkeeper.api.store.VersionedValue;
import io.flowkeeper.api.store.Watch;
import io.flowkeeper.api.store.WatchEvent;
import io.flowkeeper.api.store.WatchListener;
import io.flowkeeper.api.switches.ControllerRole;
import io.flowkeeper.api.flow.FlowChange;
import io.flowkeeper.api.switches.FlowParts;
import io.flowkeeper.api.switches.FlowStats;
import io.flowkeeper.api.switches.PortInfo;
import io.flowkeeper.api.switches.PortStats;
import io.flowkeeper.api.switches.Switch;
import io.flowkeeper.api.switches.SwitchException;
import io.flowkeeper.api.flow.BundleResult;
import io.flowkeeper.api.flow.reconcile.FlowReconciler;
import io.flowkeeper.api.flow.reconcile.ReconcilePlan;
import io.flowkeeper.api.flow.reconcile.ReconcileResult;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One switch as seen from this node. Everything runs in one serial queue per switch (on threads shared by all
 * switches: a takeover of many switches runs them in parallel, idle switches hold no thread), so role changes,
 * flow programming and statistics never interleave. While this node owns the switch's entity (and holds its lease), it is MASTER
 * with the entity generation as role generation id, reconciles the switch to the desired flows once, then applies
 * every committed change to them in commit order, one bundle per batch; before each write it checks mastership
 * again. Otherwise it asks for SLAVE, so the switch itself refuses any write that might still come from here.
 *
 * <p>One exception: when only this node's lease lapsed (the entity is still ours at the generation we are MASTER
 * at, as far as this replica knows), the master is <em>suspended</em>, not deposed. It keeps the role, the flows it
 * knows the switch holds and its flow watch, writes nothing (every write is gated by {@link Mastership#canAct}),
 * and queues the changes that arrive; once the lease is held and ownership re-read through the leader, it applies
 * them and carries on, with no role request, no read of the desired flows and no reconcile. This is the fence a
 * frozen master already relies on: nobody else writes before the ownership shard moves the entity, which happens
 * only a whole lease time after our last renewal, and the new owner's MASTER request at a higher generation makes
 * the switch refuse us. Stepping down on every lapse made a loaded node with many switches re-sync them all each
 * time (issue 20: 1,000 switches, a read of each switch's desired flows per lapse, renewals late behind those
 * reads, more lapses).
 */
public final class SwitchMaster {
    private static final Logger LOG = LoggerFactory.getLogger(SwitchMaster.class);
    static final FlowReconciler RECONCILER =
            new FlowReconciler(FlowDocuments.COOKIE_PREFIX, FlowDocuments.COOKIE_MASK, false);
    /**
     * How long a master waits, at least, for a host agent's restore of a switch that connected empty (a small
     * table is restored within a second or two of {@code ovs-vswitchd}'s start); beyond the bound the agent is taken
     * to be down.
     */
    static final java.time.Duration AGENT_RESTORE_WAIT = java.time.Duration.ofSeconds(5);
    /**
     * What the bound grows by per flow the switch should hold: the agent's bundle takes longer for a bigger table
     * (32,013 flows took 31 s on a busy 2-core host with 4,000 ports being added at OVS's start), so 2 ms a flow.
     */
    private static final long AGENT_RESTORE_WAIT_NANOS_PER_FLOW = 2_000_000;
    /** How often the switch's flow count is asked while waiting for the agent's restore. */
    private static final long AGENT_RESTORE_POLL_MILLIS = 10;

    private final Mastership mastership;
    private final Switch connection;
    private final long dpid;
    private final String entity;
    private final SerialExecutor executor;
    private final ConcurrentLinkedQueue<WatchEvent> pending = new ConcurrentLinkedQueue<>();
    /** Flow id to flow: what the switch holds from this master, as far as it knows (confined to the executor). */
    private final Map<String, Flow> programmed = new HashMap<>();
    /**
     * Desired flows the switch refused, by flow id, with its error (confined to the executor): not in
     * {@link #programmed} (the switch keeps what it held before), published in {@code /switches/{dpid}} until a
     * later write of the flow is accepted or the flow is deleted.
     */
    private final Map<String, Refusal> refused = new TreeMap<>();

    /** The flow source's flows as last computed (confined to the executor): programmed beside the API's. */
    private Map<String, Flow> computed = Map.of();

    private volatile long masterGeneration = -1;
    private volatile boolean synced;
    /** MASTER at {@link #masterGeneration} but not writing: this node's lease lapsed (set and cleared by settle). */
    private volatile boolean suspended;
    private long baseRevision;
    /** How long the last takeover took to read the desired flows, read barrier included (logged with the reconcile). */
    private long readMillis;
    private Watch flowWatch;
    /** Counts the flow watches opened: a watch's close is news only while it is the current one. */
    private long watchEpoch;
    private ScheduledFuture<?> statsTask;
    /** Counts the statistics polling chains started: a poll reschedules itself only while its chain is current. */
    private long statsEpoch;
    /** The delay before the next statistics poll: the interval, doubled after each poll that found nothing moved. */
    private long statsDelayMillis;
    /** The content of the last poll's documents (their hash), to tell an idle switch. */
    private int lastStatsHash;
    /** A retry of {@link #settle} is scheduled and has not run yet (confined to this switch's serial executor). */
    private boolean retryPending;
    private volatile boolean closed;
    /**
     * Whether this connection's first sync has passed the wait for the host agent's restore (confined to the
     * executor); {@link #agentRestoreWaitStarted} is when that wait started (0: not started).
     */
    private boolean agentRestoreChecked;
    private long agentRestoreWaitStarted;
    private long agentRestoreWaitNanos;
    /** When the last ownership change was handed to this switch (what a grant's duration counts from). */
    private long ownershipSeenNanos = System.nanoTime();

    SwitchMaster(Mastership mastership, Switch connection) {
        this.mastership = mastership;
        this.connection = connection;
        this.dpid = connection.dpid();
        this.entity = FlowDocuments.entity(dpid);
        this.executor = new SerialExecutor(mastership.switchThreads());
    }

    /** Desired vs actual as the reconciler sees it (only flows with our cookie prefix count as extra). */
    public static io.flowkeeper.api.flow.reconcile.ReconcilePlan diff(java.util.Collection<Flow> desired,
                                                                     java.util.Collection<Flow> actual) {
        return RECONCILER.diff(desired, actual);
    }

    /** A desired flow the switch refused: the flow wanted (null: its removal) and the switch's error. */
    record Refusal(Flow flow, String error) {
    }

    public Switch connection() {
        return connection;
    }

    public long dpid() {
        return dpid;
    }

    /** The generation this node is master at, or -1. */
    public long masterGeneration() {
        return masterGeneration;
    }

    /** Master here and writing: synced to the desired flows, and not suspended by a lapsed lease. */
    public boolean isMaster() {
        return masterGeneration >= 0 && synced && !suspended;
    }

    void ownershipChanged() {
        long seen = System.nanoTime();
        submit(() -> {
            ownershipSeenNanos = seen;
            settle();
        });
    }

    /**
     * Runs the read half of a takeover once, as SLAVE (reads are allowed): the desired flows parsed, a flow dump
     * decoded and diffed. A node that just started would otherwise run that code cold, in the interpreter, at the
     * moment a failover waits for it; this is measured in {@code bench failover}, where a restarted node is often
     * the next master.
     */
    void warmUp() {
        submit(() -> {
            if (masterGeneration >= 0 || closed) {
                return;
            }
            try {
                List<Flow> wanted = new ArrayList<>();
                for (VersionedValue v : mastership.store().list(FlowDocuments.CONFIG_SHARD,
                        FlowDocuments.desiredPrefix(dpid), ReadConsistency.STALE).values()) {
                    wanted.add(FlowDocuments.flowOf(v.json()));
                }
                List<Flow> actual = new ArrayList<>();
                connection.flowStats().forEach(f -> actual.add(f.flow()));
                RECONCILER.diff(wanted, actual);
            } catch (RuntimeException e) {
                LOG.debug("switch {}: warm-up: {}", connection.dpidString(), e.toString());
            }
        });
    }

    private void submit(Runnable task) {
        if (closed) {
            return;
        }
        try {
            executor.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.warn("switch {}: {}", connection.dpidString(), e.toString(), e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    /** Follows the committed owner: become MASTER, stay, or step down. */
    private void settle() {
        if (closed || !connection.isActive()) {
            return;
        }
        EntityOwnership e = mastership.owner(entity).orElse(null);
        if (e != null && mastership.canAct(entity, e.generation())) {
            boolean resumed = suspended;
            suspended = false;
            if (masterGeneration != e.generation()) {
                becomeMaster(e.generation());
            } else if (!synced) {
                sync();
            } else if (resumed) {
                LOG.debug("switch {}: lease held again: writing at generation {} again", connection.dpidString(),
                        masterGeneration);
                recompute();
                drain();
            }
            return;
        }
        if (masterGeneration >= 0 && e != null && e.ownedBy(mastership.nodeId())
                && e.generation() == masterGeneration) {
            // Only the lease (or the re-read of ownership after it) is missing: suspended, see the class comment.
            if (!suspended) {
                suspended = true;
                LOG.debug("switch {}: lease not held: MASTER at generation {} kept, nothing written until it is",
                        connection.dpidString(), masterGeneration);
            }
            return;
        }
        suspended = false;
        if (masterGeneration >= 0) {
            LOG.info("switch {}: no longer master here ({}); stepping down to SLAVE", connection.dpidString(),
                    e == null ? "no owner" : mastership.isLeaseHeld()
                            ? "owner " + e.owner() + " at generation " + e.generation() : "lease not held");
        }
        stopMastering();
        if (e != null && (connection.role() != ControllerRole.SLAVE || connection.generationId() != e.generation())) {
            try {
                connection.requestRole(ControllerRole.SLAVE, e.generation());
            } catch (SwitchException ex) {
                // A newer master already told the switch a newer generation: we are SLAVE there anyway.
                LOG.debug("switch {}: SLAVE request: {}", connection.dpidString(), ex.getMessage());
            }
        }
    }

    private void becomeMaster(long generation) {
        stopMastering();
        ControllerRole granted;
        try {
            granted = connection.requestRole(ControllerRole.MASTER, generation);
        } catch (SwitchException.StaleGeneration e) {
            LOG.warn("switch {}: refused MASTER at generation {} (stale): {}", connection.dpidString(), generation,
                    e.getMessage());
            return;
        } catch (SwitchException e) {
            LOG.warn("switch {}: MASTER request failed: {}; retrying", connection.dpidString(), e.getMessage());
            scheduleRetry();
            return;
        }
        if (granted != ControllerRole.MASTER) {
            return;
        }
        masterGeneration = generation;
        // Every write checks, on this node's clock, that the lease is held and the entity still ours at this
        // generation: the only fence on OpenFlow 1.0, which has no generation id (docs/operations.md, "OpenFlow 1.0
        // switches": what remains is the time from this check to the round's last byte in the socket).
        connection.writePermit(() -> mastership.canAct(entity, generation));
        LOG.info("switch {}: MASTER on node {} at generation {}", connection.dpidString(), mastership.nodeId(),
                generation);
        mastership.observer().masterGranted(dpid, generation, System.nanoTime() - ownershipSeenNanos);
        sync();
    }

    /** Writes one bundle, telling the observer how long the switch took to commit it. */
    private io.flowkeeper.api.flow.BundleResult timedBundle(java.util.List<io.flowkeeper.api.flow.FlowChange> changes) {
        long t0 = System.nanoTime();
        boolean ok = false;
        try {
            io.flowkeeper.api.flow.BundleResult r = connection.applyBundle(changes);
            ok = r.committed();
            return r;
        } finally {
            mastership.observer().bundleWritten(dpid, System.nanoTime() - t0, ok);
        }
    }

    /**
     * Reads the desired flows (as of a linearizable read shared with the other switches syncing now), watches changes
     * after them, and reconciles the switch.
     */
    private void sync() {
        if (awaitingAgentRestore()) {
            return;
        }
        long started = System.nanoTime();
        DatastoreService store = mastership.store();
        DatastoreService.Snapshot snapshot;
        try {
            mastership.awaitDesiredFlows();
            snapshot = store.list(FlowDocuments.CONFIG_SHARD, FlowDocuments.desiredPrefix(dpid),
                    ReadConsistency.STALE);
        } catch (StoreException e) {
            LOG.warn("switch {}: cannot read desired flows ({}); retrying", connection.dpidString(), e.getMessage());
            scheduleRetry();
            return;
        }
        // The computed flows too, before anything is reconciled: a sync without them would delete them.
        Map<String, Flow> computedNow = computeFlows();
        if (computedNow == null) {
            scheduleRetry();
            return;
        }
        closeWatch();
        pending.clear();
        programmed.clear();
        refused.clear();
        Map<String, Flow> desired = new HashMap<>();
        Map<FlowId, String> byIdentity = new HashMap<>();
        List<VersionedValue> textDocuments = new ArrayList<>();
        for (VersionedValue v : snapshot.values()) {
            String id = FlowDocuments.flowIdOf(v.path());
            try {
                Flow f = FlowDocuments.flowOf(v.json());
                String other = byIdentity.putIfAbsent(f.id(), id);
                if (other != null) {
                    LOG.warn("switch {}: flows {} and {} have the same table, priority and match; programming {}",
                            connection.dpidString(), other, id, other);
                    continue;
                }
                desired.put(id, f);
                if (FlowDocuments.isTextDocument(v.json())) {
                    textDocuments.add(v);
                }
            } catch (RuntimeException e) {
                LOG.warn("switch {}: skipping unreadable flow {}: {}", connection.dpidString(), id, e.getMessage());
            }
        }
        computed = computedNow;
        computed.forEach((id, f) -> {
            String other = byIdentity.putIfAbsent(f.id(), id);
            if (other == null) {
                desired.put(id, f);
            } else {
                LOG.warn("switch {}: flow {} from the API has the identity of computed flow {}; programming {}",
                        connection.dpidString(), other, id, other);
            }
        });
        baseRevision = snapshot.revision();
        readMillis = (System.nanoTime() - started) / 1_000_000;
        long epoch = ++watchEpoch;
        flowWatch = store.watch(FlowDocuments.CONFIG_SHARD, FlowDocuments.desiredPrefix(dpid),
                Math.max(1, baseRevision), new WatchListener() {
                    @Override
                    public void onEvent(WatchEvent event) {
                        pending.add(event);
                        submit(SwitchMaster.this::drain);
                    }

                    @Override
                    public void onClosed(String reason) {
                        // Closing a watch ourselves (a new sync, stepping down) also lands here: only the current
                        // watch closing by itself needs a sync, or a failing sync would restart itself at once.
                        submit(() -> {
                            if (!closed && masterGeneration >= 0 && epoch == watchEpoch) {
                                LOG.warn("switch {}: flow watch closed ({}); syncing again", connection.dpidString(),
                                        reason);
                                synced = false;
                                settle();
                            }
                        });
                    }
                });
        if (!mastership.canAct(entity, masterGeneration)) {
            submit(this::settle);
            return;
        }
        if (!textDocuments.isEmpty()) {
            int migrated = new DesiredFlows(store).migrate(dpid, textDocuments);
            LOG.info("switch {}: {} of {} flows stored as ovs-ofctl text rewritten as structured documents",
                    connection.dpidString(), migrated, textDocuments.size());
        }
        try {
            reconcile(desired, byIdentity);
            synced = true;
            reportInstalled();
        } catch (SwitchException e) {
            LOG.warn("switch {}: reconcile failed: {}", connection.dpidString(), e.getMessage());
            scheduleRetry();
            return;
        }
        startStatistics();
        drain();
    }

    /**
     * Whether this connection's first reconcile waits for the host agent's restore (and is tried again shortly).
     * A rebooted switch connects to its controllers only after its agent released it from
     * {@code flow-restore-wait}, and OVS flushes its table as it adds them; the agent then commits the snapshot
     * it sent into a bundle before the release (a switch restarted without the flag gets the whole snapshot sent). A master reconciling in between would find an empty table and write every flow itself.
     * So when the switch is empty and its host says its agent holds a snapshot, the master waits until the switch
     * holds flows (the restore's bundle is atomic: then it is all there), for at most {@link #AGENT_RESTORE_WAIT} or
     * 2 ms per flow it should hold, whichever is longer (an agent that is down restores nothing), and reconciles
     * what the agent restored. A host whose agent is dead (no heartbeat within the agent-down time) is not waited
     * for, and the wait ends as soon as the agent is found dead: with a 4,000-port host's 32,000 flows the bound is
     * 64 s, too long for a host whose agent died.
     */
    private boolean awaitingAgentRestore() {
        if (agentRestoreChecked) {
            return false;
        }
        long now = System.nanoTime();
        try {
            if (agentRestoreWaitStarted == 0) {
                if (!mastership.flowSource().restoresFromSnapshot(connection) || connection.flowCount() > 0) {
                    agentRestoreChecked = true;
                    return false;
                }
                agentRestoreWaitStarted = now;
                Map<String, Flow> expected = computeFlows();
                agentRestoreWaitNanos = Math.max(AGENT_RESTORE_WAIT.toNanos(),
                        (expected == null ? 0 : expected.size()) * AGENT_RESTORE_WAIT_NANOS_PER_FLOW);
                LOG.info("switch {}: connected with no flows; waiting for its host agent to restore them (at most {}"
                        + " s)", connection.dpidString(), agentRestoreWaitNanos / 1_000_000_000);
            } else if (connection.flowCount() > 0) {
                agentRestoreChecked = true;
                LOG.info("switch {}: its host agent restored its flows after {} ms of waiting", connection.dpidString(),
                        (now - agentRestoreWaitStarted) / 1_000_000);
                return false;
            } else if (!mastership.flowSource().restoresFromSnapshot(connection)) {
                agentRestoreChecked = true;
                LOG.warn("switch {}: its host agent is down (no heartbeat within {} s) after {} ms of waiting for its"
                        + " restore; programming every flow", connection.dpidString(),
                        io.flowkeeper.api.network.Host.AGENT_DOWN_TIME.toSeconds(),
                        (now - agentRestoreWaitStarted) / 1_000_000);
                return false;
            } else if (now - agentRestoreWaitStarted > agentRestoreWaitNanos) {
                agentRestoreChecked = true;
                LOG.warn("switch {}: its host agent restored nothing within {} s (is it down?); programming every flow",
                        connection.dpidString(), agentRestoreWaitNanos / 1_000_000_000);
                return false;
            }
        } catch (RuntimeException e) {
            agentRestoreChecked = true; // cannot tell: reconcile now, as without an agent
            LOG.debug("switch {}: flow count: {}", connection.dpidString(), e.toString());
            return false;
        }
        mastership.scheduler().schedule(() -> submit(this::settle), AGENT_RESTORE_POLL_MILLIS, TimeUnit.MILLISECONDS);
        return true;
    }

    /**
     * One retry of {@link #settle} in 500 ms, unless one is pending. Pending means "scheduled and not yet run on this
     * switch's executor", not the scheduled task's own state: that task only submits the retry, and a retry failing
     * again before the task had returned was once seen to schedule nothing (the task not yet done), leaving the
     * switch unsynced (TenantFlowsTest).
     */
    private void scheduleRetry() {
        if (!retryPending) {
            retryPending = true;
            mastership.scheduler().schedule(() -> submit(() -> {
                retryPending = false;
                settle();
            }), 500, TimeUnit.MILLISECONDS);
        }
    }

    /** Reconciles the switch to {@code desired}, setting aside (in {@link #refused}) the flows the switch refuses. */
    private void reconcile(Map<String, Flow> desired, Map<FlowId, String> idOf) {
        long reconcileStart = System.nanoTime();
        Map<String, Flow> wanted = new HashMap<>(desired);
        ReconcileResult r = reconcile(wanted, idOf, refused, flows -> connection.reconcile(flows, RECONCILER));
        mastership.observer().reconciled(dpid, masterGeneration, wanted.size(), r.plan().size(),
                System.nanoTime() - reconcileStart);
        LOG.info("switch {}: reconciled to {} desired flows at revision {} ({}; desired flows read in {} ms, then "
                + "reconciled in {} ms)", connection.dpidString(), wanted.size(), baseRevision,
                r.plan().isEmpty() ? "already in sync" : r.plan(), readMillis,
                (System.nanoTime() - reconcileStart) / 1_000_000);
        programmed.putAll(wanted);
        if (!refused.isEmpty()) {
            LOG.warn("switch {}: the switch refuses {} desired flows (each refusal discards its bundle; the others were "
                    + "reconciled again without them): {}", connection.dpidString(), refused.size(), refused);
        }
    }

    /**
     * Reconciles a switch to {@code wanted}. A bundle the switch refuses is discarded whole (atomic), so the refused
     * flows are moved from {@code wanted} to {@code refused} and the rest reconciled again: the switch then holds
     * every flow left in {@code wanted}.
     *
     * @param idOf the flow id of each desired identity, to name what the switch refused
     * @param reconcile reconciles the switch to a flow set in one bundle (the connection's, or a test's)
     * @return the reconciliation that the switch committed
     * @throws SwitchException when the switch fails, or refuses a bundle without naming a desired flow of it
     */
    static ReconcileResult reconcile(Map<String, Flow> wanted, Map<FlowId, String> idOf, Map<String, Refusal> refused,
                                     Function<Collection<Flow>, ReconcileResult> reconcile) {
        while (true) {
            ReconcileResult r = reconcile.apply(wanted.values());
            if (r.applied()) {
                return r;
            }
            // The bundle holds deletes of flows the model cannot read first, then the plan's changes in order.
            List<FlowChange> changes = r.plan().changes();
            int offset = r.bundle().messages() - changes.size();
            int before = wanted.size();
            for (BundleResult.Failure failure : r.bundle().failures()) {
                int i = failure.index() - offset;
                String id = i >= 0 && i < changes.size() ? idOf.get(changes.get(i).flow().id()) : null;
                Flow f = id == null ? null : wanted.remove(id);
                if (f != null) {
                    refused.put(id, new Refusal(f, failure.error()));
                }
            }
            if (wanted.size() == before) {
                throw new SwitchException("the switch refused the reconciliation bundle and the refusal names no "
                        + "desired flow: " + r.bundle().failures());
            }
        }
    }

    void flowSourceChanged() {
        submit(this::recompute);
    }

    /**
     * The flow source's flows for this switch, or null when it cannot tell them now (logged): never "none" for
     * "unknown", which would delete them from the switch.
     */
    private Map<String, Flow> computeFlows() {
        try {
            return mastership.flowSource().flows(connection);
        } catch (RuntimeException e) {
            LOG.warn("switch {}: computing flows failed: {}", connection.dpidString(), e.toString(), e);
            return null;
        }
    }

    private void reportInstalled() {
        mastership.flowSource().installed(connection, new Held(computed, programmed));
    }

    /**
     * The computed flows the switch holds (those programmed), as a view: copying a large host's table after every
     * change cost as much as the change. Valid during {@code SwitchFlowSource.installed} only.
     */
    private static final class Held extends java.util.AbstractMap<String, Flow> {
        private final Map<String, Flow> computed;
        private final Map<String, Flow> programmed;

        Held(Map<String, Flow> computed, Map<String, Flow> programmed) {
            this.computed = computed;
            this.programmed = programmed;
        }

        @Override
        public Flow get(Object id) {
            return programmed.containsKey(id) ? computed.get(id) : null;
        }

        @Override
        public boolean containsKey(Object id) {
            return programmed.containsKey(id) && computed.containsKey(id);
        }

        @Override
        public Set<Entry<String, Flow>> entrySet() {
            Map<String, Flow> held = new HashMap<>();
            computed.forEach((id, f) -> {
                if (programmed.containsKey(id)) {
                    held.put(id, f);
                }
            });
            return held.entrySet();
        }
    }

    /** Programs the step from the computed flows programmed to the ones wanted now, as one bundle, if master. */
    private void recompute() {
        if (!synced || masterGeneration < 0) {
            return;
        }
        if (!mastership.canAct(entity, masterGeneration)) {
            settle(); // suspended, the change is computed on resuming; or no longer master: nothing to program
            return;
        }
        Map<String, Flow> now = computeFlows();
        if (now == null) {
            return; // the switch keeps what it has; the next change or sync computes again
        }
        Map<String, Flow> next = FlowParts.changes(computed, now); // from parts: only those that changed
        computed = now;
        if (!next.isEmpty()) {
            try { // a lapse since the check above: the write permit refuses, and the sync after it recomputes
                program(programmed, refused, next, this::timedBundle);
            } catch (SwitchException e) {
                LOG.warn("switch {}: writing {} computed changes failed: {}; syncing again", connection.dpidString(),
                        next.size(), e.getMessage());
                synced = false;
                scheduleRetry();
                return;
            }
        }
        reportInstalled();
    }

    /** Applies queued desired-flow changes, as one bundle, if still master. */
    private void drain() {
        if (!synced || masterGeneration < 0) {
            return;
        }
        if (!mastership.canAct(entity, masterGeneration)) {
            // Before taking the changes off the queue: a suspended master applies them when it resumes.
            LOG.debug("switch {}: mastership not usable now; {} changes wait", connection.dpidString(),
                    pending.size());
            settle();
            return;
        }
        // flow id -> the flow now desired (null: deleted); a later event for an id replaces an earlier one
        Map<String, Flow> next = new LinkedHashMap<>();
        boolean reset = false;
        for (WatchEvent e; (e = pending.poll()) != null; ) {
            switch (e.type()) {
                case RESET -> reset = true;
                case SYNCED -> { }
                case PUT -> {
                    if (e.revision() > baseRevision) {
                        String id = FlowDocuments.flowIdOf(e.path());
                        try {
                            next.put(id, FlowDocuments.flowOf(e.json()));
                        } catch (RuntimeException ex) {
                            LOG.warn("switch {}: skipping unreadable flow {}: {}", connection.dpidString(), id,
                                    ex.getMessage());
                        }
                    }
                }
                case DELETE -> {
                    if (e.revision() > baseRevision) {
                        next.put(FlowDocuments.flowIdOf(e.path()), null);
                    }
                }
            }
        }
        if (reset) {
            synced = false;
            sync();
            return;
        }
        if (next.isEmpty()) {
            return;
        }
        boolean refusalsChanged;
        try { // a lapse since the check above: the write permit refuses, and the sync after it reads these changes
            refusalsChanged = program(programmed, refused, next, this::timedBundle);
        } catch (SwitchException e) {
            LOG.warn("switch {}: writing {} changes failed: {}; syncing again", connection.dpidString(),
                    next.size(), e.getMessage());
            synced = false;
            scheduleRetry();
            return;
        }
        statisticsSoon();
        if (refusalsChanged) {
            if (!refused.isEmpty()) {
                LOG.warn("switch {}: the switch refuses {} desired flows (each refusal discards its bundle; the other "
                        + "flows were programmed again without them): {}", connection.dpidString(), refused.size(),
                        refused);
            }
            submit(() -> publishStatistics(true)); // the switch's state shows the refusals now, not at the next poll
        }
    }

    /**
     * Programs the step from {@code programmed} (what the switch holds from us) to {@code next} (flow id to the flow
     * now desired, null for deleted) in one bundle, updating both maps. A bundle the switch partly refuses is
     * discarded whole (atomic): the refused flows go to {@code refused} and keep what the switch held before (in
     * {@code programmed} too), and the rest is programmed again in a new bundle. A flow of {@code next} that was
     * refused before leaves {@code refused} unless the switch refuses it again.
     *
     * @param bundle applies changes in one atomic bundle (the switch connection's, or a test's)
     * @return whether {@code refused} changed
     * @throws SwitchException when the switch fails, or refuses a bundle without naming a flow of it
     */
    static boolean program(Map<String, Flow> programmed, Map<String, Refusal> refused, Map<String, Flow> next,
                           Function<List<FlowChange>, BundleResult> bundle) {
        boolean anyRefused = false;
        for (String id : next.keySet()) {
            anyRefused |= refused.remove(id) != null;
        }
        Map<String, Flow> remaining = new LinkedHashMap<>(next);
        while (!remaining.isEmpty()) {
            ReconcilePlan.Builder plan = ReconcilePlan.builder();
            Map<FlowId, String> removedBy = new HashMap<>();
            Map<FlowId, String> installedBy = new HashMap<>();
            remaining.forEach((id, wanted) -> {
                Flow installed = programmed.get(id);
                plan.change(installed, wanted);
                if (installed != null) {
                    removedBy.put(installed.id(), id);
                }
                if (wanted != null) {
                    installedBy.put(wanted.id(), id);
                }
            });
            List<FlowChange> changes = plan.build().changes();
            BundleResult r = changes.isEmpty() ? null : bundle.apply(changes);
            if (r == null || r.committed()) {
                remaining.forEach((id, wanted) -> {
                    if (wanted == null) {
                        programmed.remove(id);
                    } else {
                        programmed.put(id, wanted);
                    }
                });
                return anyRefused;
            }
            int before = remaining.size();
            for (BundleResult.Failure failure : r.failures()) {
                FlowChange c = changes.get(failure.index());
                String id = (c.kind() == FlowChange.Kind.DELETE ? removedBy : installedBy).get(c.flow().id());
                if (id != null && remaining.containsKey(id)) {
                    refused.put(id, new Refusal(remaining.remove(id), failure.error()));
                    anyRefused = true;
                }
            }
            if (remaining.size() == before) {
                throw new SwitchException("the switch refused a bundle and the refusal names none of its flows: "
                        + r.failures());
            }
        }
        return anyRefused;
    }

    /**
     * How far polling an idle switch backs off: a switch whose flow and port statistics did not move since the last
     * poll is polled after twice the delay, up to this many statistics intervals (16 s at the default 2 s). A
     * thousand idle switches polled every 2 s cost the cluster about half a core (issue 20, {@code bench scale});
     * counters that move, and every change the master programs, bring the interval back at once.
     */
    static final int MAX_STATS_BACKOFF = 8;

    /** Starts polling statistics now, at the configured interval (a new chain: an older one stops at its next poll). */
    private void startStatistics() {
        if (statsTask != null) {
            statsTask.cancel(false);
        }
        long epoch = ++statsEpoch;
        statsDelayMillis = mastership.statsInterval().toMillis();
        scheduleStatistics(epoch, 0);
    }

    private void scheduleStatistics(long epoch, long delayMillis) {
        try {
            statsTask = mastership.scheduler().schedule(() -> submit(() -> {
                if (epoch != statsEpoch) {
                    return;
                }
                boolean moved = publishStatistics(false);
                if (epoch == statsEpoch && synced) {
                    long interval = mastership.statsInterval().toMillis();
                    statsDelayMillis = moved ? interval : Math.min(statsDelayMillis * 2, interval * MAX_STATS_BACKOFF);
                    scheduleStatistics(epoch, statsDelayMillis);
                }
            }), delayMillis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // the node is closing
        }
    }

    /** After a change programmed on the switch: polls at the configured interval again if polling had backed off. */
    private void statisticsSoon() {
        if (synced && statsDelayMillis > mastership.statsInterval().toMillis()) {
            startStatistics();
        }
    }

    /**
     * The statistics manager: the master alone publishes what the switch holds, through the node's
     * {@link StatisticsWriter} ({@code now}: at once rather than with the next batch).
     *
     * @return whether the documents differ from the last poll's (false also when nothing was polled)
     */
    private boolean publishStatistics(boolean now) {
        long generation = masterGeneration;
        if (!synced || !mastership.canAct(entity, generation)) {
            return false;
        }
        List<FlowStats> flows;
        List<PortStats> ports;
        try {
            flows = connection.flowStats();
            ports = connection.portStats();
        } catch (SwitchException e) {
            LOG.debug("switch {}: statistics poll failed: {}", connection.dpidString(), e.getMessage());
            return false;
        }
        ObjectNode sw = FlowDocuments.JSON.createObjectNode()
                .put("dpid", FlowDocuments.dpid(dpid))
                .put("master", mastership.nodeId())
                .put("generation", generation)
                .put("address", connection.remoteAddress())
                .put("openflow-version", connection.version())
                .put("flows", flows.size())
                .put("desired-flows", programmed.size() + refused.keySet().stream()
                        .filter(id -> !programmed.containsKey(id)).count());
        ArrayNode refusedArray = sw.putArray("refused");
        refused.forEach((id, r) -> refusedArray.addObject().put("id", id)
                .put("flow", r.flow() == null ? null : OfctlText.format(r.flow())).put("error", r.error()));
        Map<Long, PortStats> statsByPort = new TreeMap<>();
        ports.forEach(p -> statsByPort.put(p.port(), p));
        ArrayNode portArray = sw.putArray("ports");
        for (PortInfo p : new TreeMap<>(connection.ports()).values()) {
            ObjectNode o = portArray.addObject().put("number", p.number()).put("name", p.name())
                    .put("mac", String.format("%012x", p.mac()).replaceAll("(..)(?!$)", "$1:"))
                    .put("up", !p.linkDown() && !p.adminDown());
            PortStats s = statsByPort.get(p.number());
            if (s != null) {
                o.put("rx-packets", s.rxPackets()).put("tx-packets", s.txPackets()).put("rx-bytes", s.rxBytes())
                        .put("tx-bytes", s.txBytes()).put("rx-dropped", s.rxDropped());
            }
        }
        ObjectNode actual = FlowDocuments.JSON.createObjectNode().put("dpid", FlowDocuments.dpid(dpid))
                .put("total", flows.size());
        ArrayNode list = actual.putArray("flows");
        int budget = 900_000; // under the default document limit: the rest is counted, not listed
        boolean truncated = false;
        for (FlowStats f : flows) {
            String text = OfctlText.format(f.flow());
            budget -= text.length() + 64;
            if (budget < 0) {
                truncated = true;
                break;
            }
            list.addObject().put("flow", text).put("packets", f.packets()).put("bytes", f.bytes());
        }
        actual.put("truncated", truncated);
        Map<String, ObjectNode> documents = new LinkedHashMap<>();
        documents.put(FlowDocuments.switchPath(dpid).toString(), sw);
        documents.put(FlowDocuments.actualPath(dpid).toString(), actual);
        mastership.statistics().publish(new StatisticsWriter.Publication(entity, generation, documents), now);
        int hash = sw.hashCode() * 31 + actual.hashCode();
        boolean moved = hash != lastStatsHash;
        lastStatsHash = hash;
        return moved;
    }

    private void stopMastering() {
        if (masterGeneration >= 0) {
            mastership.statistics().forget(entity, List.of(FlowDocuments.switchPath(dpid).toString(),
                    FlowDocuments.actualPath(dpid).toString()));
        }
        masterGeneration = -1;
        synced = false;
        closeWatch();
        statsEpoch++;
        if (statsTask != null) {
            statsTask.cancel(false);
            statsTask = null;
        }
        pending.clear();
        programmed.clear();
        refused.clear();
        computed = Map.of();
    }

    private void closeWatch() {
        watchEpoch++;
        if (flowWatch != null) {
            flowWatch.close();
            flowWatch = null;
        }
    }

    void close() {
        submit(this::stopMastering);
        closed = true;
        executor.shutdown();
    }
}
