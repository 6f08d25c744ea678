package io.flowkeeper.controller.mastership;

import io.flowkeeper.api.store.CommitResult;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.StoreLimits;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.api.store.VersionedValue;
import io.flowkeeper.api.store.Watch;
import io.flowkeeper.api.store.WatchListener;
import io.flowkeeper.cluster.testing.InMemoryDatastore;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The in-memory datastore (the real shard rules), counting the documents each read returns, so a test can prove a
 * write reads O(1) documents. {@link #beforeCommit} lets a test slip another writer's commit in between a writer's
 * reads and its commit.
 */
final class CountingMapStore implements DatastoreService {
    private final InMemoryDatastore store = new InMemoryDatastore();
    final AtomicInteger documentsRead = new AtomicInteger();
    Consumer<Transaction> beforeCommit = t -> { };

    @Override
    public Set<String> shards() {
        return store.shards();
    }

    @Override
    public Optional<VersionedValue> get(String shard, DataPath path, ReadConsistency consistency) {
        documentsRead.incrementAndGet();
        return store.get(shard, path, consistency);
    }

    @Override
    public Snapshot list(String shard, DataPath prefix, ReadConsistency consistency) {
        Snapshot s = store.list(shard, prefix, consistency);
        documentsRead.addAndGet(Math.max(1, s.values().size()));
        return s;
    }

    @Override
    public StoreLimits limits() {
        return store.limits();
    }

    @Override
    public CommitResult commit(String shard, Transaction t) {
        Consumer<Transaction> hook = beforeCommit;
        beforeCommit = x -> { };
        hook.accept(t);
        return store.commit(shard, t);
    }

    /** Every path at or below {@code prefix} (not counted as a read). */
    List<String> paths(String prefix) {
        return store.list(FlowDocuments.CONFIG_SHARD, DataPath.of(prefix), ReadConsistency.STALE).values().stream()
                .map(VersionedValue::path).toList();
    }

    /** Stores a document as it is, with no identity key beside it (e.g. one written by an older release). */
    void putRaw(String path, String json) {
        store.commit(FlowDocuments.CONFIG_SHARD, Transaction.builder().put(path, json).build());
    }

    @Override
    public Watch watch(String shard, DataPath prefix, long fromRevision, WatchListener listener) {
        return store.watch(shard, prefix, fromRevision, listener);
    }
}
