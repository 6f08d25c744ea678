package io.flowkeeper.network;

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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * A single-process {@link DatastoreService} for fast tests: one sorted map per shard, transactions applied under one
 * lock with the same precondition semantics as the replicated store. No watches.
 */
public final class SimpleDatastore implements DatastoreService {
    private final Map<String, TreeMap<String, VersionedValue>> shards = new HashMap<>();
    private final Map<String, Long> revisions = new HashMap<>();

    public SimpleDatastore(String... shardNames) {
        for (String s : shardNames) {
            shards.put(s, new TreeMap<>());
            revisions.put(s, 0L);
        }
    }

    @Override
    public Set<String> shards() {
        return Set.copyOf(shards.keySet());
    }

    private TreeMap<String, VersionedValue> shard(String shard) {
        TreeMap<String, VersionedValue> m = shards.get(shard);
        if (m == null) {
            throw new IllegalArgumentException("unknown shard " + shard);
        }
        return m;
    }

    @Override
    public synchronized Optional<VersionedValue> get(String shard, DataPath path, ReadConsistency consistency) {
        return Optional.ofNullable(shard(shard).get(path.toString()));
    }

    @Override
    public synchronized Snapshot list(String shard, DataPath prefix, ReadConsistency consistency) {
        List<VersionedValue> out = new ArrayList<>();
        for (VersionedValue v : shard(shard).tailMap(prefix.toString(), true).values()) {
            if (!prefix.contains(v.path())) {
                break;
            }
            out.add(v);
        }
        return new Snapshot(revisions.get(shard), out);
    }

    @Override
    public synchronized CommitResult commit(String shard, Transaction txn) {
        TreeMap<String, VersionedValue> m = shard(shard);
        long revision = revisions.get(shard);
        for (Precondition p : txn.preconditions()) {
            VersionedValue v = m.get(p.path());
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
        for (Operation op : txn.operations()) {
            switch (op.kind()) {
                case PUT -> {
                    VersionedValue old = m.get(op.path());
                    m.put(op.path(), new VersionedValue(op.path(), op.json(), old == null ? revision
                            : old.createRevision(), revision, old == null ? 1 : old.version() + 1));
                }
                case DELETE -> m.remove(op.path());
                case DELETE_PREFIX -> {
                    DataPath prefix = DataPath.of(op.path());
                    m.keySet().removeIf(prefix::contains);
                }
            }
        }
        revisions.put(shard, revision);
        return new CommitResult(true, revision, null);
    }

    @Override
    public Watch watch(String shard, DataPath prefix, long fromRevision, WatchListener listener) {
        throw new UnsupportedOperationException("SimpleDatastore has no watches");
    }

    /** Every key of a shard below {@code prefix}, for assertions. */
    public synchronized List<String> keys(String shard, String prefix) {
        return list(shard, DataPath.of(prefix), ReadConsistency.STALE).values().stream().map(VersionedValue::path)
                .toList();
    }
}
