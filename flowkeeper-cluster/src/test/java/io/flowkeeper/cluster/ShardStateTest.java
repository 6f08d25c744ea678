package io.flowkeeper.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.Operation;
import io.flowkeeper.api.store.Precondition;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.api.store.VersionedValue;
import io.flowkeeper.api.store.Watch;
import io.flowkeeper.api.store.WatchEvent;
import io.flowkeeper.api.store.WatchListener;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The shard's state without Raft: what every replica computes from the same transactions. */
class ShardStateTest {
    private final ShardState state = new ShardState("test", 4);

    private static Transaction put(String path, String json) {
        return Transaction.builder().put(path, json).build();
    }

    /** Collects a watch's events. */
    private static final class Events implements WatchListener {
        final List<WatchEvent> events = new CopyOnWriteArrayList<>();
        volatile String closed;

        @Override
        public void onEvent(WatchEvent event) {
            events.add(event);
        }

        @Override
        public void onClosed(String reason) {
            closed = reason;
        }

        List<String> lines() {
            return events.stream().map(e -> e.type() + " " + e.revision() + " " + e.path()).toList();
        }
    }

    @Test
    void everyWriteGetsTheNextRevisionAndKeysKeepTheirHistory() {
        assertThat(state.apply(put("/a", "1")).revision()).isEqualTo(1);
        assertThat(state.apply(put("/b", "2")).revision()).isEqualTo(2);
        assertThat(state.apply(put("/a", "3")).revision()).isEqualTo(3);
        assertThat(state.get("/a")).isEqualTo(new VersionedValue("/a", "3", 1, 3, 2));
        // A transaction that writes nothing (only preconditions) leaves the revision alone.
        ShardState.Outcome check = state.apply(new Transaction(List.of(Precondition.exists("/a")), List.of()));
        assertThat(check.succeeded()).isTrue();
        assertThat(check.revision()).isEqualTo(3);
        assertThat(state.revision()).isEqualTo(3);
    }

    @Test
    void aFailedPreconditionWritesNothingAndNamesItself() {
        state.apply(put("/ip/10.0.0.1", "{\"by\":1}"));
        Transaction claim = Transaction.builder().require(Precondition.absent("/ip/10.0.0.2"))
                .require(Precondition.absent("/ip/10.0.0.1")).put("/ip/10.0.0.1", "{\"by\":2}")
                .put("/ip/10.0.0.2", "{\"by\":2}").build();
        ShardState.Outcome o = state.apply(claim);
        assertThat(o.succeeded()).isFalse();
        assertThat(o.failedPrecondition()).isEqualTo(1);
        assertThat(o.toCommitResult(claim).failedPrecondition()).isEqualTo(Precondition.absent("/ip/10.0.0.1"));
        assertThat(state.get("/ip/10.0.0.2")).isNull();
        assertThat(state.revision()).isEqualTo(1);
        // mod-revision 0 means absent; the current mod revision matches.
        assertThat(state.apply(new Transaction(List.of(Precondition.modRevision("/ip/10.0.0.9", 0)), List.of()))
                .succeeded()).isTrue();
        assertThat(state.apply(new Transaction(List.of(Precondition.modRevision("/ip/10.0.0.1", 1)), List.of()))
                .succeeded()).isTrue();
        assertThat(state.apply(new Transaction(List.of(Precondition.modRevision("/ip/10.0.0.1", 2)), List.of()))
                .succeeded()).isFalse();
    }

    @Test
    void deletePrefixTakesTheSubtreeButNotSiblingsThatShareItsName() {
        state.apply(Transaction.builder().put("/n/net-1", "1").put("/n/net-1/p/1", "2").put("/n/net-10", "3")
                .put("/n/net-1.x", "4").build());
        state.apply(new Transaction(List.of(), List.of(Operation.deletePrefix("/n/net-1"))));
        assertThat(state.list(DataPath.ROOT)).extracting(VersionedValue::path)
                .containsExactly("/n/net-1.x", "/n/net-10");
        assertThat(state.snapshot(DataPath.of("/n")).revision()).isEqualTo(2);
    }

    @Test
    void aMalformedDeletePrefixIsRefusedBeforeAnythingChanges() {
        ShardState.Outcome o = state.apply(new Transaction(List.of(),
                List.of(Operation.put("/a", "1"), Operation.deletePrefix("no-slash"))));
        assertThat(o.succeeded()).isFalse();
        assertThat(o.error()).contains("no-slash");
        assertThat(state.get("/a")).isNull();
        assertThat(state.revision()).isZero();
    }

    @Test
    void aWatchResumesFromARememberedRevisionAndGetsAResetForAForgottenOne() {
        for (int i = 1; i <= 6; i++) {
            state.apply(put("/k/" + i, "" + i));
        }
        // History holds 4 changes: revisions 3..6. Resuming after 4 replays 5 and 6, then goes live.
        Events resumed = new Events();
        Events old = new Events();
        try (Watch w1 = state.watch(DataPath.of("/k"), 4, resumed, 100);
             Watch w2 = state.watch(DataPath.of("/k"), 1, old, 100)) {
            state.apply(put("/k/7", "7"));
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5)).until(() -> resumed.events.size() == 3 && old.events.size() == 9);
            assertThat(resumed.lines()).containsExactly("PUT 5 /k/5", "PUT 6 /k/6", "PUT 7 /k/7");
            assertThat(old.lines()).containsExactly("RESET 6 /k", "PUT 1 /k/1", "PUT 2 /k/2", "PUT 3 /k/3",
                    "PUT 4 /k/4", "PUT 5 /k/5", "PUT 6 /k/6", "SYNCED 6 /k", "PUT 7 /k/7");
        }
    }

    @Test
    void aWatchSeesOnlyItsPrefixAndAClosedWatchSaysWhy() {
        Events events = new Events();
        Watch w = state.watch(DataPath.of("/a"), 0, events, 100);
        state.apply(Transaction.builder().put("/a/1", "1").put("/b/1", "2").put("/ab", "3").build());
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5)).until(() -> events.events.size() == 1);
        assertThat(events.lines()).containsExactly("PUT 1 /a/1");
        w.close();
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5)).until(() -> "cancelled".equals(events.closed));
    }

    @Test
    void restoringAnImageResetsWatchersAndHistory() {
        state.apply(put("/a", "1"));
        Events events = new Events();
        try (Watch w = state.watch(DataPath.ROOT, 0, events, 100)) {
            ShardState other = new ShardState("test", 4);
            other.apply(put("/x", "9"));
            other.apply(put("/y", "8"));
            state.restore(other.capture());
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5)).until(() -> events.events.size() == 4);
            assertThat(events.lines()).containsExactly("RESET 2 /", "PUT 1 /x", "PUT 2 /y", "SYNCED 2 /");
            assertThat(state.digest()).isEqualTo(other.digest());
            assertThat(state.stats()).containsEntry("historyFloor", 2L);
        }
    }

    @Test
    void replicasThatApplyTheSameTransactionsHaveTheSameDigest() {
        ShardState a = new ShardState("s", 10);
        ShardState b = new ShardState("s", 1000);
        for (int i = 0; i < 50; i++) {
            Transaction t = i % 7 == 6 ? Transaction.builder().delete("/k/" + (i - 3)).build()
                    : put("/k/" + i, "{\"i\":" + i + "}");
            a.apply(t);
            b.apply(t);
        }
        assertThat(a.digest()).isEqualTo(b.digest()).hasSize(64);
        b.apply(put("/k/0", "{\"i\":0}")); // same document, new version and revision: a different state
        assertThat(a.digest()).isNotEqualTo(b.digest());
    }
}
