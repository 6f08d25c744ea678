package io.flowkeeper.controller;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An API flood must not cost the node its lease (issue 15: 800 ms leases lapsed 8 times during REST floods): the
 * renewals run on the lease keeper's own thread, and the REST server takes at most its bounded API pool, so
 * renewals keep their turn in Raft. Floods a node with 64 concurrent clients writing and reading for 8 s while
 * counting every lapse of its lease, after 8 s without traffic that must show none (else the host is too loaded
 * for the comparison and the test is skipped, saying so). Timing-sensitive: on a shared, overloaded host a flood
 * can still cost a lapse (see docs/security.md).
 */
@Timeout(120)
class LeaseUnderFloodTest {
    @Test
    void floodingTheRestPortNeverLapsesTheLease() throws Exception {
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
            // The same time without any REST traffic first: on a host so loaded that the lease lapses anyway, this
            // test could not tell what the flood did, and says so instead of passing or failing.
            Thread.sleep(8_000);
            int idleLapses = lapses.getAndSet(0);
            System.out.printf("idle: %d lease lapses in 8 s%n", idleLapses);
            Assumptions.assumeTrue(idleLapses == 0, "host too loaded to judge: the lease lapsed " + idleLapses
                    + " times in 8 s without any REST traffic");
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
            for (Thread t : clients) {
                t.join();
            }
            System.out.printf("flood: %d requests served, %d refused or failed, %d lease lapses%n", served.get(),
                    refused.get(), lapses.get());
            assertThat(served.get()).as("requests served").isGreaterThan(500);
            assertThat(lapses.get()).as("lease lapses during the flood").isZero();
            assertThat(node.lease().isHeld()).isTrue();
        }
    }
}
