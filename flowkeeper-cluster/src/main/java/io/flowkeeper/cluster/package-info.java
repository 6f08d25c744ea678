/**
 * The cluster datastore on Apache Ratis: {@link io.flowkeeper.cluster.ClusterNode} runs one Ratis server per node
 * hosting one Raft group per shard ({@link io.flowkeeper.cluster.ShardCatalog}), each with a
 * {@link io.flowkeeper.cluster.ShardStateMachine}; writes go through Ratis clients (so a follower forwards to the
 * leader and retries keep their call id), stale reads come from the local replica.
 */
package io.flowkeeper.cluster;
