package io.flowkeeper.api.store;

/** How fresh a read must be. */
public enum ReadConsistency {
    /** Sees every write acknowledged before the read started (served through the shard leader). */
    LINEARIZABLE,
    /** Served from the local replica without contacting the leader: fast, possibly behind. */
    STALE
}
