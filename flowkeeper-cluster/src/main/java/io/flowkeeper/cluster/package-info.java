/**
 * The cluster datastore on Apache Ratis: {@link io.flowkeeper.cluster.ClusterNode} runs one Ratis server per node
 * hosting one Raft group per shard ({@link io.flowkeeper.cluster.ShardCatalog}), each with a
 * {@link io.flowkeeper.cluster.ShardStateMachine} that adapts the log to a pure {@link io.flowkeeper.cluster.ShardState};
 * writes go through Ratis clients (so a follower forwards to the leader and retries keep their call id), stale reads
 * come from the local replica. The ownership rules ({@code OwnershipCommands}) run as shard commands, through
 * {@link io.flowkeeper.cluster.ReplicatedOwnership}.
 */
package io.flowkeeper.cluster;
