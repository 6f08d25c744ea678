package io.flowkeeper.network.neutron;

import io.flowkeeper.network.Ipv4;
import io.flowkeeper.network.NetworkSettings.Range;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Picks free candidates (addresses, segment ids, MACs) from this replica's view. A pick is only a guess: it becomes
 * an allocation when the transaction claiming it commits with the claim's absence as a precondition. Picks are
 * random among the free candidates so that writers on several nodes racing for one pool rarely choose the same one.
 */
final class Allocation {
    /** Pools up to this size are enumerated; larger ones are probed at random. */
    private static final long ENUMERATE_LIMIT = 1 << 16;
    private static final int PROBES = 4096;

    private Allocation() {}

    /** A random free value from inclusive ranges ({@code [first, last]} pairs), or -1 when none is free. */
    static long pickFree(List<long[]> ranges, Set<Long> taken, Random random) {
        long total = 0;
        for (long[] r : ranges) {
            total += r[1] - r[0] + 1;
        }
        if (total <= 0) {
            return -1;
        }
        if (total > ENUMERATE_LIMIT) {
            for (int i = 0; i < PROBES; i++) {
                long n = (long) (random.nextDouble() * total);
                long value = nth(ranges, n);
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
