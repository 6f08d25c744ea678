package io.flowkeeper.cluster;

import io.flowkeeper.api.util.Threads;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.ratis.proto.RaftProtos.RaftGroupIdProto;
import org.apache.ratis.proto.RaftProtos.RaftRpcRequestProto;
import org.apache.ratis.proto.RaftProtos.StartLeaderElectionRequestProto;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.RaftStorageMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the election of a group whose leader is known dead at once, from exactly one survivor, instead of
 * waiting for the randomized election timeout on every survivor (both time out within a vote's round trip, and
 * split the vote: measured 0.45-0.63 s from the death report to a ready leader, bench failover).
 *
 * <p>The candidate is the live voter with the lowest id. It starts a forced election (no pre-vote, term + 1): the
 * path Ratis' leadership transfer uses. A voter grants a vote at a higher term without the "heard from a leader
 * recently" check, so the vote is decided by Raft's own rule alone: the candidate's log must be at least as
 * up to date as the voter's. If it is not, the other survivor sees the higher term without having voted for the
 * candidate and starts its own forced election at once (its log is the longer one). A survivor that granted the
 * vote does nothing. Raft's vote rules decide every outcome, so a wrong report (the leader alive) costs at most
 * one extra election, and no write is lost (docs/architecture.md, "Elections after a known death").
 */
final class QuickElection implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QuickElection.class);
    /** How often a survivor that is not the candidate looks at its replica, and for how long. */
    private static final long WATCH_EVERY_MS = 5;
    private static final long WATCH_FOR_NANOS = 2_000_000_000L;

    private final RaftServer server;
    /**
     * After the first group's, elections start on threads of their own: asking Ratis takes the group's lock and took
     * 10-76 ms a group on a loaded host, so done one after another the third group's election started 130 ms after
     * the report (bench failover, 2026-12-07).
     */
    private final ScheduledExecutorService watcher =
            Executors.newScheduledThreadPool(ELECTION_THREADS, Threads.daemon("quick-election"));
    private static final int ELECTION_THREADS = 4;

    QuickElection(RaftServer server) {
        this.server = server;
    }

    /** {@code dead}'s process is gone; {@code gone} tells which other members are known gone too. */
    void memberGone(RaftPeerId dead, Iterable<RaftGroupId> groups, Predicate<RaftPeerId> gone) {
        // Not on the caller's thread (the lease keeper's): starting an election takes the server's lock.
        long reported = System.nanoTime();
        List<RaftGroupId> order = new ArrayList<>();
        groups.forEach(order::add);
        if (order.isEmpty()) {
            return;
        }
        // The first group (the ownership shard: every lease renews through it) is asked alone, so that on two
        // busy cores its election does not share them with the others'; then the others all at once.
        watcher.execute(() -> {
            startQuietly(dead, order.get(0), gone, reported);
            for (RaftGroupId gid : order.subList(1, order.size())) {
                watcher.execute(() -> startQuietly(dead, gid, gone, reported));
            }
        });
    }

    private void startQuietly(RaftPeerId dead, RaftGroupId gid, Predicate<RaftPeerId> gone, long reported) {
        try {
            start(dead, gid, gone, reported);
        } catch (Exception e) {
            // The randomized election timeout still elects a leader; this was only a shortcut.
            LOG.info("group {}: no quick election after {} left: {}", gid, dead, e.toString());
        }
    }

    private void start(RaftPeerId dead, RaftGroupId gid, Predicate<RaftPeerId> gone, long reported)
            throws Exception {
        RaftServer.Division div = server.getDivision(gid);
        if (!div.getInfo().isFollower() || !dead.equals(div.getInfo().getLeaderId())) {
            // The dead member did not lead this group (as this replica knows), or an election is under way.
            LOG.debug("group {}: {} left; this replica is {} with leader {}: no quick election", gid, dead,
                    div.getInfo().getCurrentRole(), div.getInfo().getLeaderId());
            return;
        }
        List<RaftPeerId> live = new ArrayList<>();
        div.getRaftConf().getCurrentPeers().forEach(p -> {
            if (!p.getId().equals(dead) && !gone.test(p.getId())) {
                live.add(p.getId());
            }
        });
        live.sort(java.util.Comparator.comparing(RaftPeerId::toString));
        if (live.isEmpty()) {
            return;
        }
        RaftPeerId candidate = live.get(0);
        RaftStorageMetadata before = div.getRaftStorage().getMetadataFile().getMetadata();
        if (candidate.equals(server.getId())) {
            elect(div, dead, "its leader " + dead + " is gone", reported);
        } else {
            long until = System.nanoTime() + WATCH_FOR_NANOS;
            watcher.schedule(() -> watch(gid, dead, candidate, before.getTerm(), until), WATCH_EVERY_MS,
                    TimeUnit.MILLISECONDS);
        }
    }

    /**
     * On a survivor that is not the candidate: once its replica has a term above the one it had at the report,
     * a vote it granted to the candidate means the election is under way; a vote it did not grant means the
     * candidate's log was behind this one, so this survivor stands itself. The metadata (term and vote) is
     * persisted together under the server's lock, so it is read as one.
     */
    private void watch(RaftGroupId gid, RaftPeerId dead, RaftPeerId candidate, long termBefore, long until) {
        try {
            RaftServer.Division div = server.getDivision(gid);
            RaftPeerId leader = div.getInfo().getLeaderId();
            if (leader != null && !leader.equals(dead) || !div.getInfo().isFollower()) {
                return; // a new leader is known, or this replica is a candidate or leader itself
            }
            RaftStorageMetadata now = div.getRaftStorage().getMetadataFile().getMetadata();
            if (now.getTerm() > termBefore) {
                if (now.getVotedFor() == null) {
                    elect(div, dead, "the vote for " + candidate + " was refused here (its log is behind)", 0);
                }
                return;
            }
            if (System.nanoTime() < until) {
                watcher.schedule(() -> watch(gid, dead, candidate, termBefore, until), WATCH_EVERY_MS,
                        TimeUnit.MILLISECONDS);
            }
        } catch (Exception e) {
            LOG.info("group {}: stopped watching the election after {} left: {}", gid, dead, e.toString());
        }
    }

    /**
     * A forced election on this server's replica, asked of it in-process in the dead leader's name: Ratis accepts
     * a start-election request only from the leader it knows, and only if its own log is not behind the one
     * named in the request (this replica's own last entry: the dead leader's log cannot be asked).
     *
     * @param reported when the death was reported ({@link System#nanoTime}), or 0: told in the log line
     */
    private void elect(RaftServer.Division div, RaftPeerId dead, String why, long reported) throws Exception {
        TermIndex last = div.getRaftLog().getLastEntryTermIndex();
        if (last == null) {
            return; // an empty log: leave it to the timeout
        }
        StartLeaderElectionRequestProto request = StartLeaderElectionRequestProto.newBuilder()
                .setServerRequest(RaftRpcRequestProto.newBuilder()
                        .setRequestorId(dead.toByteString())
                        .setReplyId(server.getId().toByteString())
                        .setRaftGroupId(RaftGroupIdProto.newBuilder().setId(div.getMemberId().getGroupId()
                                .toByteString())))
                .setLeaderLastEntry(last.toProto())
                .build();
        long asked = System.nanoTime();
        boolean started = server.startLeaderElection(request).getServerReply().getSuccess();
        long done = System.nanoTime();
        LOG.info("group {}: {}: {} ({}the call took {} ms)", div.getMemberId().getGroupId(), why,
                started ? "election started here at once" : "Ratis refused to start an election here",
                reported == 0 ? "" : "reported " + (asked - reported) / 1_000_000 + " ms before; ",
                (done - asked) / 1_000_000);
    }

    @Override
    public void close() {
        watcher.shutdownNow();
    }
}
