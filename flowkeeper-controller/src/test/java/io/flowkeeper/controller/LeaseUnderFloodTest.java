package io.flowkeeper.controller;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A REST flood against the lease (issue 15: 800 ms leases lapsed 8 times during REST floods). Floods a one-node
 * cluster with 64 in-process clients writing and reading for 8 s, after an 8 s idle window, and requires: requests
 * served, every health check answered, the lease held again within 5 s after the flood, and two things about the
 * lease during the flood:
 * <ul>
 * <li>always: it was held for at least a quarter of the flood. An API flood that starves the renewals (renewals queued
 * behind API work, or sharing its threads) leaves the lease lost for most of it; a saturated host only delays some
 * renewals, each lapse ending at the next one that commits.
 * <li>when the host is quiet enough to say something (no lapse in the idle window, a load average below twice
 * the CPUs before the flood, and other processes using less than a quarter of one CPU during it): no lapse at all. On a host whose other processes oversubscribe the CPUs the idle window lapses too, or
 * the flood's lapses come from waiting for a CPU, not from the flood's requests (docs/security.md has the
 * measurements): the test then prints why it did not judge, and passes.
 * </ul>
 *
 * <p>Lapses are printed with where the time went: GC, and for each thread of this JVM the time it ran and the time it
 * was runnable but waiting for a CPU (Linux schedstat), plus the nice values its priorities became. The node runs its
 * lease threads and the Raft threads that commit a renewal at the highest priority and its API threads at the lowest
 * (LeaseKeeper, ClusterNode.prioritize, RestServer; -XX:ThreadPriorityPolicy=1 in the surefire argLine, as
 * bin/flowkeeper sets for nodes).
 */
@Timeout(120)
@Tag("integration")
class LeaseUnderFloodTest {
    @Test
    void aRestFloodLeavesHealthAnsweringAndTheLeaseHeldAfterwards() throws Exception {
        try (SoloNode solo = new SoloNode("").start()) {
            ControllerNode node = solo.node();
            long deadline = System.currentTimeMillis() + 10_000;
            while (!node.lease().isHeld() && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
            assertThat(node.lease().isHeld()).as("lease held before the flood").isTrue();
            AtomicInteger lapses = new AtomicInteger();
            // nanoTime when the lease last lapsed (0 while held) and the nanoseconds it was not held since reset
            AtomicLong lostSince = new AtomicLong();
            AtomicLong notHeldNanos = new AtomicLong();
            node.lease().addListener(held -> {
                if (!held) {
                    lapses.incrementAndGet();
                    lostSince.compareAndSet(0, System.nanoTime());
                } else {
                    long since = lostSince.getAndSet(0);
                    if (since != 0) {
                        notHeldNanos.addAndGet(System.nanoTime() - since);
                    }
                }
            });
            Thread.sleep(8_000); // the same time without REST traffic, to compare
            int idleLapses = lapses.getAndSet(0);
            double load = loadAverage();
            int cpus = Runtime.getRuntime().availableProcessors();
            long floodStart = System.nanoTime();
            notHeldNanos.set(0);
            lostSince.set(node.lease().isHeld() ? 0 : floodStart);
            java.util.Map<String, long[]> schedBefore = schedByThread();
            long gcBefore = gcMillis();
            long othersBefore = otherProcessesCpuTicks();
            AtomicLong served = new AtomicLong();
            AtomicLong refused = new AtomicLong();
            long end = System.currentTimeMillis() + 8_000;
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < 64; c++) {
                int id = c;
                Thread t = new Thread(() -> {
                    RestClient api = solo.client();
                    for (int i = 0; System.currentTimeMillis() < end; i++) {
                        try {
                            RestClient.Response r = i % 2 == 0
                                    ? api.put("/v1/datastore/network-config/flood/c" + id, "{\"i\":" + i + "}")
                                    : api.get("/v1/cluster");
                            (r.ok() ? served : refused).incrementAndGet();
                        } catch (java.io.IOException e) {
                            refused.incrementAndGet();
                        }
                    }
                }, "flood-" + c);
                t.start();
                clients.add(t);
            }
            long slowestHealthMs = 0;
            RestClient health = new RestClient(solo.client().baseUrl(), null);
            while (System.currentTimeMillis() < end - 500) {
                long t0 = System.nanoTime();
                assertThat(health.get("/v1/health").status()).isEqualTo(200);
                slowestHealthMs = Math.max(slowestHealthMs, (System.nanoTime() - t0) / 1_000_000);
                Thread.sleep(250);
            }
            for (Thread t : clients) {
                t.join();
            }
            int floodLapses = lapses.get();
            long floodNanos = System.nanoTime() - floodStart;
            // the load average lags by a minute and says nothing about other processes starting during the flood
            long othersAfter = otherProcessesCpuTicks();
            long othersMs = othersBefore < 0 || othersAfter < 0 ? Long.MAX_VALUE
                    : (othersAfter - othersBefore) * 1000 / CLOCK_TICKS;
            long since = lostSince.get();
            long notHeldMs = (notHeldNanos.get() + (since == 0 ? 0 : System.nanoTime() - since)) / 1_000_000;
            System.out.printf("lease lapses: %d in 8 s idle, %d in the 8 s flood (%d requests served, %d refused or"
                    + " failed; slowest health check %d ms)%n", idleLapses, floodLapses, served.get(), refused.get(),
                    slowestHealthMs);
            java.util.Map<String, long[]> schedAfter = schedByThread();
            System.out.printf("during the flood: GC %d ms; per thread (name, digits folded): ms on a CPU / ms"
                    + " runnable but waiting for one (Linux schedstat):%n", gcMillis() - gcBefore);
            schedAfter.forEach((name, after) -> {
                long[] before = schedBefore.getOrDefault(name, new long[2]);
                long cpu = (after[0] - before[0]) / 1_000_000;
                long wait = (after[1] - before[1]) / 1_000_000;
                if (cpu + wait >= 50 || name.startsWith("lease") || name.startsWith("solo")) {
                    System.out.printf("  %-16s %6d / %6d%n", name, cpu, wait);
                }
            });
            System.out.println("nice of this JVM's threads: " + niceByThread());
            System.out.printf("lease not held for %d of the flood's %d ms; load average %.1f on %d CPUs before it%n",
                    notHeldMs, floodNanos / 1_000_000, load, cpus);
            assertThat(served.get()).as("requests served").isGreaterThan(100);
            // Renewals starved by the flood leave the lease lost for nearly all of it; a loaded host's lapses are short.
            assertThat(notHeldMs).as("ms of the %d ms flood without the lease", floodNanos / 1_000_000)
                    .isLessThan(floodNanos / 1_000_000 * 3 / 4);
            boolean othersQuiet = othersMs < floodNanos / 1_000_000 / 4;
            System.out.printf("other processes used %d ms of CPU during the %d ms flood%n", othersMs,
                    floodNanos / 1_000_000);
            if (idleLapses == 0 && load < 2.0 * cpus && othersQuiet) {
                assertThat(floodLapses).as("lease lapses in the flood, on a host quiet enough that the idle window"
                        + " had none (load average %.1f, %d CPUs; other processes %d ms of CPU in the flood)", load,
                        cpus, othersMs).isZero();
            } else {
                System.out.printf("lapses in the flood not judged: %d in the idle window, load average %.1f on %d"
                        + " CPUs, other processes %d ms of CPU in the flood (the host, not the flood, decides lapses"
                        + " then)%n", idleLapses, load, cpus, othersMs);
            }
            long heldBy = System.currentTimeMillis() + 5_000;
            while (!node.lease().isHeld() && System.currentTimeMillis() < heldBy) {
                Thread.sleep(50);
            }
            assertThat(node.lease().isHeld()).as("lease held again after the flood").isTrue();
        }
    }

    /** Thread name (digits folded) to the nice values its threads run at, from /proc: what priorities became. */
    private static java.util.Map<String, java.util.Set<Integer>> niceByThread() throws java.io.IOException {
        java.util.Map<String, java.util.Set<Integer>> out = new java.util.TreeMap<>();
        try (var tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/task"))) {
            for (java.nio.file.Path task : (Iterable<java.nio.file.Path>) tasks::iterator) {
                try {
                    String stat = java.nio.file.Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9]+", "#");
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    out.computeIfAbsent(name, k -> new java.util.TreeSet<>()).add(Integer.parseInt(f[16]));
                } catch (java.io.IOException gone) {
                    // the thread ended meanwhile
                }
            }
        }
        out.values().removeIf(v -> v.equals(java.util.Set.of(0)));
        return out;
    }

    /** Thread name (digits folded) to its threads' summed [ns on a CPU, ns runnable waiting for a CPU]. */
    private static java.util.Map<String, long[]> schedByThread() throws java.io.IOException {
        java.util.Map<String, long[]> out = new java.util.TreeMap<>();
        try (var tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/task"))) {
            for (java.nio.file.Path task : (Iterable<java.nio.file.Path>) tasks::iterator) {
                try {
                    String name = java.nio.file.Files.readString(task.resolve("comm")).strip().replaceAll("[0-9]+", "#");
                    String[] f = java.nio.file.Files.readString(task.resolve("schedstat")).strip().split(" ");
                    long[] sum = out.computeIfAbsent(name, k -> new long[2]);
                    sum[0] += Long.parseLong(f[0]);
                    sum[1] += Long.parseLong(f[1]);
                } catch (java.io.IOException gone) {
                    // the thread ended meanwhile
                }
            }
        }
        return out;
    }

    /** The host's one-minute load average (infinite, so nothing is judged, where /proc/loadavg cannot be read). */
    private static double loadAverage() {
        try {
            return Double.parseDouble(java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg"))
                    .split(" ")[0]);
        } catch (java.io.IOException | RuntimeException e) {
            return Double.POSITIVE_INFINITY;
        }
    }

    /** Linux's USER_HZ: /proc/stat and /proc/PID/stat count CPU time in these. */
    private static final long CLOCK_TICKS = 100;

    /**
     * CPU ticks the whole host spent busy minus those of this JVM (/proc/stat against /proc/self/stat): what other
     * processes took from the node; -1 (nothing is judged) where /proc cannot be read.
     */
    private static long otherProcessesCpuTicks() {
        try {
            String[] cpu = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/stat")).get(0).trim()
                    .split("\\s+");
            long busy = 0;
            for (int i : new int[] {1, 2, 3, 8}) { // user, nice, system, steal (irq and softirq: mostly our own I/O)
                busy += i < cpu.length ? Long.parseLong(cpu[i]) : 0;
            }
            String self = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat"));
            String[] f = self.substring(self.lastIndexOf(')') + 2).split(" ");
            return busy - Long.parseLong(f[11]) - Long.parseLong(f[12]); // utime, stime (fields 14 and 15)
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
    }

    private static long gcMillis() {
        return java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(java.lang.management.GarbageCollectorMXBean::getCollectionTime).sum();
    }
}
