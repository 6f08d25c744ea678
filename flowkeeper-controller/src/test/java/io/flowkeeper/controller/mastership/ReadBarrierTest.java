package io.flowkeeper.controller.mastership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.StoreException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link ReadBarrier} over a shard whose leader and local replica are two counters: a linearizable read answers the
 * leader's revision when it starts (and can be held open), a stale read the local replica's.
 */
@Timeout(20)
class ReadBarrierTest {
    private final AtomicLong leader = new AtomicLong(5);
    private final AtomicLong local = new AtomicLong(5);
    private final AtomicInteger linearizableReads = new AtomicInteger();
    private volatile CountDownLatch hold = new CountDownLatch(0);
    private volatile RuntimeException failure;
    private final DatastoreService store = (DatastoreService) Proxy.newProxyInstance(
            DatastoreService.class.getClassLoader(), new Class<?>[] {DatastoreService.class}, (proxy, method, args) -> {
                if (!method.getName().equals("list")) {
                    throw new UnsupportedOperationException(method.getName());
                }
                if (args[2] == ReadConsistency.STALE) {
                    return new DatastoreService.Snapshot(local.get(), List.of());
                }
                linearizableReads.incrementAndGet();
                long revision = leader.get(); // what the read index covers: writes committed before it started
                hold.await();
                if (failure != null) {
                    throw failure;
                }
                return new DatastoreService.Snapshot(revision, List.of());
            });
    private final ReadBarrier barrier = new ReadBarrier(store, "inventory-config", Duration.ofMillis(500));
    /** A thread per caller: every caller is waiting at once, whatever the machine's core count. */
    private final java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newCachedThreadPool();

    @AfterEach
    void close() {
        hold.countDown();
        barrier.close();
        callers.shutdownNow();
    }

    @Test
    void callersThatArriveDuringABarrierShareTheNextOneAndNoneSharesOneStartedBeforeIt() throws Exception {
        hold = new CountDownLatch(1);
        CompletableFuture<Long> first = CompletableFuture.supplyAsync(barrier::await, callers);
        await().atMost(Duration.ofSeconds(5)).until(() -> linearizableReads.get() == 1);

        // A write commits after the first barrier's read started: the callers from now on must see it.
        leader.set(6);
        local.set(6);
        List<CompletableFuture<Long>> later = new ArrayList<>();
        AtomicInteger arrived = new AtomicInteger();
        for (int i = 0; i < 20; i++) {
            later.add(CompletableFuture.supplyAsync(() -> {
                arrived.incrementAndGet();
                return barrier.await();
            }, callers));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> arrived.get() == 20);
        Thread.sleep(100);
        assertThat(linearizableReads).as("nothing starts while a barrier is under way").hasValue(1);
        hold.countDown();

        assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo(5);
        for (CompletableFuture<Long> f : later) {
            assertThat(f.get(5, TimeUnit.SECONDS)).as("a barrier started after the call").isEqualTo(6);
        }
        assertThat(linearizableReads).as("21 callers, 2 reads").hasValue(2);
    }

    @Test
    void aBarrierReturnsOnlyOnceTheLocalReplicaHasAppliedTheRevisionRead() throws Exception {
        leader.set(9); // committed at 9, applied here only up to 5 so far
        CompletableFuture<Long> call = CompletableFuture.supplyAsync(barrier::await, callers);
        Thread.sleep(100);
        assertThat(call).isNotDone();
        local.set(9);
        assertThat(call.get(5, TimeUnit.SECONDS)).isEqualTo(9);
    }

    @Test
    void aReplicaThatStaysBehindOrAShardThatCannotBeReadIsAStoreErrorAndTheNextCallTriesAgain() {
        leader.set(9);
        assertThatThrownBy(barrier::await).isInstanceOf(StoreException.class).hasMessageContaining("behind 9");
        failure = new StoreException(StoreException.Kind.UNAVAILABLE, "inventory-config", "no quorum");
        assertThatThrownBy(barrier::await).isInstanceOf(StoreException.class).hasMessageContaining("no quorum");
        failure = null;
        local.set(9);
        assertThat(barrier.await()).isEqualTo(9);
    }
}
