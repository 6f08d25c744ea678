package io.flowkeeper.api.cluster;

/** Operator actions on the cluster; every call blocks at most its documented timeout. */
public interface ClusterAdminService {
    ClusterView view();

    /** Adds a node (id and Raft address host:port) to every shard's group. The node must already be running. */
    void addMember(String nodeId, String raftAddress);

    /** Removes a node from every shard's group. */
    void removeMember(String nodeId);

    /** Asks the shard's leader to hand leadership to {@code nodeId}. */
    void transferLeader(String shard, String nodeId);
}
