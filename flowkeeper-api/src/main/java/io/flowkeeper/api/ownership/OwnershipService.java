package io.flowkeeper.api.ownership;

import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.Watch;
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

    /**
     * Renews (or first takes) {@code node}'s lease, publishing its addresses ({@link NodeLease#rpcAddress()},
     * {@link NodeLease#peerLink()}); returns the committed lease.
     */
    NodeLease renewLease(String node, String incarnation, String rpcAddress, String peerLink);

    /** A renewal without a peer link. */
    default NodeLease renewLease(String node, String incarnation, String rpcAddress) {
        return renewLease(node, incarnation, rpcAddress, "");
    }

    /** Marks the node dead if its renewal count is still {@code renewals}; its entities move. */
    void expireLease(String node, long renewals);

    /**
     * Makes {@code node} a candidate for every entity named, in one command: a node that connects to a thousand
     * switches at once commits one log entry, not a thousand, and each entity gets its owner by the same rules as
     * if registered alone, in the order given.
     */
    void registerCandidates(java.util.Collection<String> entities, String node);

    /** Withdraws {@code node}'s candidacy for every entity named, in one command. */
    void unregisterCandidates(java.util.Collection<String> entities, String node);

    default void registerCandidate(String entity, String node) {
        registerCandidates(List.of(entity), node);
    }

    default void unregisterCandidate(String entity, String node) {
        unregisterCandidates(List.of(entity), node);
    }

    /**
     * Removes an entity whose switch is gone: only if it still has no owner and its generation is still
     * {@code generation} (a switch that came back meanwhile keeps it). An entity created later under any name starts
     * above every generation a removed one reached, so the generations a switch sees still only grow.
     */
    void removeEntity(String entity, long generation);

    /** Every entity, in name order, from this node's replica (may lag the leader by a few milliseconds). */
    default List<EntityOwnership> entities() {
        return entities(ReadConsistency.STALE);
    }

    /**
     * Every entity, in name order. {@link ReadConsistency#LINEARIZABLE} sees every ownership change committed before
     * the call (what a node must read before acting again after its lease lapsed); STALE reads this node's replica.
     */
    List<EntityOwnership> entities(ReadConsistency consistency);

    /**
     * Watches every entity's ownership on this node's replica: changes committed after the call, in commit order,
     * on the watch's own thread (see {@link OwnershipListener}). Read {@link #entities} after starting the watch to
     * learn the state it starts from.
     */
    Watch watch(OwnershipListener listener);

    Optional<EntityOwnership> entity(String entity);

    /** How many entities this node's replica holds (without reading them: checked for every new switch). */
    default int entityCount() {
        return entities().size();
    }

    List<NodeLease> leases();
}
