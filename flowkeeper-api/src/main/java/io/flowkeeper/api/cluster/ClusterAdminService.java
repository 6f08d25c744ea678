package io.flowkeeper.api.cluster;

/**
 * Operator actions on the cluster, and what one node knows of its own part in it. Every call blocks at most its
 * documented timeout; all methods are thread-safe.
 */
public interface ClusterAdminService {
    /** This node's id. */
    String nodeId();

    ClusterView view();

    /** How long one call waits for a shard (a membership change, per shard) before it fails as unavailable. */
    java.time.Duration requestTimeout();

    /** Adds a node (id and Raft address host:port) to every shard's group. The node must already be running. */
    void addMember(String nodeId, String raftAddress);

    /** Removes a node from every shard's group. */
    void removeMember(String nodeId);

    /** Asks the shard's leader to hand leadership to {@code nodeId}. */
    void transferLeader(String shard, String nodeId);

    /**
     * Whether this node leads the shard and its leadership is ready (it has committed an entry of its term). Answers
     * from local state without blocking; leadership can move the next instant, so a caller acting on it must
     * tolerate a second leader's overlapping action (the ownership shard's commands do: an expiry names the renewal
     * count it judged). Throws {@link io.flowkeeper.api.store.StoreException} (UNKNOWN_SHARD) for an unknown shard.
     */
    boolean isLocalLeader(String shard);

    /**
     * This node's replica of a shard, for comparing replicas: equal digests at equal applied positions mean equal
     * state. Answers from local state without contacting other nodes; throws
     * {@link io.flowkeeper.api.store.StoreException} (UNKNOWN_SHARD, or UNAVAILABLE if the shard does not run here).
     */
    ShardStatus shardStatus(String shard);

    /**
     * Tells this node that another member's process has just restarted: its connections to the old process are
     * dropped and the next request dials the new one at once, instead of after a reconnect back-off that grew while
     * the member was down. Non-blocking; a no-op where there is nothing to redial.
     */
    default void memberRestarted(String nodeId) {
    }

    /**
     * Tells this node that another member's process is gone (its peer links saw it die): calls waiting on it are
     * sent to the other members at once, and it is not tried first again until {@link #memberRestarted}.
     * Non-blocking; a no-op where there is nothing to redirect.
     */
    default void memberGone(String nodeId) {
    }
}
