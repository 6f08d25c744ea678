package io.flowkeeper.controller.mastership;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs its tasks one at a time, in submission order, on threads borrowed from a shared pool: what a thread per
 * switch gave (role changes, programming and statistics never interleave for one switch) without a thousand idle
 * threads for a thousand switches. Each task happens-before the next (the queue hands them over). After
 * {@link #shutdown()}, new tasks are refused and those already queued still run.
 */
final class SerialExecutor implements Executor {
    private final Executor pool;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile boolean shutdown;

    SerialExecutor(Executor pool) {
        this.pool = pool;
    }

    @Override
    public void execute(Runnable task) {
        if (shutdown) {
            throw new RejectedExecutionException("shut down");
        }
        tasks.add(task);
        schedule();
    }

    private void schedule() {
        if (!tasks.isEmpty() && running.compareAndSet(false, true)) {
            pool.execute(this::runAll);
        }
    }

    private void runAll() {
        try {
            for (Runnable task; (task = tasks.poll()) != null; ) {
                task.run();
            }
        } finally {
            running.set(false);
            schedule(); // a task added after the last poll, before the flag was cleared
        }
    }

    void shutdown() {
        shutdown = true;
    }
}
