package io.flowkeeper.controller;

import io.flowkeeper.api.ownership.EntityOwnership;
import io.flowkeeper.api.ownership.OwnershipService;
import io.flowkeeper.api.store.CommitResult;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.api.store.VersionedValue;
import io.flowkeeper.api.store.Watch;
import io.flowkeeper.api.store.WatchEvent;
import io.flowkeeper.api.store.WatchListener;
import io.flowkeeper.cluster.ReplicatedOwnership;
import io.flowkeeper.controller.mastership.FlowDocuments;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The datastore as switch mastership reads it: documents it cannot use are left out, with one log line each, instead
 * of throwing in the middle of start-up or of a watch (issue 15, D1: one ownership entity named {@code openflow:zz}
 * stopped every restarting node). Checked: ownership entities (readable, named by their path, a valid dpid for
 * {@code openflow:} entities) and desired flows (readable ovs-ofctl text under a valid dpid). Writes pass through.
 */
final class ValidatedDatastore implements DatastoreService {
    private static final Logger LOG = LoggerFactory.getLogger(ValidatedDatastore.class);
    private static final DataPath ENTITIES = DataPath.of(OwnershipService.ENTITIES);
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
        Snapshot s = store.list(shard, prefix, consistency);
        List<VersionedValue> kept = s.values().stream()
                .filter(v -> usable(shard, v.path(), v.json(), v.modRevision())).toList();
        return kept.size() == s.values().size() ? s : new Snapshot(s.revision(), kept);
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
            if (shard.equals(OwnershipService.SHARD) && ENTITIES.contains(path)) {
                EntityOwnership e = ReplicatedOwnership.parseEntity(json);
                if (!path.equals(OwnershipService.ENTITIES + "/" + e.entity())) {
                    return "entity '" + e.entity() + "' stored under another name";
                }
                FlowDocuments.dpidOfEntity(e.entity());
            } else if (shard.equals(FlowDocuments.CONFIG_SHARD) && DESIRED_FLOWS.contains(path)) {
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
