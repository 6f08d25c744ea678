/**
 * In-memory doubles of the cluster's services, for fast tests of the code above them (as ONOS ships its
 * {@code Simple*Store}s beside the API): {@link io.flowkeeper.cluster.testing.InMemoryDatastore} is one replica of
 * every shard on the same {@link io.flowkeeper.cluster.ShardState} the Raft state machine adapts, so preconditions,
 * revisions and watch replay behave as in the cluster; the ownership service over it is the real
 * {@link io.flowkeeper.cluster.ReplicatedOwnership} with the real rules; {@link
 * io.flowkeeper.cluster.testing.InMemoryClusterAdmin} answers the cluster-admin service with a leadership the test
 * sets. Main scope, not a test-jar, so every module's tests use them through an ordinary dependency, including
 * {@code mvn test} runs of the reactor that never package a test-jar. No threads but one per watch, no Ratis.
 */
package io.flowkeeper.cluster.testing;
