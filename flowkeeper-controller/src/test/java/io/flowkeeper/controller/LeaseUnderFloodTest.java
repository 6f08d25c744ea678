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
 * A REST flood against the lease (issue 15: 800 ms leases lapsed 8 times during REST floods). The renewals run on
 * the lease keeper's own thread and REST work is capped by its pools; health checks are answered by Jetty's I/O
 * threads. Floods a one-node cluster with 64 in-process clients writing and reading for 8 s, after an 8 s idle
 * window, and requires: requests served, every health check answered, the lease held again within 5 s after the
 * flood. Lapses and the slowest health check are printed, not asserted: on the shared 2-core host this was written
 * on, floods at load averages of 20-60 still cost 1-8 lapses and health checks of up to 1.6 s (docs/security.md),
 * so "zero lapses" is a goal this test measures, not one the node meets yet.
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
            node.lease().addListener(held -> {
                if (!held) {
                    lapses.incrementAndGet();
                }
            });
            Thread.sleep(8_000); // the same time without REST traffic, to compare
            int idleLapses = lapses.getAndSet(0);
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
            System.out.printf("lease lapses: %d in 8 s idle, %d in the 8 s flood (%d requests served, %d refused or"
                    + " failed; slowest health check %d ms)%n", idleLapses, lapses.get(), served.get(), refused.get(),
                    slowestHealthMs);
            assertThat(served.get()).as("requests served").isGreaterThan(100);
            long heldBy = System.currentTimeMillis() + 5_000;
            while (!node.lease().isHeld() && System.currentTimeMillis() < heldBy) {
                Thread.sleep(50);
            }
            assertThat(node.lease().isHeld()).as("lease held again after the flood").isTrue();
        }
    }
}
