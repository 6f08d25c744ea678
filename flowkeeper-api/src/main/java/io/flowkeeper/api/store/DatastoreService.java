package io.flowkeeper.api.store;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The cluster's replicated datastore, served by every node (active/active): a write at a follower is forwarded to
 * the shard's leader and acknowledged once committed by a majority. Calls block at most the shard's documented
 * timeout and then throw {@link StoreException} of kind UNAVAILABLE naming the shard; they never hang. All methods
 * are thread-safe.
 */
public interface DatastoreService {
    /** The configured shard names. */
    Set<String> shards();

    Optional<VersionedValue> get(String shard, DataPath path, ReadConsistency consistency);

    /** Every key equal to or below {@code prefix}, in path order, and the shard revision they were read at. */
    Snapshot list(String shard, DataPath prefix, ReadConsistency consistency);

    /**
     * Several lists, each as {@link #list} reads it, in the order asked. The cluster's implementation starts the
     * linearizable reads of every shard involved together, so the call waits for one round to the shard leaders
     * rather than one per list (on a loaded host a round took ~200 ms). This default reads them one by one.
     */
    default List<Snapshot> listAll(List<ListQuery> queries, ReadConsistency consistency) {
        return queries.stream().map(q -> list(q.shard(), q.prefix(), consistency)).toList();
    }

    /** One list of {@link #listAll}: the keys equal to or below {@code prefix} in {@code shard}. */
    record ListQuery(String shard, DataPath prefix) {}

    /** The largest document and transaction {@link #commit} accepts; larger ones are refused as INVALID. */
    StoreLimits limits();

    /** Commits a transaction atomically; a failed precondition is a normal result, not an exception. */
    CommitResult commit(String shard, Transaction transaction);

    /**
     * Watches {@code prefix} on this node's replica. With {@code fromRevision} > 0, first replays every change after
     * that revision (or a RESET + state dump if the replica no longer remembers it), then live changes.
     */
    Watch watch(String shard, DataPath prefix, long fromRevision, WatchListener listener);

    /** Keys read together with the shard revision they reflect. */
    record Snapshot(long revision, List<VersionedValue> values) {}
}
