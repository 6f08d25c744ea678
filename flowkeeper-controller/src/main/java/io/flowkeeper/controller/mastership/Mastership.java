package io.flowkeeper.controller.mastership;

import io.flowkeeper.api.ownership.EntityOwnership;
import io.flowkeeper.api.ownership.OwnershipListener;
import io.flowkeeper.api.ownership.OwnershipService;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.StoreException;
import io.flowkeeper.api.store.Watch;
import io.flowkeeper.api.util.Threads;
import io.flowkeeper.api.switches.ControllerRole;
import io.flowkeeper.api.switches.Switch;
import io.flowkeeper.api.switches.PortInfo;
import io.flowkeeper.api.switches.SwitchFlowSource;
import io.flowkeeper.api.switches.SwitchListener;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's side of switch mastership. Every switch connects to every node; for each connection this node
 * registers as candidate for {@code openflow:<dpid>} and keeps a {@link SwitchMaster} that follows the committed
 * owner: MASTER with the entity generation when the owner is this node and its lease is held, SLAVE otherwise.
 *
 * <p>The ownership view is this replica's, fed by a watch; it only moves forward (a document with a lower
 * generation than one already seen is ignored). After the lease lapses, nothing acts until the lease is held again
 * <em>and</em> ownership was re-read linearizably: the replica may have missed that another node took over. The
 * switches still owned here at the same generation then carry on where they stopped ({@link SwitchMaster}: a lapse
 * suspends a master, it does not depose it); the others are stepped down or taken over as usual.
 */
public final class Mastership implements SwitchListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Mastership.class);

    private final String nodeId;
    private final DatastoreService store;
    private final OwnershipService ownership;
    private final LeaseKeeper lease;
    private final Duration statsInterval;
    private final Map<String, EntityOwnership> owners = new ConcurrentHashMap<>();
    private final Map<Long, SwitchMaster> switches = new ConcurrentHashMap<>();
    private volatile SwitchFlowSource flowSource = SwitchFlowSource.NONE;
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1, Threads.daemon("mastership"));
    /**
     * Candidacy commands, one at a time (they block while the ownership shard has no quorum). Switches that connect
     * or disconnect meanwhile are gathered and sent as one command each way: a thousand switches connecting at once
     * cost a few log entries, not a thousand.
     */
    private final ScheduledExecutorService registrar = Executors.newSingleThreadScheduledExecutor(
            Threads.daemon("candidacy"));
    private final java.util.Set<Long> toRegister = ConcurrentHashMap.newKeySet();
    private final java.util.Set<Long> toUnregister = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicBoolean candidaciesQueued =
            new java.util.concurrent.atomic.AtomicBoolean();
    private final StatisticsWriter statistics;
    /**
     * The threads every switch's serial queue runs on: as many as tasks run at once (a takeover of a dead node's
     * switches runs them all in parallel, each waiting on its switch or the datastore), none kept once idle a
     * minute.
     */
    private final java.util.concurrent.ExecutorService switchThreads =
            Executors.newCachedThreadPool(Threads.daemon("switch"));
    /** Takeovers read desired flows locally after one shared linearizable read (many switches, few Raft reads). */
    private final ReadBarrier desiredFlowsBarrier;
    private volatile boolean resynced;
    private volatile MastershipObserver observer = MastershipObserver.NONE;
    private volatile boolean closed;
    private Watch ownershipWatch;

    public Mastership(String nodeId, DatastoreService store, OwnershipService ownership, LeaseKeeper lease,
                      Duration statsInterval) {
        this.nodeId = nodeId;
        this.store = store;
        this.ownership = ownership;
        this.lease = lease;
        this.statsInterval = statsInterval;
        this.statistics = new StatisticsWriter(store, FlowDocuments.OPERATIONAL_SHARD, this::canAct, statsInterval);
        this.desiredFlowsBarrier = new ReadBarrier(store, FlowDocuments.CONFIG_SHARD, Duration.ofSeconds(2));
    }

    public void start() {
        ownershipWatch = ownership.watch(new OwnershipListener() {
            @Override
            public void ownershipChanged(EntityOwnership e) {
                accept(e);
            }

            @Override
            public void entityRemoved(String entity) {
                owners.remove(entity); // its switch was gone too long (EntityReaper); a return starts a new one
            }

            @Override
            public void onClosed(String reason) {
                if (!closed) {
                    LOG.error("ownership watch closed ({}): restarting it", reason);
                    scheduler.schedule(Mastership.this::start, 100, TimeUnit.MILLISECONDS);
                }
            }
        });
        reread(ReadConsistency.STALE);
        lease.addListener(this::leaseChanged);
        if (lease.isHeld()) {
            leaseChanged(true);
        }
    }

    private void reread(ReadConsistency consistency) {
        for (EntityOwnership e : ownership.entities(consistency)) {
            accept(e);
        }
    }

    /** Takes a newer ownership document and tells the switch's master about it. */
    private void accept(EntityOwnership e) {
        EntityOwnership merged = owners.merge(e.entity(), e, (old, next) ->
                next.generation() >= old.generation() ? next : old);
        if (merged == e) {
            long dpid;
            try {
                dpid = FlowDocuments.dpidOfEntity(e.entity());
            } catch (IllegalArgumentException bad) { // e.g. "openflow:zz": no switch can have it (issue 15, D1)
                LOG.warn("ownership entity '{}' names no valid datapath id: ignored", e.entity());
                return;
            }
            SwitchMaster sm = switches.get(dpid);
            if (sm != null) {
                sm.ownershipChanged();
            }
        }
    }

    private void leaseChanged(boolean held) {
        if (!held) {
            resynced = false;
            long kept = switches.values().stream().filter(s -> s.masterGeneration() >= 0).count();
            if (kept > 0) {
                LOG.info("node {}: lease lapsed: the {} switches mastered here keep MASTER and write nothing until the "
                        + "lease is held and ownership re-read (those still ours then resume without a re-sync)",
                        nodeId, kept);
            }
            switches.values().forEach(SwitchMaster::ownershipChanged); // each stops writing (the gate is closed)
            return;
        }
        scheduler.execute(this::resync);
    }

    /** With the lease held again: read ownership through the leader before acting on anything. */
    private void resync() {
        if (closed || !lease.isHeld()) {
            return;
        }
        try {
            reread(ReadConsistency.LINEARIZABLE);
            resynced = true;
            LOG.info("node {}: lease held and ownership read ({} entities, {} owned here)", nodeId, owners.size(),
                    owners.values().stream().filter(o -> o.ownedBy(nodeId)).count());
            switches.values().forEach(SwitchMaster::ownershipChanged);
            // A connected switch whose entity does not list this node as candidate (its registration not committed
            // yet, or dropped by a restart) is registered again. Not all of them: a register command of every
            // switch after every lapse made each replica re-read every entity (bench scale, 1,000 switches).
            switches.keySet().stream().filter(dpid -> !isCandidate(dpid)).forEach(this::register);
        } catch (StoreException e) {
            LOG.warn("cannot read ownership yet ({}); retrying", e.getMessage());
            scheduler.schedule(this::resync, 200, TimeUnit.MILLISECONDS);
        }
    }

    private boolean isCandidate(long dpid) {
        EntityOwnership e = owners.get(FlowDocuments.entity(dpid));
        return e != null && e.candidates().contains(nodeId);
    }

    /** True when this node may act for the entity at that generation: the only gate before a switch write. */
    boolean canAct(String entity, long generation) {
        if (!resynced || !lease.isHeld()) {
            return false;
        }
        EntityOwnership e = owners.get(entity);
        return e != null && e.ownedBy(nodeId) && e.generation() == generation;
    }

    boolean isLeaseHeld() {
        return lease.isHeld() && resynced;
    }

    Optional<EntityOwnership> owner(String entity) {
        return Optional.ofNullable(owners.get(entity));
    }

    public String nodeId() {
        return nodeId;
    }

    DatastoreService store() {
        return store;
    }

    /**
     * Returns once this node's replica of the desired flows' shard holds every write committed before the call (one
     * linearizable read shared by the switches that ask at the same time): a STALE read after it is up to date.
     */
    long awaitDesiredFlows() {
        return desiredFlowsBarrier.await();
    }

    Duration statsInterval() {
        return statsInterval;
    }

    java.util.concurrent.Executor switchThreads() {
        return switchThreads;
    }

    StatisticsWriter statistics() {
        return statistics;
    }

    ScheduledExecutorService scheduler() {
        return scheduler;
    }

    /**
     * Sets the source of the flows computed beside the API's (the tenant data plane): every switch this node
     * masters programs them, and recomputes them when the source says they changed or the switch's ports change.
     */
    public void flowSource(SwitchFlowSource source) {
        this.flowSource = source;
        source.onChange(dpid -> {
            if (dpid < 0) {
                switches.values().forEach(SwitchMaster::flowSourceChanged);
            } else {
                localSwitch(dpid).ifPresent(SwitchMaster::flowSourceChanged);
            }
        });
        switches.values().forEach(SwitchMaster::flowSourceChanged);
    }

    SwitchFlowSource flowSource() {
        return flowSource;
    }

    /** Tells {@code observer} what this node's switch masters do (grants, reconciles, bundles). */
    public void observer(MastershipObserver observer) {
        this.observer = observer;
    }

    MastershipObserver observer() {
        return observer;
    }

    /** The switches connected to this node now, mastered here or not. */
    public java.util.Collection<SwitchMaster> localSwitches() {
        return java.util.List.copyOf(switches.values());
    }

    /** The switch master for a switch connected to this node. */
    public Optional<SwitchMaster> localSwitch(long dpid) {
        return Optional.ofNullable(switches.get(dpid));
    }

    // ---- SwitchListener (Netty threads: hand work off) ----

    @Override
    public void switchConnected(Switch connection) {
        SwitchMaster sm = new SwitchMaster(this, connection);
        SwitchMaster old = switches.put(connection.dpid(), sm);
        if (old != null) {
            old.close();
        }
        LOG.info("switch {} connected from {}: registering node {} as candidate", connection.dpidString(),
                connection.remoteAddress(), nodeId);
        register(connection.dpid());
        sm.ownershipChanged();
        sm.warmUp();
    }

    @Override
    public void switchDisconnected(Switch connection) {
        SwitchMaster sm = switches.get(connection.dpid());
        if (sm == null || sm.connection() != connection) {
            return;
        }
        switches.remove(connection.dpid(), sm);
        sm.close();
        LOG.info("switch {} disconnected: withdrawing node {}'s candidacy", connection.dpidString(), nodeId);
        toUnregister.add(connection.dpid());
        queueCandidacies();
    }

    @Override
    public void portChanged(Switch connection, PortInfo port, String reason) {
        SwitchMaster sm = switches.get(connection.dpid());
        if (sm != null && sm.connection() == connection) {
            sm.flowSourceChanged(); // tunnel and patch ports are looked up by name
        }
    }

    @Override
    public void roleChanged(Switch connection, ControllerRole role, String reason, long generationId) {
        SwitchMaster sm = switches.get(connection.dpid());
        if (sm != null && sm.connection() == connection) {
            LOG.info("switch {}: the switch made this node {} ({}, generation {})", connection.dpidString(), role,
                    reason, generationId);
            sm.ownershipChanged();
        }
    }

    private void register(long dpid) {
        toRegister.add(dpid);
        queueCandidacies();
    }

    private void queueCandidacies() {
        if (candidaciesQueued.compareAndSet(false, true)) {
            try {
                registrar.execute(this::sendCandidacies);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closed
            }
        }
    }

    /**
     * Sends what is pending: one command for the connected switches (registered), one for the disconnected ones
     * (withdrawn), each judged by whether the switch is connected now, so a switch that flapped ends as it is.
     */
    private void sendCandidacies() {
        candidaciesQueued.set(false);
        java.util.List<String> register = take(toRegister, true);
        java.util.List<String> unregister = take(toUnregister, false);
        retry(() -> ownership.unregisterCandidates(unregister, nodeId));
        retry(() -> {
            // After a restart the first renewal of the new incarnation drops the old candidacies: register after it.
            if (!lease.isHeld()) {
                throw new StoreException(StoreException.Kind.UNAVAILABLE, OwnershipService.SHARD, "lease not held");
            }
            ownership.registerCandidates(register, nodeId);
        });
    }

    private java.util.List<String> take(java.util.Set<Long> pending, boolean connected) {
        java.util.List<String> entities = new java.util.ArrayList<>();
        for (Long dpid : java.util.List.copyOf(pending)) {
            pending.remove(dpid);
            if (switches.containsKey(dpid) == connected) {
                entities.add(FlowDocuments.entity(dpid));
            }
        }
        return entities;
    }

    /** Runs a candidacy command until it commits (quorum may be missing for a while) or the node closes. */
    private void retry(Runnable command) {
        while (!closed) {
            try {
                command.run();
                return;
            } catch (StoreException e) {
                LOG.debug("candidacy command failed ({}); retrying", e.getMessage());
                try {
                    Thread.sleep(200);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        if (ownershipWatch != null) {
            ownershipWatch.close();
        }
        switches.values().forEach(SwitchMaster::close);
        switches.clear();
        registrar.shutdownNow();
        scheduler.shutdownNow();
        statistics.close();
        desiredFlowsBarrier.close();
        switchThreads.shutdown();
    }
}
