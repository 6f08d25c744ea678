package io.flowkeeper.controller.mastership;

import io.flowkeeper.api.ownership.EntityOwnership;
import io.flowkeeper.api.ownership.OwnershipService;
import io.flowkeeper.api.store.StoreException;
import io.flowkeeper.api.util.Threads;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes the ownership entities of switches gone longer than {@link EntityLifecycle#retention()}
 * ({@link EntityRetention} decides which). Every node runs one: removals are conditional and idempotent, so two
 * nodes removing the same entity cost one no-op command. Logs one line per sweep that removed anything.
 */
public final class EntityReaper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EntityReaper.class);

    private final OwnershipService ownership;
    private final EntityLifecycle lifecycle;
    private final EntityRetention retention;
    private final java.util.function.LongSupplier nanoTime;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Threads.daemon("entity-reaper"));

    public EntityReaper(OwnershipService ownership, EntityLifecycle lifecycle) {
        this(ownership, lifecycle, System::nanoTime);
    }

    /** With the monotonic clock given (tests). */
    EntityReaper(OwnershipService ownership, EntityLifecycle lifecycle, java.util.function.LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.ownership = ownership;
        this.lifecycle = lifecycle;
        this.retention = new EntityRetention(lifecycle.retention());
    }

    public void start() {
        if (lifecycle.retention().isZero()) {
            return; // keep entities forever
        }
        long every = lifecycle.sweepInterval().toMillis();
        timer.scheduleWithFixedDelay(this::sweep, every, every, TimeUnit.MILLISECONDS);
    }

    /** One look: removes what has been ownerless too long; returns how many were removed. */
    int sweep() {
        try {
            List<EntityOwnership> expired = retention.expired(ownership.entities(), nanoTime.getAsLong());
            for (EntityOwnership e : expired) {
                ownership.removeEntity(e.entity(), e.generation());
            }
            if (!expired.isEmpty()) {
                LOG.info("removed {} ownership entit{} without an owner for over {} s (first: {})", expired.size(),
                        expired.size() == 1 ? "y" : "ies", lifecycle.retention().toSeconds(),
                        expired.get(0).entity());
            }
            return expired.size();
        } catch (StoreException e) {
            LOG.debug("entity sweep skipped: {}", e.getMessage()); // no quorum now: the next sweep tries again
            return 0;
        } catch (RuntimeException e) {
            LOG.warn("entity sweep failed: {}", e.toString(), e);
            return 0;
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
