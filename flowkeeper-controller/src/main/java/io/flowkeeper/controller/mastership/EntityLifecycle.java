package io.flowkeeper.controller.mastership;

import java.time.Duration;

/**
 * How long a switch's ownership entity outlives the switch, and how many entities a cluster takes (issue 15, D7:
 * every dpid that ever completed a handshake used to leave an entity forever, so a flood of fake dpids grew the
 * ownership shard, which every ownership command loads whole, without bound). Keys of a node's config file:
 * <pre>
 * ownership-retention: 10m   # an entity without an owner (its switch connected to no live node) this long is
 *                            # removed; the switch gets a new one, at a higher generation, when it comes back
 * max-switches: 10000        # entities beyond this are not created: a switch with a new dpid is disconnected and
 *                            # logged (once a minute, with a count) until retention makes room
 * </pre>
 *
 * @param retention how long an entity may stay without an owner (at least 1 minute: a switch restarting, a
 *     cluster briefly without a live node must not lose theirs)
 * @param maxSwitches the most entities a node lets its switches create
 */
public record EntityLifecycle(Duration retention, int maxSwitches) {
    public static final EntityLifecycle DEFAULTS = new EntityLifecycle(Duration.ofMinutes(10), 10_000);

    public EntityLifecycle {
        if (retention.compareTo(Duration.ofMinutes(1)) < 0 && !retention.isZero()) {
            throw new IllegalArgumentException("ownership-retention: at least 1m (a restarting switch must keep its"
                    + " entity), or 0s to keep entities forever; got " + retention.toMillis() + "ms");
        }
        if (maxSwitches < 1) {
            throw new IllegalArgumentException("max-switches: at least 1, got " + maxSwitches);
        }
    }

    /** The interval between looks for ownerless entities: a tenth of the retention, at most a minute. */
    Duration sweepInterval() {
        return retention.dividedBy(10).compareTo(Duration.ofMinutes(1)) > 0 ? Duration.ofMinutes(1)
                : retention.dividedBy(10);
    }
}
