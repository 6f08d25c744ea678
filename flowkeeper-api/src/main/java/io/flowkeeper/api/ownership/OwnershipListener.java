package io.flowkeeper.api.ownership;

/**
 * Receives committed entity ownership from {@link OwnershipService#watch}. Called on one thread per watch, in
 * commit order; a slow listener delays only its own watch.
 */
public interface OwnershipListener {
    /**
     * An entity's committed ownership changed (owner, generation or candidates). After the replica was reset (it
     * installed a snapshot from the leader) every current entity is delivered again, so a listener that keeps the
     * highest generation per entity stays exact.
     */
    void ownershipChanged(EntityOwnership ownership);

    /** An entity was removed ({@link OwnershipService#removeEntity}: its switch was gone too long). */
    default void entityRemoved(String entity) {}

    /** The watch ended (cancelled, the node stopped, or it fell behind); {@code reason} says which. */
    default void onClosed(String reason) {}
}
