package io.flowkeeper.network.neutron;

import io.flowkeeper.api.store.CommitResult;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.StoreLimits;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.api.store.VersionedValue;
import io.flowkeeper.api.store.Watch;
import io.flowkeeper.api.store.WatchListener;
import io.flowkeeper.cluster.ShardState;
import io.flowkeeper.cluster.testing.InMemoryDatastore;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A follower node's view of the {@code network-config} shard whose leader is {@code leader}: stale reads come from a
 * replica that learns the leader's state only when a linearizable read (the barrier) or a failed commit makes this
 * node catch up, as a real replica does at the latest then. So a test can make a node answer from a view that lacks
 * writes acknowledged elsewhere. Commits go to the leader. Counts the linearizable reads.
 */
final class LaggingReplica implements DatastoreService {
    private final InMemoryDatastore leader;
    private final ShardState replica = new ShardState(NeutronDocuments.SHARD, 1_000);
    final AtomicInteger linearizableReads = new AtomicInteger();

    LaggingReplica(InMemoryDatastore leader) {
        this.leader = leader;
        catchUp();
    }

    /** This replica applies everything the leader has. */
    synchronized void catchUp() {
        replica.restore(leader.state(NeutronDocuments.SHARD).capture());
    }

    @Override
    public Set<String> shards() {
        return leader.shards();
    }

    @Override
    public Optional<VersionedValue> get(String shard, DataPath path, ReadConsistency consistency) {
        if (consistency == ReadConsistency.LINEARIZABLE) {
            linearizableReads.incrementAndGet();
            catchUp();
        }
        return Optional.ofNullable(replica.get(path.toString()));
    }

    @Override
    public Snapshot list(String shard, DataPath prefix, ReadConsistency consistency) {
        if (consistency == ReadConsistency.LINEARIZABLE) {
            linearizableReads.incrementAndGet();
            catchUp();
        }
        return replica.snapshot(prefix);
    }

    @Override
    public StoreLimits limits() {
        return leader.limits();
    }

    @Override
    public CommitResult commit(String shard, Transaction transaction) {
        CommitResult r = leader.commit(shard, transaction);
        if (!r.succeeded()) {
            catchUp(); // the caller waits for the failure's revision: this replica gets there
        }
        return r;
    }

    @Override
    public Watch watch(String shard, DataPath prefix, long fromRevision, WatchListener listener) {
        throw new UnsupportedOperationException("not used by the Neutron handlers");
    }
}
