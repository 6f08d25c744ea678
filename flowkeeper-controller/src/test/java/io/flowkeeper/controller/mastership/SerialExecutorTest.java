package io.flowkeeper.controller.mastership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** One switch's queue on a shared pool: its tasks run one at a time and in order, while other queues run beside it. */
@Timeout(20)
class SerialExecutorTest {
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    @Test
    void tasksOfOneQueueRunOneAtATimeInOrderAndQueuesRunInParallel() {
        int queues = 20;
        int tasks = 500;
        List<List<Integer>> seen = new ArrayList<>();
        AtomicInteger overlaps = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        for (int q = 0; q < queues; q++) {
            SerialExecutor serial = new SerialExecutor(pool);
            List<Integer> order = new ArrayList<>(); // not thread-safe on purpose: the queue must confine it
            seen.add(order);
            AtomicInteger inside = new AtomicInteger();
            for (int t = 0; t < tasks; t++) {
                int n = t;
                serial.execute(() -> {
                    if (inside.incrementAndGet() != 1) {
                        overlaps.incrementAndGet();
                    }
                    order.add(n);
                    inside.decrementAndGet();
                    done.incrementAndGet();
                });
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> done.get() == queues * tasks);
        assertThat(overlaps.get()).isZero();
        for (List<Integer> order : seen) {
            assertThat(order).hasSize(tasks).isSorted();
        }
    }

    @Test
    void afterShutdownNewTasksAreRefusedAndQueuedOnesStillRun() {
        SerialExecutor serial = new SerialExecutor(pool);
        AtomicInteger ran = new AtomicInteger();
        serial.execute(() -> sleep(100));
        serial.execute(ran::incrementAndGet);
        serial.shutdown();
        assertThatThrownBy(() -> serial.execute(ran::incrementAndGet)).isInstanceOf(RejectedExecutionException.class);
        await().atMost(Duration.ofSeconds(5)).until(() -> ran.get() == 1);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
