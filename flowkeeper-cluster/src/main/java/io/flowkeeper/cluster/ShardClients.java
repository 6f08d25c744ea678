package io.flowkeeper.cluster;

import io.flowkeeper.api.store.CommitResult;
import io.flowkeeper.api.store.StoreException;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.api.util.Threads;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.client.impl.RaftClientRpcWithProxy;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.ReadException;
import org.apache.ratis.protocol.exceptions.ReadIndexException;
import org.apache.ratis.protocol.exceptions.ResourceUnavailableException;
import org.apache.ratis.protocol.exceptions.ServerNotReadyException;
import org.apache.ratis.protocol.exceptions.TimeoutIOException;
import org.apache.ratis.protocol.exceptions.TransferLeadershipException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.rpc.CallId;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends datastore writes and linearizable reads to a shard's Raft group, from a cluster node or from a process
 * outside the cluster (the bench). Thread-safe.
 *
 * <p>Why not {@code RaftClient.async()}: the Ratis 3.3 async API is an <em>ordered</em> sliding window shared by
 * every request of a client. One request that fails for good (a {@code GroupMismatchException} from a peer still
 * creating its groups, or retries exhausted while a loaded node answered slowly) poisons the window: every later
 * request on that client fails at once with {@code AlreadyClosedException}, and a per-attempt timeout resets the
 * connection under every other request in flight. That is what turned single writes into 503s with a quorum up.
 *
 * <p>So each call here is independent: it keeps one client id + call id for all its attempts (the leader's retry
 * cache answers a resend with the first attempt's result, so a write is never applied twice), goes out on Ratis'
 * unordered stream (no window to poison, a slow reply delays only itself), follows {@code NotLeaderException}
 * hints, moves to the next peer when one is down, and gives up only when the caller's request timeout has passed.
 * A {@link RaftClient} per shard still provides the connections (and the admin API).
 */
public final class ShardClients implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ShardClients.class);
    /** Pause before resending after an answer that says "not now" (elections take 150-300 ms). */
    private static final long RETRY_MS = 50;
    /** Pause before resending to a leader that is elected but has not committed its first entry yet. */
    private static final long NOT_READY_RETRY_MS = 10;
    /** How often a call waiting for an election asks this node's replica whether it knows the winner. */
    private static final long LEADER_POLL_MS = 5;
    /** A successful call this slow is logged with its attempts (a quiet cluster commits in a few ms). */
    private static final long SLOW_CALL_MS = 150;
    /** How long a call waits for a shard whose leader is known gone to elect another (see start). */
    private static final long ELECTION_WAIT_NANOS = 2_000_000_000L;
    /** Group commit (see {@link Batcher}): entries of one shard in flight at once from this process. */
    private static final int BATCHES_IN_FLIGHT = 2;
    /** A batch stops growing at this many transactions or about this many bytes; one transaction is never split. */
    private static final int BATCH_MAX_TRANSACTIONS = 512;
    private static final long BATCH_MAX_BYTES = 512 * 1024;

    private final Map<String, RaftGroupId> groupIds;
    private final Parameters parameters;
    private final Duration requestTimeout;
    private final Map<String, Shard> shards = new ConcurrentHashMap<>();
    private final Map<String, Batcher> batchers = new ConcurrentHashMap<>();
    private final ScheduledThreadPoolExecutor timer =
            new ScheduledThreadPoolExecutor(1, Threads.daemon("shard-client-retry"));
    /** Closing a gRPC channel can block for seconds: never on a reply thread or the retry timer. */
    private final ExecutorService resets = Executors.newCachedThreadPool(Threads.daemon("shard-client-reset"));
    private volatile Map<String, String> members;
    /** Who this process's own replica says leads a shard (a cluster node knows); null when unknown or not a node. */
    private volatile java.util.function.Function<String, RaftPeerId> localLeader = shard -> null;
    /** Whether this process's own replica of a shard is electing; always false when it is not a node. */
    private volatile java.util.function.Predicate<String> localElecting = shard -> false;

    /**
     * @param groupIds shard name to Raft group id
     * @param members node id to Raft address
     * @param requestTimeout how long a call waits before failing with UNAVAILABLE naming the shard
     */
    public ShardClients(Map<String, RaftGroupId> groupIds, Map<String, String> members, Duration requestTimeout) {
        this(groupIds, members, requestTimeout, new Parameters());
    }

    /** As above, over a transport configured by {@code parameters} (TLS: {@link RaftTls}). */
    ShardClients(Map<String, RaftGroupId> groupIds, Map<String, String> members, Duration requestTimeout,
                 Parameters parameters) {
        this.parameters = parameters;
        this.groupIds = Map.copyOf(groupIds);
        this.members = Map.copyOf(members);
        this.requestTimeout = requestTimeout;
        timer.setRemoveOnCancelPolicy(true); // one deadline per call, cancelled on its reply
    }

    /** A client of the default shards of a cluster whose members are given: for processes outside the cluster. */
    public static ShardClients forCluster(Map<String, String> members, Duration requestTimeout) {
        return forCluster(members, requestTimeout, null);
    }

    /** As above, over mutual TLS with a node's certificate when {@code tls} is not null (the cluster's is). */
    public static ShardClients forCluster(Map<String, String> members, Duration requestTimeout,
                                          io.flowkeeper.api.security.TlsFiles tls) {
        Map<String, RaftGroupId> ids = new java.util.LinkedHashMap<>();
        ShardCatalog.DEFAULTS.forEach(s -> ids.put(s.name(), RaftGroupId.valueOf(ShardCatalog.groupUuid(s.name()))));
        return new ShardClients(ids, members, requestTimeout, RaftTls.parameters(tls));
    }

    /** Members whose process is known gone (until seen back): never the first target of a call. */
    private final java.util.Set<RaftPeerId> gone = ConcurrentHashMap.newKeySet();

    /**
     * A member's process is gone: {@link #isGone} says so from now on, before {@link #memberGone} resets the
     * clients (the elections that follow read it).
     */
    void markGone(String member) {
        gone.add(RaftPeerId.valueOf(member));
    }

    /**
     * A member's process is gone: calls waiting on it fail over at once (its connections are reset, which fails
     * what is in flight on them) instead of after their attempt timeout, and new calls do not try it first even
     * while this replica still names it leader (it does until the election). Measured before: a takeover's read
     * of the desired flows sent to the dead leader waited 2.6 s.
     */
    void memberGone(String member) {
        RaftPeerId peer = RaftPeerId.valueOf(member);
        gone.add(peer);
        for (Shard s : shards.values()) {
            if (s.knows(peer)) {
                s.reset(peer, null);
            }
        }
    }

    /** True while a member's process is known gone (reported gone, not seen back since). */
    boolean isGone(RaftPeerId member) {
        return gone.contains(member);
    }

    /** A member is back (a new process): it may be tried first again. */
    void memberBack(String member) {
        gone.remove(RaftPeerId.valueOf(member));
    }

    /** Where a cluster node's own replica says a shard's leader is: the first target of every call. */
    void setLeaderHint(java.util.function.Function<String, RaftPeerId> hint) {
        localLeader = hint;
    }

    /** Whether a cluster node's own replica of a shard is electing (knows no leader): calls then wait for it. */
    void setElectingHint(java.util.function.Predicate<String> electing) {
        localElecting = electing;
    }

    /** New membership: connections built for the old one are closed and rebuilt on next use. */
    void setMembers(Map<String, String> next) {
        members = Map.copyOf(next);
        List<Shard> old = new ArrayList<>(shards.values());
        shards.clear();
        // Calls in flight on the old clients fail with AlreadyClosedException and resend on the new ones.
        old.forEach(s -> {
            s.closed = true;
            resets.execute(() -> closeQuietly(s.client));
        });
    }

    /** Commits a transaction and waits for it, as {@link ClusterNode#commit}. */
    public CommitResult commit(String shard, Transaction txn) {
        return await(shard, commitAsync(shard, txn));
    }

    /**
     * Pipelined commit: many may be in flight; each completes when committed, or fails as {@link #commit} would.
     * Commits to one shard that arrive while others are in flight share a log entry (see {@link Batcher}).
     */
    public CompletableFuture<CommitResult> commitAsync(String shard, Transaction txn) {
        groupId(shard);
        return batchers.computeIfAbsent(shard, Batcher::new).submit(txn);
    }

    /** A write (one log entry). The future fails with the last error seen once the request timeout has passed. */
    CompletableFuture<RaftClientReply> write(String shard, Message message) {
        return send(shard, RaftClientRequest.writeRequestType(), message, System.nanoTime() + requestTimeout.toNanos());
    }

    /** A linearizable read (ReadIndex), served by whichever replica gets it. */
    CompletableFuture<RaftClientReply> read(String shard, Message message) {
        return send(shard, RaftClientRequest.readRequestType(), message, System.nanoTime() + requestTimeout.toNanos());
    }

    /** Waits for a call within the request timeout (the call enforces it too; this is a backstop). */
    <T> T await(String shard, CompletableFuture<T> call) {
        try {
            return call.get(requestTimeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            call.cancel(false);
            throw unavailable(shard, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable(shard, e);
        } catch (ExecutionException e) {
            throw unavailable(shard, unwrap(e));
        }
    }

    private CompletableFuture<RaftClientReply> send(String shard, RaftClientRequest.Type type, Message message,
                                                    long deadline) {
        Shard s = shard(shard);
        Call call = new Call(shard, s, type, message, deadline);
        start(call, shard, s);
        return call.result;
    }

    /**
     * The first attempt of a call. While this node's replica still names a leader whose process is known gone, or
     * names none (it is a candidate, or a follower between two leaders), the shard is electing: nothing can commit
     * or answer a linearizable read before the new leader, and a call sent meanwhile waits out its whole attempt
     * timeout (a follower's read index goes to the dead leader; measured 2.6 s in bench failover). So it waits
     * here, checking every 10 ms, until the replica names another leader, for at most {@link #ELECTION_WAIT_NANOS}
     * (longer than any election seen; after it, the call goes out as usual, so a wrong "gone" can cost no more).
     */
    private void start(Call call, String shard, Shard s) {
        if (call.result.isDone()) {
            return;
        }
        // A node's own replica learns of a new leader from its heartbeats: better than the last leader that answered,
        // which may be frozen (no answer at all, so each attempt on it costs a whole RPC timeout).
        RaftPeerId local = localLeader.apply(shard);
        long now = System.nanoTime();
        // This replica electing (a candidate, or a follower that knows no leader) waits too: measured, a read sent
        // then went to the other survivor, still following the dead leader, and waited out its 2.5 s attempt.
        boolean waitForLeader = local != null ? gone.contains(local) : localElecting.test(shard);
        if (waitForLeader && now - call.start < ELECTION_WAIT_NANOS && now + 10_000_000L < call.deadline) {
            schedule(() -> start(call, shard, s), 10);
            return;
        }
        RaftPeerId first = local != null && s.knows(local) ? local : s.leaderHint;
        if (first == null) {
            first = s.peerAfter(null);
        }
        for (int i = 0; gone.contains(first) && i < members.size(); i++) {
            first = s.peerAfter(first);
        }
        call.attempt(first);
    }

    /** One request and its attempts: same client id and call id every time, so the retry cache can recognise it. */
    private final class Call {
        final String shardName;
        final ClientId clientId;
        final RaftGroupId groupId;
        final long callId = CallId.getAndIncrement();
        final RaftClientRequest.Type type;
        final Message message;
        final List<Long> replied;
        final long start = System.nanoTime();
        final long deadline;
        final CompletableFuture<RaftClientReply> result = new CompletableFuture<>();
        volatile Shard shard;
        volatile Throwable lastError;
        /** The last attempts (target and outcome), logged when the call fails: a 503 should be explainable. */
        final java.util.ArrayDeque<String> trail = new java.util.ArrayDeque<>();

        Call(String shardName, Shard shard, RaftClientRequest.Type type, Message message, long deadline) {
            this.deadline = deadline;
            this.shardName = shardName;
            this.shard = shard;
            this.clientId = shard.client.getId();
            this.groupId = groupIds.get(shardName);
            this.type = type;
            this.message = message;
            this.replied = shard.takeReplied();
            var expiry = schedule(() -> result.completeExceptionally(lastError != null ? lastError
                    : new TimeoutException("no reply")), Math.max(0, (deadline - start) / 1_000_000));
            result.whenComplete((r, e) -> {
                expiry.cancel(false);
                if (e != null && LOG.isWarnEnabled()) {
                    synchronized (trail) {
                        LOG.warn("shard {}: call {} of {} failed after {} attempts: {}", shardName, callId, clientId,
                                attempts, String.join(" | ", trail));
                    }
                }
            });
        }

        int attempts;

        void note(String line) {
            synchronized (trail) {
                if (trail.size() == 12) {
                    trail.removeFirst();
                }
                trail.addLast(line);
            }
        }

        void attempt(RaftPeerId target) {
            if (result.isDone()) {
                return;
            }
            attempts++;
            Shard s = shard;
            if (s.closed) { // membership changed: same call, new connections
                s = shard(shardName);
                shard = s;
            }
            RaftClientRequest request = RaftClientRequest.newBuilder()
                    .setClientId(clientId)
                    .setLeaderId(target)
                    .setGroupId(groupId)
                    .setCallId(callId)
                    .setRepliedCallIds(replied)
                    .setMessage(message)
                    .setType(type)
                    .build();
            CompletableFuture<RaftClientReply> f;
            Object connection = s.connection(target);
            try {
                f = s.client.getClientRpc().sendRequestAsyncUnordered(request);
            } catch (RuntimeException e) {
                f = CompletableFuture.failedFuture(e);
            }
            Shard used = s;
            f.whenComplete((reply, error) -> onAnswer(used, target, connection, reply, error));
        }

        private void onAnswer(Shard s, RaftPeerId target, Object connection, RaftClientReply reply, Throwable error) {
            if (result.isDone()) {
                return;
            }
            Throwable t = error != null ? unwrap(error) : reply.getException();
            if (t == null && reply.isSuccess()) {
                s.leaderHint = target;
                s.replied.add(callId);
                result.complete(reply);
                long tookMs = (System.nanoTime() - start) / 1_000_000;
                if (tookMs >= SLOW_CALL_MS && LOG.isInfoEnabled()) {
                    // One line per slow call: during a failover it says whether the time went to refused attempts
                    // (the trail) or to one attempt that waited at its target.
                    synchronized (trail) {
                        LOG.info("shard {}: call {} of {} took {} ms, {} attempt(s), answered by {}{}", shardName,
                                callId, clientId, tookMs, attempts, target,
                                trail.isEmpty() ? "" : "; before: " + String.join(" | ", trail));
                    }
                }
                return;
            }
            if (t == null) {
                t = new IOException("unsuccessful reply without an exception from " + target);
            }
            lastError = t;
            if (error != null && !(t instanceof TimeoutIOException)) {
                // Ratis' gRPC client closes a peer's whole stream when it fails a call this way (NotLeader and
                // LeaderNotReady included) and never reopens it: every later call on it fails with "is closed".
                s.reset(target, connection);
            }
            note(String.format("+%dms %s: %s", (System.nanoTime() - start) / 1_000_000,
                    target, t.toString().replace('\n', ' ')));
            RaftPeerId next;
            long delay = RETRY_MS;
            if (t instanceof NotLeaderException nle) {
                if (!nle.getPeers().isEmpty()) {
                    s.addPeers(nle.getPeers());
                }
                RaftPeer suggested = nle.getSuggestedLeader();
                if (suggested != null && !suggested.getId().equals(target)) {
                    s.addPeers(List.of(suggested));
                    next = suggested.getId();
                    delay = 0;
                } else {
                    // No leader known there: an election is under way. This node's own replica learns the winner
                    // from its first heartbeat, so it is asked every few ms rather than guessing after RETRY_MS.
                    s.leaderHint = null;
                    awaitLeader(target, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_MS));
                    return;
                }
                s.leaderHint = next;
            } else if (t instanceof LeaderNotReadyException) {
                // Elected, its first entry not committed yet: one round trip to a follower, a few ms when quiet.
                next = target;
                delay = NOT_READY_RETRY_MS;
            } else if (t instanceof ReadIndexException
                    || t instanceof ReadException || t instanceof ResourceUnavailableException) {
                next = target; // the leader is there, just not able to answer yet
            } else if (t instanceof LeaderSteppingDownException || t instanceof TransferLeadershipException
                    || t instanceof GroupMismatchException || t instanceof ServerNotReadyException
                    || t instanceof TimeoutIOException) {
                // Moving on is safe whatever happened: the call id is the same, so at worst the retry cache answers.
                next = s.peerAfter(target);
            } else if (t instanceof IOException) {
                next = s.peerAfter(target); // connection refused or broken (reset above)
            } else {
                result.completeExceptionally(t); // a state machine or protocol error: resending cannot help
                return;
            }
            if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delay) >= deadline) {
                result.completeExceptionally(t);
                return;
            }
            schedule(() -> attempt(next), delay);
        }

        /**
         * After {@code refused} said it is not the leader and named none: the next attempt goes to the leader this
         * node's replica names as soon as it names a live one other than {@code refused}; else, at {@code until},
         * to the next peer.
         */
        private void awaitLeader(RaftPeerId refused, long until) {
            if (result.isDone()) {
                return;
            }
            RaftPeerId local = localLeader.apply(shardName);
            Shard s = shard;
            long now = System.nanoTime();
            if (local != null && !local.equals(refused) && !gone.contains(local) && s.knows(local)) {
                s.leaderHint = local;
                attempt(local);
            } else if (now >= until) {
                RaftPeerId next = s.peerAfter(refused);
                s.leaderHint = next;
                if (now >= deadline) {
                    result.completeExceptionally(lastError);
                } else {
                    attempt(next);
                }
            } else {
                schedule(() -> awaitLeader(refused, until), LEADER_POLL_MS);
            }
        }
    }

    /**
     * Group commit for one shard: a commit goes out at once while fewer than {@link #BATCHES_IN_FLIGHT} entries are
     * in flight, else it waits for the next entry, which carries every commit queued by then. The state machine
     * still checks and applies each transaction on its own, with its own revision and result; what they share is
     * the per-entry cost (the client call, the log entry, replication, the retry cache), about 3 ms of CPU across the
     * cluster against ~0.15 ms per 1 KB key (bench datastore). A lone commit waits for nothing.
     *
     * <p>A batch's call gets the budget of its oldest commit: every batch in flight holds only commits older than
     * the queued ones, so no commit waits past its own request timeout.
     */
    private final class Batcher {
        private final String shard;
        private final java.util.ArrayDeque<Pending> queue = new java.util.ArrayDeque<>();
        private int inFlight;

        Batcher(String shard) {
            this.shard = shard;
        }

        CompletableFuture<CommitResult> submit(Transaction txn) {
            Pending p = new Pending(txn, System.nanoTime() + requestTimeout.toNanos());
            List<Pending> batch;
            synchronized (this) {
                queue.addLast(p);
                batch = inFlight < BATCHES_IN_FLIGHT ? take() : null;
            }
            if (batch != null) {
                sendBatch(batch);
            }
            return p.result;
        }

        /** With the monitor held: the next batch, oldest first, counted as in flight; null when nothing waits. */
        private List<Pending> take() {
            if (queue.isEmpty()) {
                return null;
            }
            List<Pending> batch = new ArrayList<>();
            long bytes = 0;
            while (!queue.isEmpty() && batch.size() < BATCH_MAX_TRANSACTIONS
                    && (batch.isEmpty() || bytes + queue.peekFirst().bytes <= BATCH_MAX_BYTES)) {
                Pending p = queue.pollFirst();
                batch.add(p);
                bytes += p.bytes;
            }
            inFlight++;
            return batch;
        }

        private void sendBatch(List<Pending> batch) {
            long deadline = batch.get(0).deadline;
            long queuedMs = (System.nanoTime() - (deadline - requestTimeout.toNanos())) / 1_000_000;
            if (queuedMs >= SLOW_CALL_MS) {
                LOG.info("shard {}: {} commit(s) waited {} ms for one of the {} entries in flight", shard,
                        batch.size(), queuedMs, BATCHES_IN_FLIGHT);
            }
            CompletableFuture<RaftClientReply> call;
            if (System.nanoTime() >= deadline) {
                call = CompletableFuture.failedFuture(new TimeoutException("queued past the request timeout"));
            } else {
                try {
                    call = send(shard, RaftClientRequest.writeRequestType(),
                            Codec.encodeBatch(batch.stream().map(Pending::txn).toList()), deadline);
                } catch (RuntimeException e) {
                    call = CompletableFuture.failedFuture(e);
                }
            }
            call.whenComplete((reply, error) -> {
                List<Pending> next;
                synchronized (this) {
                    inFlight--;
                    next = take();
                }
                complete(batch, reply, error);
                if (next != null) {
                    sendBatch(next);
                }
            });
        }

        private void complete(List<Pending> batch, RaftClientReply reply, Throwable error) {
            List<ShardState.Outcome> results = null;
            if (error == null) {
                try {
                    results = Codec.decodeResults(reply.getMessage().getContent());
                    if (results.size() != batch.size()) {
                        error = new IllegalStateException(results.size() + " results for " + batch.size()
                                + " transactions");
                    }
                } catch (RuntimeException e) {
                    error = e;
                }
            }
            for (int i = 0; i < batch.size(); i++) {
                Pending p = batch.get(i);
                if (error != null) {
                    p.result.completeExceptionally(unavailable(shard, unwrap(error)));
                } else if (results.get(i).error() != null) {
                    p.result.completeExceptionally(
                            new StoreException(StoreException.Kind.INVALID, shard, results.get(i).error()));
                } else {
                    p.result.complete(results.get(i).toCommitResult(p.txn));
                }
            }
        }
    }

    /** A commit waiting for its batch; {@code bytes} roughly what it adds to the entry. */
    private record Pending(Transaction txn, long deadline, long bytes, CompletableFuture<CommitResult> result) {
        Pending(Transaction txn, long deadline) {
            this(txn, deadline, sizeOf(txn), new CompletableFuture<>());
        }

        private static long sizeOf(Transaction txn) {
            long bytes = 8;
            for (var p : txn.preconditions()) {
                bytes += 17 + p.path().length();
            }
            for (var op : txn.operations()) {
                bytes += 10 + op.path().length() + (op.json() == null ? 0 : op.json().length());
            }
            return bytes;
        }
    }

    private java.util.concurrent.Future<?> schedule(Runnable task, long delayMs) {
        try {
            return timer.schedule(task, delayMs, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) { // closed
            return CompletableFuture.completedFuture(null);
        }
    }

    /** Per shard: the Ratis client whose connections carry the calls, the leader last seen, replied call ids. */
    private final class Shard {
        final RaftClient client;
        final List<RaftPeerId> peers = new ArrayList<>();
        final ConcurrentLinkedQueue<Long> replied = new ConcurrentLinkedQueue<>();
        volatile RaftPeerId leaderHint;
        volatile boolean closed;

        Shard(RaftClient client, List<RaftPeer> initial) {
            this.client = client;
            initial.forEach(p -> peers.add(p.getId()));
        }

        synchronized boolean knows(RaftPeerId peer) {
            return peers.contains(peer);
        }

        synchronized RaftPeerId peerAfter(RaftPeerId current) {
            int i = current == null ? -1 : peers.indexOf(current);
            return peers.get((i + 1) % peers.size());
        }

        synchronized void addPeers(java.util.Collection<RaftPeer> more) {
            List<RaftPeer> added = new ArrayList<>();
            for (RaftPeer p : more) {
                if (!peers.contains(p.getId()) && p.getAddress() != null) {
                    peers.add(p.getId());
                    added.add(p);
                }
            }
            if (!added.isEmpty()) {
                client.getClientRpc().addRaftPeers(added);
            }
        }

        /** Replied call ids to piggy-back on the next request, so the leader can drop them from its retry cache. */
        List<Long> takeReplied() {
            List<Long> ids = new ArrayList<>();
            for (Long id; ids.size() < 256 && (id = replied.poll()) != null; ) {
                ids.add(id);
            }
            return ids;
        }

        /** The connection (gRPC client) a call to this peer goes out on now; null if unknown. */
        Object connection(RaftPeerId peer) {
            try {
                return client.getClientRpc() instanceof RaftClientRpcWithProxy<?> rpc
                        ? rpc.getProxies().getProxy(peer) : null;
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }

        /**
         * Replaces the connection to a peer, unless a call that failed before already did: every call in flight
         * on the dead stream fails at once, and each must not close the fresh connection the others now use.
         * Also what makes a restarted peer reachable again at once (gRPC's own reconnect backs off for seconds).
         */
        void reset(RaftPeerId peer, Object failed) {
            try {
                resets.execute(() -> {
                    if (failed == null || connection(peer) == failed) {
                        client.getClientRpc().handleException(peer, new IOException("reset"), true);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closed
            }
        }
    }

    /** The shard's Raft group id; an unknown shard is a StoreException (a 404), before anything is queued or sent. */
    private RaftGroupId groupId(String shard) {
        RaftGroupId gid = groupIds.get(shard);
        if (gid == null) {
            throw new StoreException(StoreException.Kind.UNKNOWN_SHARD, shard, "unknown shard '" + shard + "'");
        }
        return gid;
    }

    private Shard shard(String shard) {
        RaftGroupId gid = groupId(shard);
        return shards.computeIfAbsent(shard, name -> {
            List<RaftPeer> peers = ClusterNode.peers(members);
            return new Shard(newClient(gid, peers), peers);
        });
    }

    private RaftClient newClient(RaftGroupId gid, List<RaftPeer> peers) {
        RaftProperties p = new RaftProperties();
        // One attempt's wait before Call moves on (same call id). Never longer than the caller's whole budget;
        // at least 2 s, since a loaded 2-core machine can take that long to answer a healthy request.
        long attemptMs = Math.min(requestTimeout.toMillis(), Math.max(2_000, requestTimeout.toMillis() / 2));
        RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(attemptMs, TimeUnit.MILLISECONDS));
        return RaftClient.newBuilder()
                .setProperties(p)
                .setParameters(parameters)
                .setRaftGroup(RaftGroup.valueOf(gid, peers))
                .setClientId(ClientId.randomId())
                // Used by the admin API only (leader transfer, membership); data calls retry in Call.
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(
                        (int) (requestTimeout.toMillis() / RETRY_MS) + 1,
                        TimeDuration.valueOf(RETRY_MS, TimeUnit.MILLISECONDS)))
                .build();
    }

    /** The shard's Ratis client, for the admin API. */
    RaftClient client(String shard) {
        return shard(shard).client;
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private void closeQuietly(RaftClient c) {
        try {
            c.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("closing a client", e);
        }
    }

    StoreException unavailable(String shard, Throwable cause) {
        if (cause instanceof StoreException se) {
            return se;
        }
        return new StoreException(StoreException.Kind.UNAVAILABLE, shard,
                "shard '" + shard + "' did not answer within " + requestTimeout.toMillis()
                        + " ms (no leader or no quorum)" + (cause == null || cause instanceof TimeoutException
                        ? "" : ": " + cause), cause);
    }

    @Override
    public void close() {
        timer.shutdownNow();
        List<Shard> all = new ArrayList<>(shards.values());
        shards.clear();
        all.forEach(s -> {
            s.closed = true;
            closeQuietly(s.client);
        });
        resets.shutdown();
    }
}
