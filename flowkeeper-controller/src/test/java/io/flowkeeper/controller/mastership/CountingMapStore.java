package io.flowkeeper.controller.mastership;

import io.flowkeeper.api.store.CommitResult;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.store.Operation;
import io.flowkeeper.api.store.Precondition;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.api.store.VersionedValue;
import io.flowkeeper.api.store.Watch;
import io.flowkeeper.api.store.WatchListener;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One shard in a map, with the datastore's transaction rules (every precondition checked, then every operation under
 * one new revision), counting the documents each read returns. {@link #beforeCommit} lets a test slip another
 * writer's commit in between a writer's reads and its commit.
 */
final class CountingMapStore implements DatastoreService {
    private final TreeMap<String, VersionedValue> data = new TreeMap<>();
    private long revision;
    final AtomicInteger documentsRead = new AtomicInteger();
    Consumer<Transaction> beforeCommit = t -> { };

    @Override
    public Set<String> shards() {
        return Set.of(FlowDocuments.CONFIG_SHARD);
    }

    @Override
    public synchronized Optional<VersionedValue> get(String shard, DataPath path, ReadConsistency consistency) {
        documentsRead.incrementAndGet();
        return Optional.ofNullable(data.get(path.toString()));
    }

    @Override
    public synchronized Snapshot list(String shard, DataPath prefix, ReadConsistency consistency) {
        List<VersionedValue> out = new ArrayList<>();
        data.forEach((p, v) -> {
            if (prefix.contains(p)) {
                out.add(v);
            }
        });
        documentsRead.addAndGet(Math.max(1, out.size()));
        return new Snapshot(revision, out);
    }

    @Override
    public CommitResult commit(String shard, Transaction t) {
        Consumer<Transaction> hook = beforeCommit;
        beforeCommit = x -> { };
        hook.accept(t);
        synchronized (this) {
            for (Precondition p : t.preconditions()) {
                VersionedValue v = data.get(p.path());
                boolean holds = switch (p.kind()) {
                    case ABSENT -> v == null;
                    case EXISTS -> v != null;
                    case MOD_REVISION -> (v == null ? 0 : v.modRevision()) == p.revision();
                };
                if (!holds) {
                    return new CommitResult(false, revision, p);
                }
            }
            revision++;
            for (Operation o : t.operations()) {
                if (o.kind() == Operation.Kind.PUT) {
                    VersionedValue old = data.get(o.path());
                    data.put(o.path(), new VersionedValue(o.path(), o.json(),
                            old == null ? revision : old.createRevision(), revision, old == null ? 1 : old.version() + 1));
                } else if (o.kind() == Operation.Kind.DELETE) {
                    data.remove(o.path());
                } else {
                    data.keySet().removeIf(DataPath.of(o.path())::contains);
                }
            }
            return new CommitResult(true, revision, null);
        }
    }

    @Override
    public Watch watch(String shard, DataPath prefix, long fromRevision, WatchListener listener) {
        throw new UnsupportedOperationException("not needed by these tests");
    }

    synchronized List<String> paths(String prefix) {
        return data.keySet().stream().filter(DataPath.of(prefix)::contains).toList();
    }

    /** Stores a document as it is, outside any transaction rule (e.g. one written by an older release). */
    synchronized void putRaw(String path, String json) {
        revision++;
        data.put(path, new VersionedValue(path, json, revision, revision, 1));
    }
}
