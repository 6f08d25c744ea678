package io.flowkeeper.controller.mastership;

import io.flowkeeper.api.cluster.ClusterAdminService;
import io.flowkeeper.api.ownership.NodeLease;
import io.flowkeeper.api.ownership.OwnershipService;
import io.flowkeeper.api.store.StoreException;
import io.flowkeeper.api.util.Threads;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's lease, and (while this node leads the ownership shard) the expiry of other nodes' leases.
 *
 * <p>Why it is safe: the node renews every lease-time / 5 and counts its lease as held until 60% of the lease time
 * after it <em>sent</em> the last renewal that committed. The ownership leader expires a lease only after a full
 * lease time without seeing a new renewal in its replica, and it sees a renewal only after it committed, so after
 * it was sent. A node that stops being able to renew (partitioned, paused, quorum lost) therefore stops acting as
 * owner at least 40% of the lease time before any other node is given its entities. Every node, leader or not,
 * notes when each renewal reaches its own replica (never before it was sent), so a new leader expires a dead node
 * on the same schedule as the old one would have, even when the old leader died with it (but gives every node half
 * a lease to renew through it first, since nobody could renew while there was no leader); an expiry names the
 * renewal count it judged, so one decided on a lagging replica is a no-op once the newer renewal is applied.
 * Clocks are each node's own monotonic clock; only their rates are assumed equal.
 *
 * <p><b>Early expiry.</b> A process that dies (kill -9 included) has its sockets closed by its kernel, so its
 * {@link PeerLinks peer links} end within milliseconds and its link port then refuses connections. When a node
 * has seen that for a peer's current incarnation, and leads the ownership shard, it expires that lease at once
 * instead of a lease time after its last renewal (and without the grace a new leader gives everyone). This is safe
 * even if the judgement were wrong, a live node expired: (1) the switch fences it, since the new owner becomes MASTER
 * with a higher generation id and the switch refuses the old owner's writes from then on (OpenFlow 1.3+ roles);
 * (2) its own gate closes as soon as its replica applies the expiry (the owner changed), and its lease, which it
 * counts from its own renewals, lapses on its own schedule if it cannot renew; (3) nothing acknowledged is lost or
 * written twice, because desired flows live in the datastore, not in a master, and the new master reconciles the
 * switch to them in one bundle. What it costs: one needless move of that node's switches (a takeover each) and,
 * if the node is alive, its renewals make it alive again for entities that later lose their owner. A host that
 * vanishes without closing its sockets (power loss, partition) produces no refusal and is expired by missed
 * renewals as before.
 */
public final class LeaseKeeper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaseKeeper.class);
    private static final long EXPIRY_TICK_MS = 20;

    private final ClusterAdminService cluster;
    private final OwnershipService ownership;
    private final String nodeId;
    private final String incarnation = UUID.randomUUID().toString();
    private final String rpcAddress;
    private final long leaseNanos;
    private final long renewMillis;
    // Every lease thread runs at the highest priority (issue 15: an API flood on a saturated host made renewals
    // late); the Raft threads that commit a renewal are raised by ClusterNode.prioritize("ownership").
    private final ScheduledExecutorService renewer =
            Executors.newSingleThreadScheduledExecutor(Threads.daemon("lease-renewer", Thread.MAX_PRIORITY));
    /**
     * Renewals overlap: one is sent every interval even while earlier ones are still committing, so a slow commit
     * (a loaded machine, an election) delays the lease's extension but not the next renewal.
     */
    private final java.util.concurrent.ExecutorService renewals =
            Executors.newFixedThreadPool(3, Threads.daemon("lease-renewal", Thread.MAX_PRIORITY));
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    private final ScheduledExecutorService watchdog =
            Executors.newSingleThreadScheduledExecutor(Threads.daemon("lease-watchdog", Thread.MAX_PRIORITY));
    private final ScheduledExecutorService expirer =
            Executors.newSingleThreadScheduledExecutor(Threads.daemon("lease-expirer", Thread.MAX_PRIORITY));
    private final CopyOnWriteArrayList<Consumer<Boolean>> listeners = new CopyOnWriteArrayList<>();
    private final PeerLinks links;
    /** Node to the incarnation this replica last saw (a change is a restart). */
    private final Map<String, String> incarnations = new ConcurrentHashMap<>();
    /** The incarnation each peer last announced on a link to this node, once its Raft connection was dialled for it. */
    private final Map<String, String> announced = new ConcurrentHashMap<>();
    /** Node to the incarnation whose process its peer link showed gone. */
    private final Map<String, String> gone = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile long validUntil = System.nanoTime();
    private volatile boolean held;
    private volatile boolean closed;

    /** What this replica last saw of each node: renewal count, and when (local clock) it changed. */
    private final Map<String, long[]> seen = new HashMap<>();
    private boolean leading;

    /** @param cluster this node's view of the cluster: whether it leads the ownership shard (and so expires leases) */
    public LeaseKeeper(ClusterAdminService cluster, OwnershipService ownership, String nodeId, String rpcAddress,
                       Duration leaseTime) {
        this(cluster, ownership, nodeId, rpcAddress, leaseTime,
                rpcAddress.substring(0, rpcAddress.lastIndexOf(':')) + ":0");
    }

    /** @param peerLinkAddress where this node's peer link port listens ({@code host:port}, port 0: any free one) */
    public LeaseKeeper(ClusterAdminService cluster, OwnershipService ownership, String nodeId, String rpcAddress,
                       Duration leaseTime, String peerLinkAddress) {
        this.cluster = cluster;
        this.links = peerLinks(ownership, nodeId, peerLinkAddress);
        this.ownership = ownership;
        this.nodeId = nodeId;
        this.rpcAddress = rpcAddress;
        this.leaseNanos = leaseTime.toNanos();
        this.renewMillis = Math.max(50, leaseTime.toMillis() / 5);
    }

    /** The peer link port; none (and no early expiry) if it cannot bind. */
    private PeerLinks peerLinks(OwnershipService ownership, String nodeId, String linkAddress) {
        int colon = linkAddress.lastIndexOf(':');
        try {
            return new PeerLinks(nodeId, incarnation, linkAddress.substring(0, colon),
                    Integer.parseInt(linkAddress.substring(colon + 1)),
                    ownership::leases, new PeerLinks.Listener() {
                        @Override
                        public void peerGone(String node, String peerIncarnation) {
                            gone.put(node, peerIncarnation);
                            // elections and calls' fail-over first; the listeners (the operators' timeline) after
                            cluster.memberGone(node); // its calls fail over now, not after their attempt timeout
                            peerGoneListeners.forEach(l -> l.accept(node));
                        }

                        @Override
                        public void peerLinkedFrom(String node, String peerIncarnation) {
                            linkedFrom(node, peerIncarnation);
                        }
                    });
        } catch (IOException | RuntimeException e) {
            LOG.warn("no peer link port on {} ({}): dead peers are expired after a whole lease time", linkAddress,
                    e.toString());
            return null;
        }
    }

    /** Renewals of this node's lease committed, and failed, since start (for /metrics). */
    private final java.util.concurrent.atomic.LongAdder renewalsCommitted = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder renewalsFailed = new java.util.concurrent.atomic.LongAdder();
    private final List<Consumer<String>> peerGoneListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    public long renewalsCommitted() {
        return renewalsCommitted.sum();
    }

    public long renewalsFailed() {
        return renewalsFailed.sum();
    }

    /**
     * Called with a peer's node id when its peer link shows its process gone (the first sign of a kill, before
     * its lease is expired); from a link's thread, so it must return quickly.
     */
    public void addPeerGoneListener(Consumer<String> listener) {
        peerGoneListeners.add(listener);
    }

    /** Called with true when the lease is (re)gained, false when it lapses; from the lease threads. */
    public void addListener(Consumer<Boolean> listener) {
        listeners.add(listener);
    }

    public void start() {
        renewer.scheduleAtFixedRate(() -> {
            if (inFlight.get() < 3) {
                inFlight.incrementAndGet();
                renewals.execute(() -> {
                    try {
                        renewOnce();
                    } finally {
                        inFlight.decrementAndGet();
                    }
                });
            }
        }, 0, renewMillis, TimeUnit.MILLISECONDS);
        watchdog.scheduleWithFixedDelay(this::checkValidity, 10, 10, TimeUnit.MILLISECONDS);
        expirer.scheduleWithFixedDelay(this::expireOnce, EXPIRY_TICK_MS, EXPIRY_TICK_MS, TimeUnit.MILLISECONDS);
        if (links != null) {
            links.start();
        }
    }

    /** Whether this node holds an established peer link to {@code node} now (for tests and diagnostics). */
    boolean linkedTo(String node) {
        return links != null && links.linkedTo(node);
    }

    /** True while this node may act as owner of its entities. */
    public boolean isHeld() {
        return held && System.nanoTime() - validUntil < 0;
    }

    public String incarnation() {
        return incarnation;
    }

    private void renewOnce() {
        if (closed) {
            return;
        }
        long sent = System.nanoTime();
        try {
            ownership.renewLease(nodeId, incarnation, rpcAddress, links == null ? "" : links.address());
            renewalsCommitted.increment();
            long now = System.nanoTime();
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(now - sent);
            extendTo(sent + leaseNanos * 6 / 10);
            boolean gained;
            synchronized (this) {
                gained = !held && now - validUntil < 0;
                if (gained) {
                    held = true;
                }
            }
            if (gained) {
                LOG.info("lease of {} held (renewal committed in {} ms; valid {} ms after each renewal is sent)",
                        nodeId, tookMillis, TimeUnit.NANOSECONDS.toMillis(leaseNanos * 6 / 10));
                fire(true);
            }
        } catch (StoreException | IllegalStateException e) {
            renewalsFailed.increment();
            LOG.debug("lease renewal failed: {}", e.getMessage());
        } catch (RuntimeException e) {
            renewalsFailed.increment();
            LOG.warn("lease renewal failed", e);
        }
    }

    /** Renewals complete out of order: the lease runs from the latest send among the committed ones. */
    private synchronized void extendTo(long until) {
        if (until - validUntil > 0) {
            validUntil = until;
        }
    }

    private synchronized void checkValidity() {
        if (held && System.nanoTime() - validUntil >= 0) {
            held = false;
            LOG.warn("lease of {} lost: no renewal committed within {} ms; no longer acting as owner of anything",
                    nodeId, TimeUnit.NANOSECONDS.toMillis(leaseNanos * 6 / 10));
            fire(false);
        }
    }

    private void fire(boolean nowHeld) {
        for (Consumer<Boolean> l : listeners) {
            try {
                l.accept(nowHeld);
            } catch (RuntimeException e) {
                LOG.warn("lease listener failed", e);
            }
        }
    }

    /**
     * A peer linked to this node as another incarnation than its lease shows: it restarted, and its Raft connection
     * is dialled afresh now, before its first lease renewal commits (issue 20: a restarted node reachable by every
     * shard leader within a second; a connection left in gRPC's reconnect back-off kept a shard without a usable
     * leader for seconds when the other node failed next). A false claim costs one reconnect, once per claimed
     * incarnation.
     */
    private void linkedFrom(String node, String peerIncarnation) {
        String known = incarnations.get(node);
        if (known != null && !known.equals(peerIncarnation) && !peerIncarnation.equals(announced.put(node,
                peerIncarnation))) {
            LOG.info("node {} linked as a new incarnation: dialling its Raft connection afresh", node);
            cluster.memberRestarted(node);
        }
    }

    /** Notes renewals on every node; on the ownership shard's leader, expires leases not renewed for a lease time. */
    private void expireOnce() {
        if (closed) {
            return;
        }
        try {
            long now = System.nanoTime();
            List<NodeLease> due = new ArrayList<>();
            List<NodeLease> dead = new ArrayList<>();
            for (NodeLease lease : ownership.leases()) {
                String before = incarnations.put(lease.node(), lease.incarnation());
                if (before != null && !before.equals(lease.incarnation())
                        && !lease.incarnation().equals(announced.get(lease.node()))) { // not dialled for it yet
                    cluster.memberRestarted(lease.node()); // dial it now, not after a back-off grown while it was down
                }
                if (!lease.alive()) {
                    seen.remove(lease.node());
                    gone.remove(lease.node(), lease.incarnation());
                    continue;
                }
                long[] s = seen.get(lease.node());
                if (lease.incarnation().equals(gone.get(lease.node()))) {
                    dead.add(lease);
                    seen.put(lease.node(), new long[] {lease.renewals(), now});
                } else if (s == null || s[0] != lease.renewals()) {
                    seen.put(lease.node(), new long[] {lease.renewals(), now});
                } else if (now - s[1] > leaseNanos) {
                    due.add(lease);
                }
            }
            boolean leader = cluster.isLocalLeader(OwnershipService.SHARD);
            if (leader != leading) {
                leading = leader;
                if (leader) {
                    // While the shard had no leader nobody could renew: give every node half a lease to get a
                    // renewal through this leader before judging it, or an election would expire everyone.
                    long floor = now - leaseNanos / 2;
                    for (long[] s : seen.values()) {
                        if (s[1] - floor < 0) {
                            s[1] = floor;
                        }
                    }
                    due.removeIf(l -> now - seen.get(l.node())[1] <= leaseNanos);
                    LOG.info("leading the ownership shard: expiring leases not renewed for {} ms",
                            TimeUnit.NANOSECONDS.toMillis(leaseNanos));
                }
            }
            if (!leader) {
                return;
            }
            for (NodeLease lease : dead) {
                LOG.warn("lease of {} expired early: its process is gone (peer link closed, port refusing); its "
                        + "entities move to other candidates", lease.node());
                // Until the replica shows it dead: a renewal it sent before dying may commit first and void this.
                ownership.expireLease(lease.node(), lease.renewals());
            }
            for (NodeLease lease : due) {
                long[] s = seen.get(lease.node());
                LOG.warn("lease of {} expired: no renewal for {} ms; its entities move to other candidates",
                        lease.node(), TimeUnit.NANOSECONDS.toMillis(now - s[1]));
                ownership.expireLease(lease.node(), lease.renewals());
                s[1] = now; // do not repeat the expiry every tick if it has not applied yet
            }
        } catch (StoreException | IllegalStateException e) {
            LOG.debug("lease expiry check failed: {}", e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("lease expiry check failed", e);
        }
    }

    @Override
    public void close() {
        closed = true;
        held = false;
        renewer.shutdownNow();
        renewals.shutdownNow();
        watchdog.shutdownNow();
        expirer.shutdownNow();
        if (links != null) {
            links.close();
        }
    }
}
