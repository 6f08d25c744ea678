package io.flowkeeper.controller;

import io.flowkeeper.api.store.CommitResult;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.StoreLimits;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.api.store.VersionedValue;
import io.flowkeeper.api.store.Watch;
import io.flowkeeper.api.store.WatchEvent;
import io.flowkeeper.api.store.WatchListener;
import io.flowkeeper.controller.mastership.FlowDocuments;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The datastore as switch mastership reads it: documents it cannot use are left out, with one log line each, instead
 * of throwing in the middle of start-up or of a watch (issue 15, D1: one unusable stored document stopped every
 * restarting node). Checked here: desired flows (a readable flow document under a valid dpid). Ownership documents
 * are read through the ownership service, which skips unreadable ones the same way, and {@code Mastership} ignores
 * an entity that names no valid datapath id. Writes pass through.
 */
final class ValidatedDatastore implements DatastoreService {
    private static final Logger LOG = LoggerFactory.getLogger(ValidatedDatastore.class);
    private static final DataPath DESIRED_FLOWS = DataPath.of("/flows");

    private final DatastoreService store;
    /** Documents already reported (shard, path, revision): each bad document is logged once, not at every read. */
    private final Set<String> reported = ConcurrentHashMap.newKeySet();

    ValidatedDatastore(DatastoreService store) {
        this.store = store;
    }

    @Override
    public Set<String> shards() {
        return store.shards();
    }

    @Override
    public Optional<VersionedValue> get(String shard, DataPath path, ReadConsistency consistency) {
        return store.get(shard, path, consistency).filter(v -> usable(shard, v.path(), v.json(), v.modRevision()));
    }

    @Override
    public Snapshot list(String shard, DataPath prefix, ReadConsistency consistency) {
        return usable(shard, store.list(shard, prefix, consistency));
    }

    @Override
    public List<Snapshot> listAll(List<ListQuery> queries, ReadConsistency consistency) {
        List<Snapshot> read = store.listAll(queries, consistency); // together, as the store can
        List<Snapshot> out = new java.util.ArrayList<>(read.size());
        for (int i = 0; i < read.size(); i++) {
            out.add(usable(queries.get(i).shard(), read.get(i)));
        }
        return out;
    }

    private Snapshot usable(String shard, Snapshot s) {
        List<VersionedValue> kept = s.values().stream()
                .filter(v -> usable(shard, v.path(), v.json(), v.modRevision())).toList();
        return kept.size() == s.values().size() ? s : new Snapshot(s.revision(), kept);
    }

    @Override
    public StoreLimits limits() {
        return store.limits();
    }

    @Override
    public CommitResult commit(String shard, Transaction transaction) {
        return store.commit(shard, transaction);
    }

    @Override
    public Watch watch(String shard, DataPath prefix, long fromRevision, WatchListener listener) {
        return store.watch(shard, prefix, fromRevision, new WatchListener() {
            @Override
            public void onEvent(WatchEvent event) {
                if (event.type() != WatchEvent.Type.PUT
                        || usable(shard, event.path(), event.json(), event.revision())) {
                    listener.onEvent(event);
                }
            }

            @Override
            public void onClosed(String reason) {
                listener.onClosed(reason);
            }
        });
    }

    /** Whether mastership can use the document; logs why not, once per document version. */
    private boolean usable(String shard, String path, String json, long revision) {
        String problem = problem(shard, path, json);
        if (problem == null) {
            return true;
        }
        if (reported.size() > 10_000) {
            reported.clear();
        }
        if (reported.add(shard + path + "@" + revision)) {
            LOG.error("ignoring {} {} (revision {}): {}", shard, path, revision, problem);
        }
        return false;
    }

    /** What is wrong with a document, or null. */
    static String problem(String shard, String path, String json) {
        try {
            if (shard.equals(FlowDocuments.CONFIG_SHARD) && DESIRED_FLOWS.contains(path)) {
                List<String> segments = DataPath.of(path).segments();
                if (segments.size() == 3) {
                    FlowDocuments.parseDpid(segments.get(1));
                    FlowDocuments.flowOf(json);
                }
            }
            return null;
        } catch (RuntimeException e) {
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return message.lines().findFirst().orElse(message);
        }
    }
}
