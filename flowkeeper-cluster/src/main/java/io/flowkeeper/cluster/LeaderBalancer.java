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
 */
final class LeaderBalancer {
    private static final Logger LOG = LoggerFactory.getLogger(LeaderBalancer.class);
    /** A follower this many entries behind the commit index counts as caught up. */
    private static final long CAUGHT_UP_ENTRIES = 64;
    /** A follower heard from within this many milliseconds counts as up (heartbeats are ~ election-min / 2). */
    private static final long HEARD_RECENTLY_MS = 1_000;

    private final ClusterNode node;
    /** Per shard + follower: since when it has been up and caught up, in nanoTime. */
    private final Map<String, Long> healthySince = new ConcurrentHashMap<>();

    LeaderBalancer(ClusterNode node) {
        this.node = node;
    }

    static String preferredLeader(List<String> sortedMembers, int shardIndex) {
        return sortedMembers.get(shardIndex % sortedMembers.size());
    }

    void runOnce() {
        try {
            List<String> members = new ArrayList<>(node.members().keySet());
            members.sort(null);
            var shards = node.catalog().shards();
            for (int i = 0; i < shards.size(); i++) {
                String shard = shards.get(i).name();
                var div = node.server().getDivision(node.groupId(shard));
                if (!div.getInfo().isLeader() || !div.getInfo().isLeaderReady()) {
                    continue;
                }
                String preferred = preferredLeader(members, i);
                if (preferred.equals(node.nodeId())) {
                    continue;
                }
                long commit = div.getRaftLog().getLastCommittedIndex();
                boolean heard = false;
                for (var f : div.getInfo().getRoleInfoProto().getLeaderInfo().getFollowerInfoList()) {
                    if (f.getId().getId().toStringUtf8().equals(preferred)) {
                        heard = f.getLastRpcElapsedTimeMs() < HEARD_RECENTLY_MS;
                    }
                }
                boolean caughtUp = false;
                for (var c : div.getCommitInfos()) {
                    if (c.getServer().getId().toStringUtf8().equals(preferred)) {
                        caughtUp = c.getCommitIndex() >= commit - CAUGHT_UP_ENTRIES;
                    }
                }
                boolean healthy = heard && caughtUp;
                String key = shard + "/" + preferred;
                if (!healthy) {
                    healthySince.remove(key);
                    continue;
                }
                long since = healthySince.computeIfAbsent(key, k -> System.nanoTime());
                if (System.nanoTime() - since < node.config().rebalanceSettle().toNanos()) {
                    continue;
                }
                LOG.info("shard {}: handing leadership to its preferred node {}", shard, preferred);
                var reply = node.client(shard).admin().transferLeadership(RaftPeerId.valueOf(preferred), 2_000);
                if (!reply.isSuccess()) {
                    LOG.warn("shard {}: leadership transfer to {} failed: {}", shard, preferred, reply.getException());
                }
                healthySince.remove(key);
                return; // one transfer per round: each takes an election
            }
        } catch (Exception e) {
            LOG.warn("leader balancing round failed: {}", e.toString());
        }
    }
}
