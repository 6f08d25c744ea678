package io.flowkeeper.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowkeeper.controller.local.FreePorts;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 15, D9's failure paths (its validation is in {@link RestHardeningTest}): {@code POST /v1/cluster/members}
 * with a member that cannot be reached answers a JSON error within the request timeout (3 s here) plus a second,
 * with no Ratis text, no exception escaping a library thread, and the cluster left as it was, on a one-node cluster
 * in this JVM (real Ratis, real Jetty).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class MemberAddTimeoutTest {
    /** request-timeout 3 s + the second RestServer adds + slack for a loaded 2-core machine. */
    private static final long ANSWER_MS = 3_000 + 1_000 + 1_500;
    private final List<String> escaped = new CopyOnWriteArrayList<>();
    private Thread.UncaughtExceptionHandler previous;
    /** gRPC reports what escapes its executors through java.util.logging, not SLF4J. */
    private final Handler jul = new Handler() {
        @Override
        public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.SEVERE.intValue()) {
                escaped.add("JUL " + r.getLoggerName() + ": " + r.getMessage()
                        + (r.getThrown() == null ? "" : " " + r.getThrown()));
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };
    private SoloNode solo;
    private RestClient api;

    @BeforeAll
    void start() throws Exception {
        previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> escaped.add("uncaught in " + t.getName() + ": " + e));
        Logger.getLogger("").addHandler(jul);
        solo = new SoloNode("").start();
        api = solo.client();
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (solo != null) {
                solo.close();
            }
        } finally {
            Logger.getLogger("").removeHandler(jul);
            Thread.setDefaultUncaughtExceptionHandler(previous);
        }
        assertThat(escaped).isEmpty();
    }

    private RestClient.Response add(String id, String address) throws IOException {
        return api.post("/v1/cluster/members", "{\"id\":\"" + id + "\",\"address\":\"" + address + "\"}");
    }

    private static void assertNoLibraryText(RestClient.Response r) {
        assertThat(r.error()).doesNotContainIgnoringCase("exception").doesNotContainIgnoringCase("ratis")
                .doesNotContainIgnoringCase("grpc").doesNotContain("org.apache").doesNotContain("io.netty");
    }

    /** The cluster is as it was: one member, writes served. */
    private void assertUnharmed(String key) throws IOException {
        assertThat(api.get("/v1/cluster/members").body().path("members").size()).isEqualTo(1);
        assertThat(api.put("/v1/datastore/network-config/d9/" + key, "{}").status()).isEqualTo(200);
    }

    @Test
    void aPortNobodyListensOnIsRefusedAtOnceNamingWhy() throws Exception {
        String dead = "127.0.0.1:" + FreePorts.next();
        long t0 = System.nanoTime();
        RestClient.Response r = add("n9", dead);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(r.status()).as(r.body().toString()).isEqualTo(503);
        assertThat(ms).as("answered after %d ms", ms).isLessThan(ANSWER_MS);
        assertThat(r.error()).contains("n9", dead, "does not accept connections");
        assertNoLibraryText(r);
        assertUnharmed("refused");
    }

    /**
     * A peer that accepts the connection and never says a word (a hung process, a black-holing middlebox): Ratis
     * stages the change and retries; the REST answer comes within the timeout, the change is given up, and the next
     * one is not queued behind it.
     */
    @Test
    void aPeerThatAcceptsAndNeverAnswersIsAnsweredWithinTheRequestTimeout() throws Exception {
        List<Socket> held = new CopyOnWriteArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(silent.accept()); // held open, never read or written
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            }, "silent-peer");
            acceptor.setDaemon(true);
            acceptor.start();
            String address = "127.0.0.1:" + silent.getLocalPort();
            for (String id : List.of("n7", "n8")) {
                long t0 = System.nanoTime();
                RestClient.Response r = add(id, address);
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertThat(r.status()).as(r.body().toString()).isEqualTo(503);
                assertThat(ms).as("%s answered after %d ms", id, ms).isLessThan(ANSWER_MS);
                assertThat(r.error()).contains(id, address);
                assertNoLibraryText(r);
                assertUnharmed("silent-" + id);
            }
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
        Thread.sleep(5_000); // whatever Ratis still does with the given-up changes, before stop() checks escapes
        assertUnharmed("silent-later");
    }
}
