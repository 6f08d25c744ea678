package io.flowkeeper.cluster;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * On the leader of a shard, notices a follower that answers heartbeats but takes no entries, and says what to do.
 * Pure: {@link #observe} takes one sample of the leader's view and returns the actions; {@link ClusterNode} samples
 * every shard it leads and carries them out.
 *
 * <p>Why: once in CI, after a kill left two nodes of three, a shard's leader kept its leadership (the follower
 * answered heartbeats, which Ratis sends on a connection of their own) while no entry reached that follower for 20
 * minutes: every write timed out, and a transfer of the leadership to that follower failed every 2 s. Ratis itself
 * never recovers from that: a leader steps down only when a majority stops answering, and an appender whose calls
 * fail retries on the same connection. The cause was not found (docs/operations.md, "A follower that takes no
 * entries"); whatever it is, it sits in the leader's connection to that follower or in its appender, and both are
 * replaced by the two steps here, each cheap and safe under Raft's rules:
 * <ol>
 *   <li>{@link Action.Kind#REDIAL}: a follower behind the leader's log, whose match index has not moved for
 *   {@code stall} during which it kept answering within {@code heardWithinMs}: its Raft connection is closed and dialled afresh
 *   (at most once per {@code redialEvery}). Costs one retried call when nothing was wrong.</li>
 *   <li>{@link Action.Kind#STEP_DOWN}: that follower is still stuck {@code stepDownAfter} after its redial, or the
 *   shard's commit index, with entries waiting, has not moved that long after one: the leader steps down (at most
 *   once per {@code stepDownEvery}, a gap that doubles while step-downs keep coming), and the election that follows builds every appender, and the leader's record
 *   of each follower, anew. The leader's own log may be the longer one, so it may well win again. This is what ends
 *   the case a redial cannot: CI saw a follower answer every heartbeat with INCONSISTENCY ("my next index is 2")
 *   while the leader, which had recorded its match index as 2, kept sending from 3: Ratis 3.3.0 never sets a
 *   follower's next index below its recorded match index + 1 (how the record got ahead of the follower's log was
 *   not found; RATIS-2605, fixed upstream after 3.3.0, is one way). A new leadership starts every record afresh.
 *   With the third node up the shard still committed, so only a stuck follower, not a stuck commit, showed it.</li>
 * </ol>
 * A follower being sent a snapshot (its next index below the leader's first log entry) is left alone: a snapshot
 * of tens of megabytes takes seconds without a match index moving, and a redial would start it over.
 */
final class ReplicationWatch {
    /** One follower as the leader sees it. */
    record Follower(String id, long matchIndex, long nextIndex, long lastHeardMs, boolean gone) { }

    /** The leader's view of one shard at {@code nanos} ({@link System#nanoTime}). */
    record Sample(long nanos, long term, long lastIndex, long commitIndex, long logStartIndex,
                  List<Follower> followers) { }

    /** What the leader should do. */
    record Action(Kind kind, String follower, String why) {
        enum Kind { REDIAL, STEP_DOWN }
    }

    private final long stallNanos;
    private final long redialEveryNanos;
    private final long stepDownAfterNanos;
    private final long stepDownEveryNanos;
    private final long heardWithinMs;
    private final Map<String, ShardWatch> shards = new HashMap<>();
    /**
     * Per shard, across leaderships: when the last step-down was asked and the gap the next one must keep. A
     * follower that stays stuck whoever leads (its own log worker stuck, say) would otherwise have the shard
     * re-elect every few seconds: the gap doubles while step-downs keep coming, up to {@link #MAX_STEP_DOWN_GAP_NANOS},
     * and starts again from {@code stepDownEvery} after a quiet spell of twice the gap.
     */
    private final Map<String, long[]> stepDowns = new HashMap<>();
    static final long MAX_STEP_DOWN_GAP_NANOS = 600_000_000_000L;

    /**
     * The defaults: redial after 3 s, step down 5 s after a redial that did not help; step-downs at least 30 s apart,
     * the gap doubling while they keep coming.
     */
    ReplicationWatch() {
        this(3_000, 10_000, 5_000, 30_000, 1_000);
    }

    ReplicationWatch(long stallMs, long redialEveryMs, long stepDownAfterMs, long stepDownEveryMs, long heardWithinMs) {
        this.stallNanos = stallMs * 1_000_000;
        this.redialEveryNanos = redialEveryMs * 1_000_000;
        this.stepDownAfterNanos = stepDownAfterMs * 1_000_000;
        this.stepDownEveryNanos = stepDownEveryMs * 1_000_000;
        this.heardWithinMs = heardWithinMs;
    }

    private static final class FollowerWatch {
        long matchIndex = Long.MIN_VALUE;
        /** Since when the match index has stood still while behind (nanos); reset when it moves or catches up. */
        long stillSince;
        long redialedAt;
        boolean redialed;
        /** A redial happened during the current stall (reset with {@link #stillSince}). */
        boolean redialedThisStall;
    }

    private static final class ShardWatch {
        long term = -1;
        long commitIndex = Long.MIN_VALUE;
        long commitStillSince;
        /** When the first redial happened while the commit index stood still (the step-down needs one first). */
        boolean redialedDuringStall;
        long redialedDuringStallAt;
        final Map<String, FollowerWatch> followers = new HashMap<>();
    }

    /** This node does not lead {@code shard} (any more): a later leadership starts afresh. */
    synchronized void notLeading(String shard) {
        shards.remove(shard);
    }

    synchronized List<Action> observe(String shard, Sample s) {
        ShardWatch w = shards.get(shard);
        if (w == null || w.term != s.term()) {
            w = new ShardWatch(); // a new leadership: its appenders are new too
            w.term = s.term();
            shards.put(shard, w);
        }
        long now = s.nanos();
        boolean waiting = s.lastIndex() > s.commitIndex();
        if (s.commitIndex() != w.commitIndex || !waiting) {
            w.commitIndex = s.commitIndex();
            w.commitStillSince = now;
            w.redialedDuringStall = false;
        }
        List<Action> actions = new ArrayList<>();
        String stuckAfterRedial = null;
        for (Follower f : s.followers()) {
            FollowerWatch fw = w.followers.computeIfAbsent(f.id(), k -> new FollowerWatch());
            boolean behind = f.matchIndex() < s.lastIndex();
            boolean answering = f.lastHeardMs() < heardWithinMs && !f.gone();
            boolean snapshot = f.nextIndex() < s.logStartIndex();
            // The clock does not run while the follower is down (silent for a whole stall time, or known gone): one
            // that just came back (its restart already redials it) gets the whole stall time to show progress (CI
            // saw such a redundant redial). A follower whose connection for entries fails answers its heartbeats
            // only every few hundred ms (Ratis' appender sleeps after errors): that is not down.
            boolean down = f.lastHeardMs() * 1_000_000 >= stallNanos || f.gone();
            if (!behind || f.matchIndex() != fw.matchIndex || down || snapshot) {
                fw.matchIndex = f.matchIndex();
                fw.stillSince = now;
                fw.redialedThisStall = false;
                continue;
            }
            if (!answering || now - fw.stillSince < stallNanos) {
                continue;
            }
            if (fw.redialedThisStall && now - fw.redialedAt >= stepDownAfterNanos) {
                stuckAfterRedial = f.id() + "'s match index " + f.matchIndex() + " behind the log's " + s.lastIndex()
                        + " for " + (now - fw.stillSince) / 1_000_000 + " ms, a redial "
                        + (now - fw.redialedAt) / 1_000_000 + " ms ago did not help";
            }
            if (!fw.redialed || now - fw.redialedAt >= redialEveryNanos) {
                fw.redialed = true;
                fw.redialedThisStall = true;
                fw.redialedAt = now;
                if (waiting && !w.redialedDuringStall) {
                    w.redialedDuringStall = true;
                    w.redialedDuringStallAt = now;
                }
                actions.add(new Action(Action.Kind.REDIAL, f.id(), "match index " + f.matchIndex() + " behind the log's "
                        + s.lastIndex() + " for " + (now - fw.stillSince) / 1_000_000 + " ms while it answered "
                        + f.lastHeardMs() + " ms ago"));
            }
        }
        String why = stuckAfterRedial;
        if (waiting && w.redialedDuringStall && now - w.redialedDuringStallAt >= stepDownAfterNanos) {
            why = "commit index " + s.commitIndex() + " behind the log's " + s.lastIndex() + " for "
                    + (now - w.commitStillSince) / 1_000_000 + " ms, a redial "
                    + (now - w.redialedDuringStallAt) / 1_000_000 + " ms ago did not help";
        }
        if (why != null) {
            long[] last = stepDowns.get(shard);
            if (last == null || now - last[0] >= last[1]) {
                long gap = last != null && now - last[0] < 2 * last[1]
                        ? Math.min(MAX_STEP_DOWN_GAP_NANOS, 2 * last[1]) : stepDownEveryNanos;
                stepDowns.put(shard, new long[] {now, gap});
                actions.add(new Action(Action.Kind.STEP_DOWN, null, why));
            }
        }
        return actions;
    }
}
