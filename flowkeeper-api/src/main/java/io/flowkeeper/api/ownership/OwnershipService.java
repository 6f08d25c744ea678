package io.flowkeeper.api.ownership;

import java.util.List;
import java.util.Optional;

/**
 * Registers candidates, renews leases and reads ownership. Every write is one command in the ownership shard's
 * log, so all replicas decide the same owners; calls block at most the shard's request timeout and then throw
 * {@link io.flowkeeper.api.store.StoreException} (UNAVAILABLE), never hang. Thread-safe.
 */
public interface OwnershipService {
    /** The shard that holds ownership and leases. */
    String SHARD = "ownership";
    /** Data paths inside the shard: one document per entity and per node. */
    String ENTITIES = "/entities";
    String NODES = "/nodes";

    /** Renews (or first takes) {@code node}'s lease; returns the committed lease. */
    NodeLease renewLease(String node, String incarnation, String rpcAddress);

    /** Marks the node dead if its renewal count is still {@code renewals}; its entities move. */
    void expireLease(String node, long renewals);

    void registerCandidate(String entity, String node);

    void unregisterCandidate(String entity, String node);

    /** Every entity, in name order, from this node's replica (may lag the leader by a few milliseconds). */
    List<EntityOwnership> entities();

    Optional<EntityOwnership> entity(String entity);

    List<NodeLease> leases();
}
