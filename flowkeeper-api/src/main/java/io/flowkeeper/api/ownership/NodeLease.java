package io.flowkeeper.api.ownership;

/**
 * A node's liveness as the ownership shard records it.
 *
 * @param node the node id
 * @param incarnation changes every time the node's process starts; a new incarnation drops the node's old
 *     candidacies, since the sessions they were based on died with the old process
 * @param alive false once the ownership shard's leader expired the lease (no renewal within the lease time)
 * @param renewals renewals committed in this incarnation; an expiry names the count it judged, so a renewal that
 *     commits first cancels it
 * @param rpcAddress where the node accepts forwarded calls from other nodes (its REST address)
 * @param peerLink where the node accepts the other nodes' peer links ({@code host:port}; empty if it has none): a
 *     connection that carries nothing, kept open so that the death of the process is seen at once (see
 *     {@code LeaseKeeper})
 */
public record NodeLease(String node, String incarnation, boolean alive, long renewals, String rpcAddress,
                        String peerLink) {
    public NodeLease(String node, String incarnation, boolean alive, long renewals, String rpcAddress) {
        this(node, incarnation, alive, renewals, rpcAddress, "");
    }
}
