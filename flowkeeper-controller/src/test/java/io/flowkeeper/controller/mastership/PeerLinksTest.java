package io.flowkeeper.controller.mastership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flowkeeper.api.ownership.NodeLease;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Peer links on loopback: a process that goes away is reported gone at once, with the incarnation it had; a link
 * that is reset while the process behind it still listens is not a death, and is linked again.
 */
@Timeout(60)
class PeerLinksTest {
    private final List<String> gone = new CopyOnWriteArrayList<>();
    private PeerLinks a;
    private PeerLinks b;

    @AfterEach
    void close() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
    }

    private final List<String> linkedFrom = new CopyOnWriteArrayList<>();

    private void start() throws Exception {
        b = new PeerLinks("b", "b-1", "127.0.0.1", List::of, new PeerLinks.Listener() {
            @Override
            public void peerGone(String node, String incarnation) {
            }

            @Override
            public void peerLinkedFrom(String node, String incarnation) {
                linkedFrom.add(node + "/" + incarnation);
            }
        });
        String bAddress = b.address();
        a = new PeerLinks("a", "a-1", "127.0.0.1",
                () -> List.of(new NodeLease("b", "b-1", true, 1, "127.0.0.1:1", bAddress)),
                (node, incarnation) -> gone.add(node + "/" + incarnation));
        b.start();
        a.start();
        awaitLinked(); // a links to b at its first scan
    }

    private void awaitLinked() {
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5)).until(() -> a.linkedTo("b"));
    }

    @Test
    void aProcessThatGoesAwayIsReportedGoneAtOnce() throws Exception {
        start();
        long closed = System.nanoTime();
        b.close();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5)).until(() -> !gone.isEmpty());
        // At once: well within one 800 ms lease, which is what early detection saves (~5-10 ms on an idle host).
        assertThat(Duration.ofNanos(System.nanoTime() - closed)).isLessThan(Duration.ofMillis(800));
        assertThat(gone).containsExactly("b/b-1");
    }

    @Test
    void aLinkResetWhileThePeerStillListensIsNoDeath() throws Exception {
        start();
        b.resetIncomingLinks();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(1)).until(() -> !a.linkedTo("b"));
        awaitLinked(); // the probe was answered with b's incarnation, and a linked again at its next scan
        assertThat(gone).isEmpty();
        b.resetIncomingLinks();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(1)).until(() -> !a.linkedTo("b"));
        awaitLinked();
        assertThat(gone).isEmpty();
        b.close();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5)).until(() -> !gone.isEmpty());
        assertThat(gone).containsExactly("b/b-1");
    }

    /** The linking node names itself and its incarnation: how a restarted node is known before its lease commits. */
    @Test
    void theLinkingPeerNamesItsIncarnation() throws Exception {
        start();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5)).until(() -> !linkedFrom.isEmpty());
        assertThat(linkedFrom).containsExactly("a/a-1");
        b.resetIncomingLinks(); // a links again: the same incarnation named again
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5)).until(() -> linkedFrom.size() == 2);
        assertThat(linkedFrom).containsOnly("a/a-1");
        assertThat(gone).isEmpty();
    }
}
