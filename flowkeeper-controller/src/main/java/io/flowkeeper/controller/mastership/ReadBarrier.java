package io.flowkeeper.controller.mastership;

import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.StoreException;
import io.flowkeeper.api.util.Threads;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Linearizable reads of one shard for many callers at the cost of one: {@link #await} returns once this node's
 * replica holds every write committed before the call, so that a {@link ReadConsistency#STALE} read made after it
 * sees them all, as a linearizable read would.
 *
 * <p>Why: a node that takes over many switches at once (a dead node's third of 1,000, or all of them at start)
 * read each one's desired flows through the leader, one Raft read each; on a loaded machine those reads queued for
 * seconds, and a node's lease renewals queued with them (issue 20, {@code bench scale}). Here callers that arrive
 * while a barrier is under way share the next one: one linearizable read, whose revision R covers every write
 * committed before it started, then a wait until the local replica has applied R (usually at once).
 *
 * <p>A caller never shares a barrier that started before it arrived: that one could miss a write committed after
 * its start and before the caller's call.
 */
final class ReadBarrier implements AutoCloseable {
    /** A path nobody writes: the read returns no document, only the shard's revision. */
    private static final DataPath PROBE = DataPath.of("/.read-barrier");
    private static final long LOCAL_POLL_MICROS = 500;

    private final DatastoreService store;
    private final String shard;
    private final Duration timeout;
    private final ExecutorService runner;
    /** The barrier callers join now; it starts once the one under way (if any) has ended. Guarded by this. */
    private CompletableFuture<Long> next;
    private boolean running;

    ReadBarrier(DatastoreService store, String shard, Duration timeout) {
        this.store = store;
        this.shard = shard;
        this.timeout = timeout;
        this.runner = Executors.newSingleThreadExecutor(Threads.daemon("read-barrier-" + shard));
    }

    /**
     * Blocks until this node's replica of the shard holds every write committed before the call.
     *
     * @return the revision it holds at least
     * @throws StoreException when the shard cannot be read (no quorum, timeout), as a linearizable read would
     */
    long await() {
        CompletableFuture<Long> barrier = join();
        try {
            return barrier.get(timeout.toMillis() * 2 + 1_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StoreException se) {
                throw se;
            }
            throw new StoreException(StoreException.Kind.UNAVAILABLE, shard, "read barrier failed: " + e.getCause(),
                    e.getCause());
        } catch (TimeoutException e) {
            throw new StoreException(StoreException.Kind.UNAVAILABLE, shard, "read barrier did not complete", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException(StoreException.Kind.UNAVAILABLE, shard, "interrupted", e);
        }
    }

    private synchronized CompletableFuture<Long> join() {
        if (next == null) {
            next = new CompletableFuture<>();
        }
        CompletableFuture<Long> barrier = next;
        if (!running) {
            startNext();
        }
        return barrier;
    }

    /** Starts the barrier callers have joined (with this held). */
    private void startNext() {
        CompletableFuture<Long> barrier = next;
        next = null;
        running = true;
        try {
            runner.execute(() -> {
                try {
                    barrier.complete(pass());
                } catch (RuntimeException e) {
                    barrier.completeExceptionally(e);
                } finally {
                    synchronized (this) {
                        running = false;
                        if (next != null) {
                            startNext();
                        }
                    }
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            running = false;
            barrier.completeExceptionally(new StoreException(StoreException.Kind.UNAVAILABLE, shard, "closed"));
        }
    }

    /** One linearizable read, then the wait for the local replica to reach its revision. */
    private long pass() {
        long revision = store.list(shard, PROBE, ReadConsistency.LINEARIZABLE).revision();
        long deadline = System.nanoTime() + timeout.toNanos();
        long local;
        while ((local = store.list(shard, PROBE, ReadConsistency.STALE).revision()) < revision) {
            if (System.nanoTime() - deadline > 0) {
                throw new StoreException(StoreException.Kind.UNAVAILABLE, shard, "this node's replica is at revision "
                        + local + ", behind " + revision + ", after " + timeout.toMillis() + " ms");
            }
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(LOCAL_POLL_MICROS));
        }
        return revision;
    }

    @Override
    public void close() {
        runner.shutdownNow();
    }
}
