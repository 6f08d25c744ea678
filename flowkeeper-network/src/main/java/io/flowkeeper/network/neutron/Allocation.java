package io.flowkeeper.network.neutron;

import io.flowkeeper.network.Ipv4;
import io.flowkeeper.network.NetworkSettings.Range;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.LongPredicate;
import java.util.function.Supplier;

/**
 * Picks free candidates (addresses, segment ids, MACs) from this replica's view. A pick is only a guess: it becomes
 * an allocation when the transaction claiming it commits with the claim's absence as a precondition. Picks are
 * random among the free candidates so that writers on several nodes racing for one pool rarely choose the same one.
 */
final class Allocation {
    /**
     * Random point probes before a pick reads every claim of the pool: a pool at least half free misses all of them
     * with odds of 1 in 65,536, and a hit costs one lookup whatever the pool's size.
     */
    static final int POINT_PROBES = 16;
    /** Pools up to this size are enumerated once the point probes missed; larger ones are probed more first. */
    private static final long ENUMERATE_LIMIT = 1 << 16;
    private static final int PROBES = 4096;

    private Allocation() {}

    /**
     * A random free value from inclusive ranges ({@code [first, last]} pairs), or -1 when none is free. Probes at
     * random asking {@code isTaken} (a point read of one claim), so a port create in a large, mostly free subnet
     * does not read its thousands of claims; only when {@link #POINT_PROBES} probes in a row are taken (a nearly full
     * pool) does it read them all ({@code allTaken}) and pick among the free values.
     */
    static long pickFree(List<long[]> ranges, LongPredicate isTaken, Supplier<Set<Long>> allTaken, Random random) {
        long total = 0;
        for (long[] r : ranges) {
            total += r[1] - r[0] + 1;
        }
        if (total <= 0) {
            return -1;
        }
        for (int i = 0; i < POINT_PROBES; i++) {
            long value = nth(ranges, (long) (random.nextDouble() * total));
            if (!isTaken.test(value)) {
                return value;
            }
        }
        Set<Long> taken = allTaken.get();
        if (total > ENUMERATE_LIMIT) {
            for (int i = 0; i < PROBES; i++) {
                long value = nth(ranges, (long) (random.nextDouble() * total));
                if (!taken.contains(value)) {
                    return value;
                }
            }
            // A nearly full huge pool: fall through to enumerating (rare, and bounded by ENUMERATE_LIMIT misses).
        }
        List<Long> free = new ArrayList<>();
        for (long[] r : ranges) {
            for (long v = r[0]; v <= r[1]; v++) {
                if (!taken.contains(v)) {
                    free.add(v);
                }
            }
        }
        return free.isEmpty() ? -1 : free.get(random.nextInt(free.size()));
    }

    private static long nth(List<long[]> ranges, long n) {
        for (long[] r : ranges) {
            long size = r[1] - r[0] + 1;
            if (n < size) {
                return r[0] + n;
            }
            n -= size;
        }
        throw new IllegalArgumentException("index beyond the ranges");
    }

    static List<long[]> segmentRanges(Collection<Range> ranges) {
        List<long[]> out = new ArrayList<>();
        ranges.forEach(r -> out.add(new long[] {r.min(), r.max()}));
        return out;
    }

    static Set<Long> numbers(Collection<String> names) {
        Set<Long> out = new HashSet<>();
        for (String n : names) {
            try {
                out.add(Long.parseLong(n));
            } catch (NumberFormatException ignored) {
                // not a segment claim
            }
        }
        return out;
    }

    static Set<Long> addresses(Collection<String> names) {
        Set<Long> out = new HashSet<>();
        names.forEach(n -> out.add(Ipv4.parse(n)));
        return out;
    }

    /** A locally administered unicast MAC under {@code base} (3 bytes) with 3 random bytes. */
    static String randomMac(int[] base, Random random) {
        return String.format("%02x:%02x:%02x:%02x:%02x:%02x", base[0], base[1], base[2], random.nextInt(256),
                random.nextInt(256), random.nextInt(256));
    }
}
