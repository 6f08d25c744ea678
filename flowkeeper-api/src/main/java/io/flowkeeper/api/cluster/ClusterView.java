package io.flowkeeper.api.cluster;

import java.util.List;

/**
 * A snapshot of the cluster as seen from one node ({@code observer}).
 *
 * @param observer the node that answered
 * @param nodes every configured member
 * @param shards every shard and its Raft state
 */
public record ClusterView(String observer, List<NodeView> nodes, List<ShardView> shards) {

    /**
     * @param up whether the observer can currently see the node as part of some group (it answered recently)
     * @param leaderOf how many shards the node leads
     */
    public record NodeView(String id, String raftAddress, boolean up, int leaderOf) {}

    /**
     * @param leader the leader's node id, or null if no leader is known
     * @param term the current Raft term
     * @param commitIndex the commit index of the leader (or the observer if it knows no better)
     * @param appliedIndex the observer's applied index
     * @param revision the shard revision on the observer
     * @param followerLag per follower, how many entries it is behind the leader's commit index (only filled when
     *     the observer leads)
     */
    public record ShardView(String name, String kind, String leader, long term, long commitIndex, long appliedIndex,
                            long revision, List<String> members, java.util.Map<String, Long> followerLag) {}
}
