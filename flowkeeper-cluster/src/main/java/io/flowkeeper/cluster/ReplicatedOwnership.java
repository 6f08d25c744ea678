package io.flowkeeper.cluster;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.ownership.EntityOwnership;
import io.flowkeeper.api.ownership.NodeLease;
import io.flowkeeper.api.ownership.OwnershipService;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.VersionedValue;
import java.util.List;
import java.util.Optional;

/** {@link OwnershipService} over the ownership shard of a {@link ClusterNode}: commands in, replica reads out. */
public final class ReplicatedOwnership implements OwnershipService {
    private final ClusterNode node;

    public ReplicatedOwnership(ClusterNode node) {
        this.node = node;
    }

    @Override
    public NodeLease renewLease(String nodeId, String incarnation, String rpcAddress) {
        node.command(SHARD, OwnershipCommands.RENEW, args().put("node", nodeId).put("incarnation", incarnation)
                .put("rpc", rpcAddress));
        // Applied here before the reply came back? Not necessarily: read our own replica, which may lag; callers
        // only use the result for display.
        VersionedValue v = node.stateMachine(SHARD).get(OwnershipCommands.nodePath(nodeId));
        return v == null ? new NodeLease(nodeId, incarnation, true, 0, rpcAddress) : OwnershipCommands.lease(v);
    }

    @Override
    public void expireLease(String nodeId, long renewals) {
        node.command(SHARD, OwnershipCommands.EXPIRE, args().put("node", nodeId).put("renewals", renewals));
    }

    @Override
    public void registerCandidate(String entity, String nodeId) {
        node.command(SHARD, OwnershipCommands.REGISTER, args().put("entity", entity).put("node", nodeId));
    }

    @Override
    public void unregisterCandidate(String entity, String nodeId) {
        node.command(SHARD, OwnershipCommands.UNREGISTER, args().put("entity", entity).put("node", nodeId));
    }

    @Override
    public List<EntityOwnership> entities() {
        return OwnershipCommands.readable(node.list(SHARD, DataPath.of(ENTITIES), ReadConsistency.STALE).values(),
                OwnershipCommands::entity);
    }

    @Override
    public Optional<EntityOwnership> entity(String entity) {
        return node.get(SHARD, DataPath.of(OwnershipCommands.entityPath(entity)), ReadConsistency.STALE)
                .flatMap(v -> OwnershipCommands.tryParse(v, OwnershipCommands::entity));
    }

    @Override
    public List<NodeLease> leases() {
        return OwnershipCommands.readable(node.list(SHARD, DataPath.of(NODES), ReadConsistency.STALE).values(),
                OwnershipCommands::lease);
    }

    /** An entity document as stored (and as watches deliver it). */
    public static EntityOwnership parseEntity(String json) {
        return OwnershipCommands.entity(json);
    }

    private static ObjectNode args() {
        return Codec.JSON.createObjectNode();
    }
}
