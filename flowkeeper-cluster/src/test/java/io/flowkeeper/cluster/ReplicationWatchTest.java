package io.flowkeeper.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.StoreException;
import io.flowkeeper.api.store.Transaction;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.server.RaftServerRpcWithProxy;
import org.junit.jupiter.api.Test;

/** The leader's watch over followers that answer heartbeats but take no entries: the rules, then real Ratis. */
class ReplicationWatchTest {
    private static final long MS = 1_000_000;
    /** Redial after 3 s, then every 10 s; step down 5 s after a redial, then every 30 s; "answering": 1 s. */
    private final ReplicationWatch watch = new ReplicationWatch(3_000, 10_000, 5_000, 30_000, 1_000);

    private static ReplicationWatch.Sample sample(long ms, long term, long last, long commit,
                                                  ReplicationWatch.Follower... followers) {
        return new ReplicationWatch.Sample(ms * MS, term, last, commit, 1, List.of(followers));
    }

    private static ReplicationWatch.Follower f(String id, long match, long heardMs) {
        return new ReplicationWatch.Follower(id, match, match + 1, heardMs, false);
    }

    @Test
    void aFollowerThatAnswersButTakesNoEntriesIsRedialledOnceThenTheLeaderStepsDown() {
        assertThat(watch.observe("s", sample(0, 5, 100, 90, f("n1", 90, 50)))).isEmpty();
        assertThat(watch.observe("s", sample(2_900, 5, 100, 90, f("n1", 90, 50)))).isEmpty();
        var redial = watch.observe("s", sample(3_000, 5, 100, 90, f("n1", 90, 50)));
        assertThat(redial).extracting(ReplicationWatch.Action::kind, ReplicationWatch.Action::follower)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(ReplicationWatch.Action.Kind.REDIAL, "n1"));
        assertThat(redial.get(0).why()).contains("match index 90", "log's 100", "3000 ms");
        assertThat(watch.observe("s", sample(5_000, 5, 100, 90, f("n1", 90, 50)))).isEmpty(); // once per 10 s
        assertThat(watch.observe("s", sample(7_900, 5, 100, 90, f("n1", 90, 50)))).isEmpty(); // 5 s after it
        var down = watch.observe("s", sample(8_000, 5, 100, 90, f("n1", 90, 50)));
        assertThat(down).extracting(ReplicationWatch.Action::kind).containsExactly(ReplicationWatch.Action.Kind.STEP_DOWN);
        assertThat(watch.observe("s", sample(9_000, 5, 100, 90, f("n1", 90, 50)))).isEmpty(); // once per 30 s
        // Re-elected at a higher term: the new leadership's appenders are new; its own clock starts.
        assertThat(watch.observe("s", sample(9_500, 6, 101, 90, f("n1", 90, 50)))).isEmpty();
        assertThat(watch.observe("s", sample(12_500, 6, 101, 90, f("n1", 90, 50))))
                .extracting(ReplicationWatch.Action::kind).containsExactly(ReplicationWatch.Action.Kind.REDIAL);
    }

    @Test
    void aFollowerStuckWhoeverLeadsDoesNotHaveTheShardReElectedEveryFewSeconds() {
        List<Long> stepDowns = new java.util.ArrayList<>();
        long term = 1;
        for (long ms = 0; ms <= 200_000; ms += 500) {
            var actions = watch.observe("s", sample(ms, term, 100, 100 - 1, f("n1", 50, 50), f("n2", 99, 50)));
            if (actions.stream().anyMatch(a -> a.kind() == ReplicationWatch.Action.Kind.STEP_DOWN)) {
                stepDowns.add(ms);
                term++; // re-elected: a new leadership, its own clocks
            }
        }
        // 8 s after the stall began, then 30 s, 60 s, 120 s apart
        assertThat(stepDowns).containsExactly(8_000L, 38_000L, 98_000L);
    }

    @Test
    void progressSilenceSnapshotsAndIdleShardsAreLeftAlone() {
        // Catching up: the match index moves every sample, however far behind.
        for (int i = 0; i <= 20; i++) {
            assertThat(watch.observe("a", sample(i * 1_000L, 1, 10_000, 9_000 + i, f("n1", 9_000 + i, 50)))).isEmpty();
        }
        // Not answering (a dead or paused follower): Ratis' own rules, not this watch.
        for (int i = 0; i <= 20; i++) {
            assertThat(watch.observe("b", sample(i * 1_000L, 1, 100, 90, f("n1", 90, 1_500 + i * 1_000L)))).isEmpty();
        }
        // Down (silent for a whole stall time) for a while, then back: the stall time counts from the last sample
        // that saw it down (the watch samples every 500 ms), not from when it went down.
        for (int i = 0; i <= 10; i++) {
            assertThat(watch.observe("g", sample(i * 1_000L, 1, 100, 90, f("n1", 90, 3_000 + i * 1_000L)))).isEmpty();
        }
        assertThat(watch.observe("g", sample(10_500, 1, 100, 90, f("n1", 90, 50)))).isEmpty();
        assertThat(watch.observe("g", sample(12_900, 1, 100, 90, f("n1", 90, 50)))).isEmpty();
        assertThat(watch.observe("g", sample(13_500, 1, 100, 90, f("n1", 90, 50))))
                .extracting(ReplicationWatch.Action::kind).containsExactly(ReplicationWatch.Action.Kind.REDIAL);
        assertThat(watch.observe("g", sample(18_000, 1, 100, 90, f("n1", 90, 50)))).isEmpty();
        assertThat(watch.observe("g", sample(18_500, 1, 100, 90, f("n1", 90, 50))))
                .extracting(ReplicationWatch.Action::kind).containsExactly(ReplicationWatch.Action.Kind.STEP_DOWN);
        // Known gone.
        for (int i = 0; i <= 20; i++) {
            var gone = new ReplicationWatch.Follower("n1", 90, 91, 50, true);
            assertThat(watch.observe("c", sample(i * 1_000L, 1, 100, 90, gone))).isEmpty();
        }
        // Being sent a snapshot: its next index is below the leader's first log entry.
        for (int i = 0; i <= 20; i++) {
            var installing = new ReplicationWatch.Follower("n1", 0, 1, 50, false);
            var s = new ReplicationWatch.Sample(i * 1_000L * MS, 1, 100, 90, 50, List.of(installing));
            assertThat(watch.observe("d", s)).isEmpty();
        }
        // Idle and caught up.
        for (int i = 0; i <= 20; i++) {
            assertThat(watch.observe("e", sample(i * 1_000L, 1, 100, 100, f("n1", 100, 50)))).isEmpty();
        }
        // One follower stuck, the other takes entries and the shard commits: a redial at 3 s, and 5 s later, the
        // follower still stuck, a step-down (CI saw a follower stuck this way that only a new leadership freed).
        for (int i = 0; i <= 7; i++) {
            var actions = watch.observe("f", sample(i * 1_000L, 1, 200 + i, 200 + i, f("n1", 150, 50),
                    f("n2", 200 + i, 50)));
            assertThat(actions).extracting(ReplicationWatch.Action::kind).isEqualTo(i == 3
                    ? List.of(ReplicationWatch.Action.Kind.REDIAL) : List.of());
        }
        var stuck = watch.observe("f", sample(8_000, 1, 208, 208, f("n1", 150, 50), f("n2", 208, 50)));
        assertThat(stuck).extracting(ReplicationWatch.Action::kind).containsExactly(ReplicationWatch.Action.Kind.STEP_DOWN);
        assertThat(stuck.get(0).why()).contains("n1's match index 150", "did not help");
        // The redial helped: the follower moves again, no step-down.
        for (int i = 0; i <= 4; i++) {
            assertThat(watch.observe("h", sample(i * 1_000L, 1, 300, 300, f("n1", 150, 50), f("n2", 300, 50))))
                    .extracting(ReplicationWatch.Action::kind).isEqualTo(i == 3
                            ? List.of(ReplicationWatch.Action.Kind.REDIAL) : List.of());
        }
        for (int i = 5; i <= 12; i++) {
            assertThat(watch.observe("h", sample(i * 1_000L, 1, 300, 300, f("n1", 150 + i * 10, 50),
                    f("n2", 300, 50)))).isEmpty();
        }
    }

    /**
     * Real Ratis, two live replicas of three: the leader's connection for entries to the other follower is shut
     * (its heartbeats go on a connection of their own and still answer, so the leader keeps its leadership, and
     * Ratis alone retries on the dead connection forever). A write waits until the watch dials the follower
     * afresh, then commits.
     */
    @Test
    void aLeaderWhoseConnectionForEntriesDiedRedialsAndTheWriteCommits() throws Exception {
        try (InProcessReplicas replicas = new InProcessReplicas("replication-watch", Duration.ZERO, null)) {
            String shard = replicas.shard;
            ClusterNode leader = replicas.readyLeader(10_000);
            List<ClusterNode> followers = replicas.nodes.stream().filter(n -> n != leader).toList();
            ClusterNode dead = followers.get(0);
            ClusterNode stuck = followers.get(1);
            InProcessReplicas.closeInBackground(dead).join(30_000);
            leader.memberGone(dead.nodeId());
            stuck.memberGone(dead.nodeId());
            leader.commit(shard, Transaction.builder().put("/before", "1").build());

            var rpc = (RaftServerRpcWithProxy<?, ?>) leader.server().getServerRpc();
            Object proxy = rpc.getProxies().getProxy(org.apache.ratis.protocol.RaftPeerId.valueOf(stuck.nodeId()));
            var channelField = proxy.getClass().getDeclaredField("channel");
            channelField.setAccessible(true);
            ((org.apache.ratis.thirdparty.io.grpc.ManagedChannel) channelField.get(proxy)).shutdownNow();

            long t0 = System.nanoTime();
            CompletableFuture<Void> write = CompletableFuture.runAsync(() -> {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (true) {
                    try {
                        leader.commit(shard, Transaction.builder().put("/after", "1").build()); // idempotent
                        return;
                    } catch (StoreException e) {
                        if (System.nanoTime() > deadline) {
                            throw e;
                        }
                    }
                }
            });
            Thread.sleep(2_000);
            assertThat(write).as("the write waits while the follower takes no entries").isNotDone();
            assertThat(leader.isLocalLeader(shard)).as("heartbeats still answered: the leader keeps its lead").isTrue();
            write.get(30, TimeUnit.SECONDS);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("write committed %d ms after the connection died (redials of %s: %d)%n", ms,
                    stuck.nodeId(), leader.replicationRepairs(stuck.nodeId()));
            assertThat(leader.replicationRepairs(stuck.nodeId())).isGreaterThanOrEqualTo(1);
            assertThat(leader.followerRedials()).as("the metrics' total").isGreaterThanOrEqualTo(1);
            assertThat(stuck.get(shard, io.flowkeeper.api.store.DataPath.of("/after"), ReadConsistency.LINEARIZABLE)).isPresent();
        }
    }
}
