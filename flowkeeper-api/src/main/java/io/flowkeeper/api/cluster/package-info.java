/**
 * The cluster as operators see it: nodes, their liveness, and per shard its leader, term, commit index and follower
 * lag. Plain values, no consensus types.
 */
package io.flowkeeper.api.cluster;
