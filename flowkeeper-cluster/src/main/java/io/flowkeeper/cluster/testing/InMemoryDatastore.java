package io.flowkeeper.cluster.testing;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.store.CommitResult;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.StoreException;
import io.flowkeeper.api.store.StoreLimits;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.api.store.VersionedValue;
import io.flowkeeper.api.store.Watch;
import io.flowkeeper.api.store.WatchListener;
import io.flowkeeper.cluster.ClusterConfig;
import io.flowkeeper.cluster.CommandDatastore;
import io.flowkeeper.cluster.ShardCatalog;
import io.flowkeeper.cluster.ShardCommands;
import io.flowkeeper.cluster.ShardState;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The datastore as a single in-memory replica of every shard: the same {@link ShardState} the Raft state machine
 * adapts (same revisions, preconditions, watch replay and RESET dumps), the same size checks, the same commands (the
 * ownership shard runs the ownership rules). Both read consistencies read the one replica, which is always current.
 * {@link #setAvailable(boolean) setAvailable(false)} makes every call fail as a shard without quorum does, so callers'
 * handling of an unavailable store can be tested. Thread-safe; watch listeners run on one thread per watch.
 */
public final class InMemoryDatastore implements CommandDatastore {
    /** Undelivered events a watch may hold before it is closed as fallen behind, as on a cluster node. */
    private static final int WATCH_QUEUE_LIMIT = 100_000;

    private final Map<String, ShardState> states = new LinkedHashMap<>();
    private final Map<String, ShardCommands> commands = new LinkedHashMap<>();
    private final StoreLimits limits;
    private volatile boolean available = true;

    /** The default shards, limits and watch history of a cluster node. */
    public InMemoryDatastore() {
        this(ShardCatalog.defaults(), StoreLimits.ofMaxValue(ClusterConfig.DEFAULT_MAX_VALUE_BYTES),
                ClusterConfig.DEFAULT_WATCH_HISTORY);
    }

    /** @param watchHistory changes each shard remembers for resuming watches (small values test the RESET path) */
    public InMemoryDatastore(ShardCatalog catalog, StoreLimits limits, int watchHistory) {
        this.limits = limits;
        for (ShardCatalog.Shard s : catalog.shards()) {
            states.put(s.name(), new ShardState(s.name(), watchHistory));
            commands.put(s.name(), ShardCommands.forKind(s.kind()));
        }
    }

    /** While false, every call throws {@link StoreException} of kind UNAVAILABLE, as without quorum. */
    public void setAvailable(boolean available) {
        this.available = available;
    }

    /** The shard's state, for assertions and for {@link InMemoryClusterAdmin}. */
    public ShardState state(String shard) {
        ShardState s = states.get(shard);
        if (s == null) {
            throw new StoreException(StoreException.Kind.UNKNOWN_SHARD, shard,
                    "unknown shard '" + shard + "' (shards: " + String.join(", ", states.keySet()) + ")");
        }
        if (!available) {
            throw new StoreException(StoreException.Kind.UNAVAILABLE, shard,
                    "shard '" + shard + "' is unavailable (made so by the test)");
        }
        return s;
    }

    @Override
    public Set<String> shards() {
        return Collections.unmodifiableSet(states.keySet());
    }

    @Override
    public Optional<VersionedValue> get(String shard, DataPath path, ReadConsistency consistency) {
        return Optional.ofNullable(state(shard).get(path.toString()));
    }

    @Override
    public Snapshot list(String shard, DataPath prefix, ReadConsistency consistency) {
        return state(shard).snapshot(prefix);
    }

    @Override
    public StoreLimits limits() {
        return limits;
    }

    @Override
    public CommitResult commit(String shard, Transaction transaction) {
        ShardState state = state(shard);
        limits.check(shard, transaction);
        ShardState.Outcome outcome = state.apply(transaction);
        if (outcome.error() != null) {
            throw new StoreException(StoreException.Kind.INVALID, shard, outcome.error());
        }
        return outcome.toCommitResult(transaction);
    }

    @Override
    public CommitResult command(String shard, String command, ObjectNode args) {
        return state(shard).applyCommand(commands.get(shard), command, args)
                .toCommitResult(new Transaction(java.util.List.of(), java.util.List.of()));
    }

    @Override
    public Watch watch(String shard, DataPath prefix, long fromRevision, WatchListener listener) {
        return state(shard).watch(prefix, fromRevision, listener, WATCH_QUEUE_LIMIT);
    }
}
