package io.flowkeeper.api.ownership;

import java.util.List;

/**
 * One entity's committed ownership.
 *
 * @param entity the entity name, e.g. {@code openflow:0000000000000001} or {@code app:dhcp}
 * @param owner the owning node id, or null when no live candidate exists
 * @param generation one more on every owner change (including to and from no owner); never decreases, survives
 *     restarts, and is what a switch master sends as its OpenFlow role generation id
 * @param candidates every node registered for the entity, in id order (live or not)
 */
public record EntityOwnership(String entity, String owner, long generation, List<String> candidates) {
    public EntityOwnership {
        candidates = List.copyOf(candidates);
    }

    public boolean ownedBy(String node) {
        return node.equals(owner);
    }
}
