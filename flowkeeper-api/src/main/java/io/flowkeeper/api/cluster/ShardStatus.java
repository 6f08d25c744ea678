package io.flowkeeper.api.cluster;

/**
 * One replica of one shard, as its node reports it.
 *
 * @param shard the shard name
 * @param node the node holding this replica
 * @param digest a SHA-256 (hex) over every key, document and revision of the replica: equal on replicas that
 *     applied the same log
 * @param revision the shard revision on this replica
 * @param keys how many keys the replica holds
 * @param appliedIndex the position in the shard's replicated log this replica has applied (0 when none)
 */
public record ShardStatus(String shard, String node, String digest, long revision, long keys, long appliedIndex) {}
