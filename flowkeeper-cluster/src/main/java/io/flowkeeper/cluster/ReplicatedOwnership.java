package io.flowkeeper.cluster;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.ownership.EntityOwnership;
import io.flowkeeper.api.ownership.NodeLease;
import io.flowkeeper.api.ownership.OwnershipListener;
import io.flowkeeper.api.ownership.OwnershipService;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.VersionedValue;
import io.flowkeeper.api.store.Watch;
import io.flowkeeper.api.store.WatchEvent;
import io.flowkeeper.api.store.WatchListener;
import java.util.List;
import java.util.Optional;

/**
 * {@link OwnershipService} over the ownership shard of a {@link CommandDatastore}: commands in, replica reads out.
 * Over a {@link ClusterNode} it is the replicated service; over {@code testing.InMemoryDatastore} it is the test
 * double, with the same rules ({@link OwnershipCommands}) and the same documents.
 */
public final class ReplicatedOwnership implements OwnershipService {
    private final CommandDatastore store;

    public ReplicatedOwnership(CommandDatastore store) {
        this.store = store;
    }

    @Override
    public NodeLease renewLease(String nodeId, String incarnation, String rpcAddress, String peerLink) {
        store.command(SHARD, OwnershipCommands.RENEW, args().put("node", nodeId).put("incarnation", incarnation)
                .put("rpc", rpcAddress).put("link", peerLink));
        // Applied here before the reply came back? Not necessarily: read our own replica, which may lag; callers
        // only use the result for display.
        return store.get(SHARD, DataPath.of(OwnershipCommands.nodePath(nodeId)), ReadConsistency.STALE)
                .map(OwnershipCommands::lease)
                .orElseGet(() -> new NodeLease(nodeId, incarnation, true, 0, rpcAddress, peerLink));
    }

    @Override
    public void expireLease(String nodeId, long renewals) {
        store.command(SHARD, OwnershipCommands.EXPIRE, args().put("node", nodeId).put("renewals", renewals));
    }

    @Override
    public void registerCandidates(java.util.Collection<String> entities, String nodeId) {
        candidacy(OwnershipCommands.REGISTER, entities, nodeId);
    }

    @Override
    public void unregisterCandidates(java.util.Collection<String> entities, String nodeId) {
        candidacy(OwnershipCommands.UNREGISTER, entities, nodeId);
    }

    private void candidacy(String command, java.util.Collection<String> entities, String nodeId) {
        if (entities.isEmpty()) {
            return;
        }
        ObjectNode args = args().put("node", nodeId);
        entities.forEach(args.putArray("entities")::add);
        store.command(SHARD, command, args);
    }

    @Override
    public void removeEntity(String entity, long generation) {
        store.command(SHARD, OwnershipCommands.REMOVE, args().put("entity", entity).put("generation", generation));
    }

    /** An entity document as last parsed here, and the revision it was parsed at. */
    private record Parsed(long modRevision, EntityOwnership entity) { }

    /**
     * The entities parsed by the last full read, by path. At 1,000 switches every read of all entities parsed 1,000
     * JSON documents (the switch list and the ownership view read them all, the bench polled them every 100 ms)
     * though few had changed; a document is parsed again only when its revision moved. Replaced whole by each
     * read, so deleted entities leave with it.
     */
    private volatile java.util.Map<String, Parsed> parsed = java.util.Map.of();

    @Override
    public List<EntityOwnership> entities(ReadConsistency consistency) {
        List<VersionedValue> values = store.list(SHARD, DataPath.of(ENTITIES), consistency).values();
        java.util.Map<String, Parsed> before = parsed;
        java.util.Map<String, Parsed> now = new java.util.HashMap<>(values.size() * 2);
        List<EntityOwnership> out = new java.util.ArrayList<>(values.size());
        for (VersionedValue v : values) {
            Parsed p = before.get(v.path());
            if (p == null || p.modRevision() != v.modRevision()) {
                Optional<EntityOwnership> e = OwnershipCommands.tryParse(v, OwnershipCommands::entity);
                if (e.isEmpty()) {
                    continue; // unreadable: logged once, skipped (issue 15, D1)
                }
                p = new Parsed(v.modRevision(), e.get());
            }
            now.put(v.path(), p);
            out.add(p.entity());
        }
        parsed = now;
        return out;
    }

    @Override
    public Optional<EntityOwnership> entity(String entity) {
        return store.get(SHARD, DataPath.of(OwnershipCommands.entityPath(entity)), ReadConsistency.STALE)
                .flatMap(v -> OwnershipCommands.tryParse(v, OwnershipCommands::entity));
    }

    @Override
    public int entityCount() {
        return store.list(SHARD, DataPath.of(ENTITIES), ReadConsistency.STALE).values().size();
    }

    @Override
    public List<NodeLease> leases() {
        return OwnershipCommands.readable(store.list(SHARD, DataPath.of(NODES), ReadConsistency.STALE).values(),
                OwnershipCommands::lease);
    }

    @Override
    public Watch watch(OwnershipListener listener) {
        // A replica reset (snapshot install) is followed by a PUT of every current entity: delivering those is the
        // "every entity again" the listener contract promises, so RESET and SYNCED need no handling of their own.
        return store.watch(SHARD, DataPath.of(ENTITIES), 0, new WatchListener() {
            @Override
            public void onEvent(WatchEvent event) {
                if (event.type() == WatchEvent.Type.PUT) {
                    // An unreadable document is logged once and skipped: it must never stop a node (issue 15, D1).
                    OwnershipCommands.tryParse(new VersionedValue(event.path(), event.json(), event.revision(),
                            event.revision(), 0), OwnershipCommands::entity).ifPresent(listener::ownershipChanged);
                } else if (event.type() == WatchEvent.Type.DELETE) {
                    listener.entityRemoved(event.path().substring(event.path().lastIndexOf('/') + 1));
                }
            }

            @Override
            public void onClosed(String reason) {
                listener.onClosed(reason);
            }
        });
    }

    private static ObjectNode args() {
        return Codec.JSON.createObjectNode();
    }
}
