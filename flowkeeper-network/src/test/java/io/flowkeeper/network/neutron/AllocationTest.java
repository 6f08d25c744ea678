package io.flowkeeper.network.neutron;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Picking free values: point probes in a mostly free pool, every claim read only when the pool is nearly full. */
class AllocationTest {
    private final Random random = new Random(7);

    @Test
    void aMostlyFreePoolIsPickedFromWithAFewPointReadsAndNeverReadWhole() {
        List<long[]> pool = List.of(new long[] {10, 65_000});
        Set<Long> taken = new HashSet<>();
        for (long v = 10; v < 30_000; v++) {
            taken.add(v);
        }
        AtomicInteger probes = new AtomicInteger();
        for (int i = 0; i < 1_000; i++) {
            long v = Allocation.pickFree(pool, x -> {
                probes.incrementAndGet();
                return taken.contains(x);
            }, () -> {
                throw new AssertionError("read every claim of a pool more than half free");
            }, random);
            assertThat(v).isBetween(30_000L, 65_000L);
        }
        assertThat(probes.get()).isLessThan(3_000);
    }

    @Test
    void aNearlyFullPoolFindsItsLastFreeValuesAndAFullOneNone() {
        List<long[]> pool = List.of(new long[] {1, 100}, new long[] {201, 300});
        Set<Long> taken = new HashSet<>();
        for (long v = 1; v <= 300; v++) {
            if (v != 42 && v != 250) {
                taken.add(v);
            }
        }
        Set<Long> picked = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            picked.add(Allocation.pickFree(pool, taken::contains, () -> new HashSet<>(taken), random));
        }
        assertThat(picked).containsExactlyInAnyOrder(42L, 250L);
        taken.add(42L);
        taken.add(250L);
        assertThat(Allocation.pickFree(pool, taken::contains, () -> new HashSet<>(taken), random)).isEqualTo(-1);
        assertThat(Allocation.pickFree(List.of(), v -> false, HashSet::new, random)).isEqualTo(-1);
    }
}
