package io.flowkeeper.cluster;

import io.flowkeeper.api.store.CommitResult;
import io.flowkeeper.api.store.StoreException;
import io.flowkeeper.api.store.Transaction;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.TransferLeadershipException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Ratis client per shard group, shared by every caller on this node (or in a client process such as the
 * bench). A request keeps its client id + call id through Ratis' own retries, so the leader's retry cache answers a
 * retry after a leader change with the first attempt's result instead of applying it again. Thread-safe.
 */
public final class ShardClients implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ShardClients.class);

    private final Map<String, RaftGroupId> groupIds;
    private final Duration requestTimeout;
    private final Map<String, RaftClient> clients = new ConcurrentHashMap<>();
    private volatile Map<String, String> members;
    /** Who this process believes leads a shard (a node knows from its own replica); null when unknown. */
    private volatile java.util.function.Function<String, org.apache.ratis.protocol.RaftPeerId> leaderHint = s -> null;

    /**
     * @param groupIds shard name to Raft group id
     * @param members node id to Raft address
     * @param requestTimeout how long a call waits before failing with UNAVAILABLE naming the shard
     */
    public ShardClients(Map<String, RaftGroupId> groupIds, Map<String, String> members, Duration requestTimeout) {
        this.groupIds = Map.copyOf(groupIds);
        this.members = Map.copyOf(members);
        this.requestTimeout = requestTimeout;
    }

    /** A client of the default shards of a cluster whose members are given: for processes outside the cluster. */
    public static ShardClients forCluster(Map<String, String> members, Duration requestTimeout) {
        Map<String, RaftGroupId> ids = new java.util.LinkedHashMap<>();
        ShardCatalog.DEFAULTS.forEach(s -> ids.put(s.name(), RaftGroupId.valueOf(ShardCatalog.groupUuid(s.name()))));
        return new ShardClients(ids, members, requestTimeout);
    }

    /** New membership: clients built for the old one are closed and rebuilt on next use. */
    void setMembers(Map<String, String> next) {
        members = Map.copyOf(next);
        List<RaftClient> old = new ArrayList<>(clients.values());
        clients.clear();
        old.forEach(this::closeQuietly);
    }

    /**
     * New clients start at the hinted leader instead of the first peer: otherwise, while that peer is frozen (or
     * partitioned: no answer, not even a refusal), every new client waits out a whole attempt on it.
     */
    void setLeaderHint(java.util.function.Function<String, org.apache.ratis.protocol.RaftPeerId> hint) {
        leaderHint = hint;
    }

    interface Call {
        CompletableFuture<RaftClientReply> send(RaftClient client);
    }

    /** Commits a transaction and waits for it, as {@link ClusterNode#commit}. */
    public CommitResult commit(String shard, Transaction txn) {
        Message message = Codec.encodeTransaction(txn);
        RaftClientReply reply = await(shard, c -> c.async().send(message));
        return Codec.decodeResult(reply.getMessage().getContent(), txn);
    }

    /**
     * Pipelined commit: many may be in flight on one client; each completes when committed. A failure does not
     * replace the client here (that would fail every other request in flight); the blocking path does that.
     */
    public CompletableFuture<CommitResult> commitAsync(String shard, Transaction txn) {
        Message message = Codec.encodeTransaction(txn);
        RaftClient c = client(shard);
        return c.async().send(message)
                .orTimeout(requestTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .handle((r, error) -> {
                    if (error != null || !r.isSuccess()) {
                        throw unavailable(shard, error != null ? error : r.getException());
                    }
                    return Codec.decodeResult(r.getMessage().getContent(), txn);
                });
    }

    /**
     * True for failures that prove the request was never appended to the log (wrong or changing leader, group not
     * created yet on that peer), so sending it again, even with a new call id, cannot apply it twice. At start-up
     * a peer may not have created the group yet and answers GroupMismatchException, which the Ratis client does
     * not retry by itself.
     */
    static boolean notAppended(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof GroupMismatchException || c instanceof NotLeaderException
                    || c instanceof LeaderNotReadyException || c instanceof LeaderSteppingDownException
                    || c instanceof TransferLeadershipException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Sends and waits for a reply within the request timeout. On failure the shard's client is replaced: a Ratis
     * async client whose request exhausted its retries keeps later requests of its ordered window waiting, so after
     * a quorum loss a fresh client (new client id) is what lets writes resume at once.
     */
    RaftClientReply await(String shard, Call call) {
        long deadline = System.nanoTime() + requestTimeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw unavailable(shard, null);
            }
            RaftClient c = client(shard);
            try {
                RaftClientReply reply = call.send(c).get(left, TimeUnit.NANOSECONDS);
                if (reply.isSuccess()) {
                    return reply;
                }
                if (notAppended(reply.getException())) {
                    sleepQuietly(50);
                    continue;
                }
                discardClient(shard, c);
                throw unavailable(shard, reply.getException());
            } catch (TimeoutException e) {
                discardClient(shard, c);
                throw unavailable(shard, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw unavailable(shard, e);
            } catch (ExecutionException e) {
                if (notAppended(e.getCause())) {
                    sleepQuietly(50);
                    continue;
                }
                discardClient(shard, c);
                throw unavailable(shard, e.getCause());
            }
        }
    }

    /**
     * For idempotent commands only (applying one twice changes nothing that matters): an attempt that gets no
     * answer within a quarter of the request timeout is abandoned and sent again on a fresh client, which starts
     * at the currently hinted leader. This is what lets a lease expiry go through quickly when the old leader is
     * frozen rather than dead.
     */
    RaftClientReply awaitIdempotent(String shard, Call call) {
        long deadline = System.nanoTime() + requestTimeout.toNanos();
        long attempt = Math.max(TimeUnit.MILLISECONDS.toNanos(300), requestTimeout.toNanos() / 4);
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw unavailable(shard, null);
            }
            RaftClient c = client(shard);
            try {
                RaftClientReply reply = call.send(c).get(Math.min(left, attempt), TimeUnit.NANOSECONDS);
                if (reply.isSuccess()) {
                    return reply;
                }
                if (!notAppended(reply.getException())) {
                    discardClient(shard, c);
                    throw unavailable(shard, reply.getException());
                }
                sleepQuietly(50);
            } catch (TimeoutException e) {
                discardClient(shard, c);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw unavailable(shard, e);
            } catch (ExecutionException e) {
                discardClient(shard, c);
                sleepQuietly(50);
            }
        }
    }

    private void discardClient(String shard, RaftClient c) {
        if (clients.remove(shard, c)) {
            closeQuietly(c);
        }
    }

    private void closeQuietly(RaftClient c) {
        try {
            c.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("closing a client", e);
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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

    RaftClient client(String shard) {
        RaftGroupId gid = groupIds.get(shard);
        if (gid == null) {
            throw new StoreException(StoreException.Kind.UNKNOWN_SHARD, shard, "unknown shard '" + shard + "'");
        }
        return clients.computeIfAbsent(shard, s -> {
            RaftProperties p = new RaftProperties();
            // One attempt waits this long for its server before the retry policy tries the next server. Shorter
            // attempts fail deep pipelines on a loaded 2-core machine (each timeout resets the stream and fails
            // every request on it), so an attempt may take half the caller's budget.
            RaftClientConfigKeys.Rpc.setRequestTimeout(p,
                    TimeDuration.valueOf(Math.max(1000, requestTimeout.toMillis() / 2), TimeUnit.MILLISECONDS));
            RaftClientConfigKeys.Async.setOutstandingRequestsMax(p, 1024);
            RaftClient.Builder builder = RaftClient.newBuilder();
            org.apache.ratis.protocol.RaftPeerId hint = leaderHint.apply(s);
            if (hint != null && members.containsKey(hint.toString())) {
                builder.setLeaderId(hint);
            }
            return builder
                    .setProperties(p)
                    .setRaftGroup(RaftGroup.valueOf(gid, ClusterNode.peers(members)))
                    .setClientId(ClientId.randomId())
                    // Retry every 50 ms (elections take 150-300 ms) for about as long as the caller waits.
                    .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(
                            (int) (requestTimeout.toMillis() / 50) + 1,
                            TimeDuration.valueOf(50, TimeUnit.MILLISECONDS)))
                    .build();
        });
    }

    @Override
    public void close() {
        clients.values().forEach(this::closeQuietly);
        clients.clear();
    }
}
