package io.flowkeeper.controller.mastership;

import io.flowkeeper.api.ownership.EntityOwnership;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which entities have been without an owner for longer than the retention, judged from successive looks at the
 * ownership shard (pure: the caller reads the entities and the clock). An entity counts from the first look that
 * saw it ownerless at its current generation: any change (an owner, a new generation) restarts the count. Times are
 * this node's monotonic clock; the removal itself is conditional ({@code removeEntity(entity, generation)}), so a
 * node with a wrong view can only fail to remove, never remove an owned entity.
 */
final class EntityRetention {
    private record Seen(long generation, long sinceNanos) {}

    private final long retentionNanos;
    private final Map<String, Seen> ownerless = new HashMap<>();

    EntityRetention(Duration retention) {
        this.retentionNanos = retention.toNanos();
    }

    /** The entities to remove now; {@code entities} is every entity as the replica sees it. */
    List<EntityOwnership> expired(Collection<EntityOwnership> entities, long nowNanos) {
        List<EntityOwnership> out = new ArrayList<>();
        Set<String> present = new HashSet<>();
        for (EntityOwnership e : entities) {
            present.add(e.entity());
            if (e.owner() != null) {
                ownerless.remove(e.entity());
                continue;
            }
            Seen seen = ownerless.get(e.entity());
            if (seen == null || seen.generation() != e.generation()) {
                ownerless.put(e.entity(), new Seen(e.generation(), nowNanos));
            } else if (nowNanos - seen.sinceNanos() >= retentionNanos) {
                out.add(e);
            }
        }
        ownerless.keySet().retainAll(present);
        return out;
    }
}
