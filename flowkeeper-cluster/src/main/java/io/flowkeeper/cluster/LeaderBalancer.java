package io.flowkeeper.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.ratis.protocol.RaftPeerId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Spreads shard leaders over the nodes: shard {@code i} prefers the {@code i mod n}-th member (members sorted by id).
 * Runs on every node, but only acts for shards this node leads: if the preferred node is a caught-up follower that
 * has answered heartbeats for {@code rebalance-settle}, leadership is transferred to it (Ratis transfer: the target
 * is told to start an election at once, no priorities, so no step-down stall). After a failure the survivors keep
 * the orphaned shards; when the node returns and catches up, its shards move back.
 *
 * <p>The settle time counts only within one leadership (same term, this node leader throughout), from replies
 * received during it, and never for a member known gone: a new leader's Ratis seeds every follower's "last reply"
 * at its own start, so a dead preferred node looked heard for most of a second after each election, and a time
 * recorded during an earlier leadership made it look settled too. A transfer to the dead node then stalled the
 * shard's writes (and, in Ratis 3.3.0, could stall them until the next election:
 * {@link ClusterNode#transferLeadership}).
 */
final class LeaderBalancer {
    private static final Logger LOG = LoggerFactory.getLogger(LeaderBalancer.class);
    /** A follower this many entries behind the commit index counts as caught up. */
    private static final long CAUGHT_UP_ENTRIES = 64;
    /** A follower heard from within this many milliseconds counts as up (heartbeats are ~ election-min / 2). */
    private static final long HEARD_RECENTLY_MS = 1_000;

    private final ClusterNode node;
    /** Per shard: the follower it prefers, seen up and caught up since when (nanoTime), in which term here. */
    private final Map<String, Healthy> healthySince = new ConcurrentHashMap<>();

    /** Transfers this node started, per target member: for the log's reader and the tests. */
    private final Map<String, java.util.concurrent.atomic.AtomicInteger> handovers = new ConcurrentHashMap<>();

    private record Healthy(String member, long term, long sinceNanos) { }

    LeaderBalancer(ClusterNode node) {
        this.node = node;
    }

    static String preferredLeader(List<String> sortedMembers, int shardIndex) {
        return sortedMembers.get(shardIndex % sortedMembers.size());
    }

    /** How many times this node has started handing a shard to {@code member}. */
    int handoversTo(String member) {
        var n = handovers.get(member);
        return n == null ? 0 : n.get();
    }

    void runOnce() {
        try {
            List<String> members = new ArrayList<>(node.members().keySet());
            members.sort(null);
            var shards = node.catalog().shards();
            for (int i = 0; i < shards.size(); i++) {
                String shard = shards.get(i).name();
                var div = node.server().getDivision(node.groupId(shard));
                String preferred = preferredLeader(members, i);
                if (!div.getInfo().isLeader() || !div.getInfo().isLeaderReady() || preferred.equals(node.nodeId())) {
                    healthySince.remove(shard); // a later leadership here starts counting afresh
                    continue;
                }
                var role = div.getInfo().getRoleInfoProto();
                long term = role.getLeaderInfo().getTerm();
                long commit = div.getRaftLog().getLastCommittedIndex();
                boolean heard = false;
                for (var f : role.getLeaderInfo().getFollowerInfoList()) {
                    if (f.getId().getId().toStringUtf8().equals(preferred)) {
                        // A reply during this leadership: the seed Ratis puts in at its start is older than that.
                        long elapsed = f.getLastRpcElapsedTimeMs();
                        heard = elapsed < HEARD_RECENTLY_MS && elapsed < role.getRoleElapsedTimeMs();
                    }
                }
                boolean caughtUp = false;
                for (var c : div.getCommitInfos()) {
                    if (c.getServer().getId().toStringUtf8().equals(preferred)) {
                        caughtUp = c.getCommitIndex() >= commit - CAUGHT_UP_ENTRIES;
                    }
                }
                boolean healthy = heard && caughtUp && !node.isGone(RaftPeerId.valueOf(preferred));
                if (!healthy) {
                    healthySince.remove(shard);
                    continue;
                }
                Healthy h = healthySince.compute(shard, (k, old) -> old != null && old.member().equals(preferred)
                        && old.term() == term ? old : new Healthy(preferred, term, System.nanoTime()));
                if (System.nanoTime() - h.sinceNanos() < node.config().rebalanceSettle().toNanos()) {
                    continue;
                }
                LOG.info("shard {}: handing leadership to its preferred node {}", shard, preferred);
                handovers.computeIfAbsent(preferred, k -> new java.util.concurrent.atomic.AtomicInteger())
                        .incrementAndGet();
                var reply = node.transferLeadership(shard, RaftPeerId.valueOf(preferred), 2_000);
                if (!reply.isSuccess()) {
                    LOG.warn("shard {}: leadership transfer to {} failed: {}", shard, preferred, reply.getException());
                }
                healthySince.remove(shard);
                return; // one transfer per round: each takes an election
            }
        } catch (Exception e) {
            LOG.warn("leader balancing round failed: {}", e.toString());
        }
    }
}
