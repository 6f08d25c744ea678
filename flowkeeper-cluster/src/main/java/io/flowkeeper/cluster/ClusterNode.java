package io.flowkeeper.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowkeeper.api.cluster.ClusterAdminService;
import io.flowkeeper.api.cluster.ClusterView;
import io.flowkeeper.api.cluster.ShardStatus;
import io.flowkeeper.api.store.CommitResult;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.StoreException;
import io.flowkeeper.api.store.StoreLimits;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.api.store.VersionedValue;
import io.flowkeeper.api.store.Watch;
import io.flowkeeper.api.store.WatchListener;
import io.flowkeeper.api.util.Threads;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.proto.RaftProtos.CommitInfoProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.AlreadyExistsException;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.TransferLeadershipException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One cluster node: a Ratis server hosting every shard's Raft group, a Ratis client per shard (so a write here
 * reaches the shard leader wherever it is, and a retry across a leader change keeps its client id and call id and is
 * applied once, thanks to the server's retry cache), and a leader balancer. Implements the datastore and admin
 * services every other part of the controller uses. Thread-safe.
 */
public final class ClusterNode implements CommandDatastore, ClusterAdminService, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterNode.class);

    /** How long start-up asks the other members whether they already run the cluster (only when groups are new). */
    private static final java.time.Duration PROBE_TIMEOUT = java.time.Duration.ofSeconds(3);

    private final ClusterConfig config;
    /** The transport's TLS config (empty: plain text), for the server and every client this node makes. */
    private final org.apache.ratis.conf.Parameters raftParameters;
    private final ShardCatalog catalog;
    private final RaftPeerId selfId;
    private final Map<String, RaftGroupId> groupIds = new LinkedHashMap<>();
    /** The groups in the order a known death elects them: the ownership shard first. */
    private final List<RaftGroupId> electionOrder;
    private final ShardClients clients;
    private final RaftServer server;
    private final ClientId adminClientId = ClientId.randomId();
    private final AtomicLong adminCallId = new AtomicLong();
    private final ScheduledExecutorService scheduler =
            Executors.newSingleThreadScheduledExecutor(Threads.daemon("raft-upkeep"));
    private final LeaderBalancer balancer;
    private final ReplicationWatch replicationWatch = new ReplicationWatch();
    /** Redials and step-downs the replication watch made here, per follower (step-downs under "*"). */
    private final Map<String, AtomicLong> replicationRepairs = new ConcurrentHashMap<>();
    private final QuickElection quickElection;
    private volatile Map<String, String> members;

    public ClusterNode(ClusterConfig config) throws IOException {
        this(config, null);
    }

    /** A node whose Raft transport is mutual TLS with {@code tls} ({@link RaftTls}); null: plain text. */
    public ClusterNode(ClusterConfig config, io.flowkeeper.api.security.TlsFiles tls) throws IOException {
        this.config = config;
        this.raftParameters = RaftTls.parameters(tls);
        this.catalog = new ShardCatalog(config.shards());
        this.selfId = RaftPeerId.valueOf(config.nodeId());
        this.members = new TreeMap<>(config.peers());
        for (ShardCatalog.Shard s : catalog.shards()) {
            groupIds.put(s.name(), RaftGroupId.valueOf(ShardCatalog.groupUuid(s.name())));
        }
        List<RaftGroupId> order = new ArrayList<>();
        catalog.shards().stream().filter(s -> s.kind() == ShardCatalog.Kind.OWNERSHIP)
                .forEach(s -> order.add(groupIds.get(s.name())));
        catalog.shards().stream().filter(s -> s.kind() != ShardCatalog.Kind.OWNERSHIP)
                .forEach(s -> order.add(groupIds.get(s.name())));
        this.electionOrder = List.copyOf(order);
        io.flowkeeper.api.io.PrivateFiles.createPrivateDirectories(config.dataDir()); // Raft logs: owner only
        // Ratis creates its segments with the process' default mode; say so when that mode is not private.
        io.flowkeeper.api.io.PrivateFiles.defaultModeLeaks(config.dataDir()).ifPresent(mode -> LOG.warn(
                "files Ratis creates in {} get mode {} (the process umask) until the next start tightens them:"
                        + " start the node with umask 077, as bin/flowkeeper does", config.dataDir(), mode));
        Map<RaftGroupId, String> shardByGroup = new ConcurrentHashMap<>();
        groupIds.forEach((name, id) -> shardByGroup.put(id, name));
        this.server = RaftServer.newBuilder()
                .setServerId(selfId)
                .setProperties(serverProperties())
                .setParameters(raftParameters)
                .setStateMachineRegistry(gid -> {
                    String shard = shardByGroup.getOrDefault(gid, gid.toString());
                    return new ShardStateMachine(shard, config.watchHistory(), catalog.find(shard)
                            .map(s -> ShardCommands.forKind(s.kind())).orElse(ShardCommands.NONE));
                })
                .build();
        this.clients = new ShardClients(groupIds, config.peers(), config.requestTimeout(), raftParameters);
        clients.setLeaderHint(shard -> {
            try {
                return server.getDivision(groupIds.get(shard)).getInfo().getLeaderId();
            } catch (IOException | RuntimeException e) {
                return null;
            }
        });
        clients.setElectingHint(shard -> {
            try {
                var info = server.getDivision(groupIds.get(shard)).getInfo();
                return info.isCandidate() || (info.isFollower() && info.getLeaderId() == null);
            } catch (IOException | RuntimeException e) {
                return false; // no replica here (yet): nothing to wait for
            }
        });
        this.balancer = new LeaderBalancer(this);
        this.quickElection = new QuickElection(server);
    }

    private RaftProperties serverProperties() {
        RaftProperties p = new RaftProperties();
        String self = config.peers().get(config.nodeId());
        int colon = self.lastIndexOf(':');
        GrpcConfigKeys.Server.setHost(p, self.substring(0, colon));
        GrpcConfigKeys.Server.setPort(p, Integer.parseInt(self.substring(colon + 1)));
        RaftServerConfigKeys.setStorageDir(p, List.of(config.dataDir().toFile()));
        RaftServerConfigKeys.Rpc.setTimeoutMin(p, dur(config.electionTimeoutMin().toMillis()));
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, dur(config.electionTimeoutMax().toMillis()));
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, config.snapshotThreshold());
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, 2);
        // After a snapshot, purge the log only up to the lowest commit index any member reported (Ratis' default):
        // a member that was down catches up from the leader's log, however long it was away. Purging up to the
        // snapshot instead made the leader send a restarted node its whole snapshot (60 MB in the bench, 25 s)
        // after a few seconds away, because a busy shard had snapshotted meanwhile. A member whose disk was wiped
        // still gets the snapshot: it asks for index 0, which the log no longer has. The cost: while a member is
        // down the log grows; remove a member that will not return (operations.md, Membership).
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, false);
        RaftServerConfigKeys.Log.setPurgeGap(p, (int) Math.min(Integer.MAX_VALUE, Math.max(16, config.snapshotThreshold() / 4)));
        // Small log segments, and only two closed ones cached per group. Ratis keeps every entry of the open segment
        // and of the cached closed ones on the heap for its appenders: with 8 MB segments and a 16 MB cache each entry
        // lived for seconds, survived young collections, and became old-generation garbage that only full collections
        // reclaim (GC pauses summed to 1.4-2.1 s per node in a bench datastore run, 0.7-1.2 s with 1 MB segments,
        // where entries mostly die young). A follower further behind is served from disk, or sent a snapshot. An
        // entry larger than a segment still fits: Ratis writes it into the open segment whatever its size.
        RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf("1MB"));
        RaftServerConfigKeys.Log.setPreallocatedSize(p, SizeInBytes.valueOf("1MB"));
        RaftServerConfigKeys.Log.setSegmentCacheNumMax(p, 2);
        RaftServerConfigKeys.Log.setSegmentCacheSizeMax(p, SizeInBytes.valueOf("2MB"));
        // The largest log entry is one transaction at the limit (validate(); batches stop at 512 KB) plus Ratis'
        // envelope. An appender cannot send an entry larger than its buffer (it fails an assertion, and the shard
        // never replicates past that entry) and the log worker cannot write one larger than its write buffer (the
        // log fails): both must hold it. Each group's write buffer is direct memory, 8 MB by default, which was 32 MB
        // of every node's RSS for four groups; sized to the largest entry, it is ~4.2 MB with 1 MB documents.
        long maxEntry = Math.max(4L << 20, config.maxTransactionBytes() + 65_536);
        RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, SizeInBytes.valueOf(maxEntry));
        RaftServerConfigKeys.Log.setWriteBufferSize(p, SizeInBytes.valueOf(maxEntry + 8));
        // fsync on a separate thread while the log worker goes on writing the next entries. Still durable: an
        // entry counts as flushed (and so towards the commit index) only once its fsync has returned.
        RaftServerConfigKeys.Log.setAsyncFlushEnabled(p, true);
        RaftServerConfigKeys.Log.Appender.setInstallSnapshotEnabled(p, true);
        // Snapshot chunks of 1 MB, not 16 MB: a follower writing a 16 MB chunk on a 256 MB heap hit a 0.5 s full GC,
        // missed the election timeout, started an election and rejected the leader's next chunk as stale; the
        // install then restarted under each new leader and the follower never caught up (seen in bench datastore).
        RaftServerConfigKeys.Log.Appender.setSnapshotChunkSizeMax(p, SizeInBytes.valueOf("1MB"));
        // The default retry policy has a restarted follower wait 5 s between retries (PRODUCT.md): retry every
        // 100 ms, then every 500 ms, so a returning node catches up within a second or two.
        RaftServerConfigKeys.Log.Appender.setRetryPolicy(p, "1ms,10, 100ms,50, 500ms,1000000");
        // Linearizable reads use ReadIndex: served by any replica once it has applied the leader's commit index.
        RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
        // The retry cache turns a retried call (same client id + call id) into the first call's reply. Keep
        // entries for a minute: far longer than any client retries (request-timeout).
        RaftServerConfigKeys.RetryCache.setExpiryTime(p, TimeDuration.valueOf(60, TimeUnit.SECONDS));
        return p;
    }

    private static TimeDuration dur(long millis) {
        return TimeDuration.valueOf(millis, TimeUnit.MILLISECONDS);
    }

    /** Starts the Raft server and joins (or creates) every shard's group. */
    public void start() throws IOException {
        // Groups are created before the Raft port opens. A leader reaches a node that is a member but has no group
        // yet (a wiped node coming back, a node being added) at once, and a request landing while Ratis creates the
        // group breaks the creation ("log is uninitialized", then "previous != null"): start-up failed and the
        // node exited. Groups recovered from disk already exist here (the builder loads them).
        Set<RaftGroupId> existing = new LinkedHashSet<>();
        server.getGroupIds().forEach(existing::add);
        boolean joining = !existing.containsAll(groupIds.values()) && clusterAlreadyRunning();
        for (ShardCatalog.Shard s : catalog.shards()) {
            RaftGroupId gid = groupIds.get(s.name());
            if (existing.contains(gid)) {
                continue; // recovered from disk, with the membership the log recorded
            }
            // Joining a running cluster (a new member, or a member whose disk was wiped): the group starts empty and
            // the leader sends the configuration with its log or snapshot. Started with the configured peers, the
            // replica would call elections before the leader's new configuration includes it, and a voter that
            // does not know it answers "shut down": Ratis then closes that replica for good.
            RaftGroup group = joining ? RaftGroup.valueOf(gid) : RaftGroup.valueOf(gid, peers(members));
            try {
                RaftClientReply reply = server.groupManagement(GroupManagementRequest.newAdd(
                        adminClientId, selfId, adminCallId.incrementAndGet(), group));
                if (!reply.isSuccess()) {
                    throw new IOException("could not create shard " + s.name() + ": " + reply.getException());
                }
            } catch (AlreadyExistsException e) {
                // Raced with a recovery: fine.
            }
        }
        server.start();
        long interval = config.rebalanceInterval().toMillis();
        if (interval > 0) {
            scheduler.scheduleWithFixedDelay(balancer::runOnce, interval, interval, TimeUnit.MILLISECONDS);
        }
        scheduler.scheduleWithFixedDelay(this::watchReplication, WATCH_EVERY_MS, WATCH_EVERY_MS,
                TimeUnit.MILLISECONDS);
    }

    private static final long WATCH_EVERY_MS = 500;
    private static final long REDIAL_SHARED_NANOS = 3_000_000_000L;
    /** When the replication watch last redialled each member (nanoTime); only its thread touches it. */
    private final Map<String, Long> lastRedial = new HashMap<>();
    private static final long REOPEN_EVERY_NANOS = 30_000_000_000L;
    /** When each shard's replica was last reopened here (nanoTime); only the upkeep thread touches it. */
    private final Map<String, Long> lastReopen = new HashMap<>();
    private final Map<String, AtomicLong> reopened = new ConcurrentHashMap<>();
    private volatile boolean closing;

    /**
     * One round of the {@link ReplicationWatch} over the shards this node leads: a follower that answers heartbeats
     * but takes no entries is dialled afresh, and a shard whose commit stays stuck after that gets a new election.
     */
    private void watchReplication() {
        for (ShardCatalog.Shard s : catalog.shards()) {
            String shard = s.name();
            try {
                RaftServer.Division div = server.getDivision(groupIds.get(shard));
                var info = div.getInfo();
                if (!info.isAlive() && !closing
                        && !((ShardStateMachine) div.getStateMachine()).shutDownByTheGroup()) {
                    try {
                        reopen(shard, div);
                    } catch (IOException | RuntimeException e) {
                        LOG.warn("shard {}: reopening its closed replica failed (again in 30 s): {}", shard,
                                e.toString());
                    }
                    continue;
                }
                long[] match = info.getFollowerMatchIndices();
                long[] next = info.getFollowerNextIndices();
                var role = info.getRoleInfoProto();
                var heard = role.getLeaderInfo().getFollowerInfoList();
                var last = div.getRaftLog().getLastEntryTermIndex();
                if (!info.isLeader() || match == null || next == null || last == null || match.length != heard.size()
                        || next.length != heard.size()) {
                    replicationWatch.notLeading(shard); // (or a configuration change between the two reads)
                    continue;
                }
                List<ReplicationWatch.Follower> followers = new ArrayList<>();
                for (int i = 0; i < heard.size(); i++) {
                    String id = heard.get(i).getId().getId().toStringUtf8();
                    followers.add(new ReplicationWatch.Follower(id, match[i], next[i],
                            heard.get(i).getLastRpcElapsedTimeMs(), clients.isGone(RaftPeerId.valueOf(id))));
                }
                var sample = new ReplicationWatch.Sample(System.nanoTime(), role.getLeaderInfo().getTerm(),
                        last.getIndex(), div.getRaftLog().getLastCommittedIndex(), div.getRaftLog().getStartIndex(),
                        followers);
                for (ReplicationWatch.Action a : replicationWatch.observe(shard, sample)) {
                    if (a.kind() == ReplicationWatch.Action.Kind.REDIAL) {
                        // One connection per member serves every shard: the shards that see the same stall within
                        // a few seconds are served by one redial.
                        long now = System.nanoTime();
                        Long previous = lastRedial.get(a.follower());
                        if (previous != null && now - previous < REDIAL_SHARED_NANOS) {
                            continue;
                        }
                        lastRedial.put(a.follower(), now);
                        LOG.warn("shard {}: follower {} takes no entries ({}): dialling it afresh", shard,
                                a.follower(), a.why());
                        replicationRepairs.computeIfAbsent(a.follower(), k -> new AtomicLong()).incrementAndGet();
                        redial(a.follower(), "takes no entries");
                    } else {
                        LOG.warn("shard {}: {}: stepping down for a new election", shard, a.why());
                        replicationRepairs.computeIfAbsent("*", k -> new AtomicLong()).incrementAndGet();
                        Threads.startDaemon("step-down-" + shard, () -> stepDown(shard, 3_000));
                    }
                }
            } catch (IOException | RuntimeException e) {
                LOG.debug("replication watch of {} skipped: {}", shard, e.toString());
            }
        }
    }

    /**
     * Reopens a shard replica that Ratis closed on its own while this node runs, from its disk: Ratis closes a
     * replica whose log worker failed (seen once after a snapshot install, operations.md) and never opens it
     * again, so that node kept serving stale reads of the shard and the shard ran without one of its replicas.
     * The replica is removed from the server (its directory kept) and added back in recover mode: its snapshot
     * and log are read again and the leader brings it up to date. At most once per 30 s per shard.
     */
    private void reopen(String shard, RaftServer.Division closed) throws IOException {
        long now = System.nanoTime();
        Long previous = lastReopen.get(shard);
        if (previous != null && now - previous < REOPEN_EVERY_NANOS) {
            return;
        }
        lastReopen.put(shard, now);
        RaftGroup group = closed.getGroup();
        RaftGroupId gid = group.getGroupId();
        LOG.warn("shard {}: its replica here was closed by Ratis (state {}): reopening it from its disk", shard,
                closed.getInfo().getLifeCycleState());
        reopened.computeIfAbsent(shard, k -> new AtomicLong()).incrementAndGet();
        RaftClientReply removed = server.groupManagement(GroupManagementRequest.newRemove(adminClientId, selfId,
                adminCallId.incrementAndGet(), gid, false, false));
        if (!removed.isSuccess()) {
            throw new IOException("could not remove the closed replica of " + shard + ": " + removed.getException());
        }
        RaftClientReply added = server.groupManagement(GroupManagementRequest.newAdd(adminClientId, selfId,
                adminCallId.incrementAndGet(), group, false));
        if (!added.isSuccess()) {
            throw new IOException("could not reopen the replica of " + shard + ": " + added.getException());
        }
        LOG.info("shard {}: replica reopened from its disk; the leader brings it up to date", shard);
    }

    /** How many times this node reopened its replica of {@code shard}. */
    long reopened(String shard) {
        AtomicLong n = reopened.get(shard);
        return n == null ? 0 : n.get();
    }

    /** How many times the replication watch here redialled {@code follower} ("*": stepped down). */
    long replicationRepairs(String follower) {
        AtomicLong n = replicationRepairs.get(follower);
        return n == null ? 0 : n.get();
    }

    /** Followers this node's replication watch redialled, all shards and members together (for the metrics). */
    public long followerRedials() {
        return replicationRepairs.entrySet().stream().filter(e -> !e.getKey().equals("*"))
                .mapToLong(e -> e.getValue().get()).sum();
    }

    /** Times this node stepped down as a shard leader because its commit index stayed stuck after a redial. */
    public long stallStepDowns() {
        return replicationRepairs("*");
    }

    /** Times this node reopened a replica of its own that Ratis had closed, all shards together. */
    public long replicasReopened() {
        return reopened.values().stream().mapToLong(AtomicLong::get).sum();
    }

    /**
     * Runs the Raft threads that commit {@code shard}'s entries at the highest priority, from now on: that shard's
     * own threads (log worker and flush, state machine updater, leader and appenders) and the gRPC threads every shard
     * shares, which carry its requests and replies. For the ownership shard, whose lease renewals must commit within
     * a fraction of a lease however busy the API keeps the other shards (issue 15). Ratis makes its threads itself
     * and some come and go, so they are found by name, now and every second. The JVM applies priorities only with
     * -XX:ThreadPriorityPolicy=1, and raises them only as root or with CAP_SYS_NICE; otherwise this changes nothing.
     */
    public void prioritize(String shard) {
        checkShard(shard);
        String division = selfId + "@" + groupIds.get(shard);
        Runnable raise = () -> {
            // The root thread group's list, not Thread.getAllStackTraces(): that would stop every thread each time.
            ThreadGroup root = Thread.currentThread().getThreadGroup();
            while (root.getParent() != null) {
                root = root.getParent();
            }
            Thread[] threads = new Thread[root.activeCount() + 64];
            int n = root.enumerate(threads, true);
            for (int i = 0; i < n; i++) {
                Thread t = threads[i];
                String name = t.getName();
                if ((name.startsWith(division) || name.startsWith("grpc-default-")
                        || name.startsWith(selfId + "-client-thread")) && t.getPriority() != Thread.MAX_PRIORITY) {
                    t.setPriority(Thread.MAX_PRIORITY);
                }
            }
        };
        raise.run();
        scheduler.scheduleWithFixedDelay(raise, 1, 1, TimeUnit.SECONDS);
    }

    /**
     * Drops the Raft connection to a restarted member, so that the next vote or append dials it at once. While the
     * member was down its gRPC channel's reconnect back-off grew (1 s, then x1.6 per failed attempt, up to 2
     * minutes), and a call made during a back-off fails at once without dialling: once, a leader's connection to
     * a node restarted 10 s earlier was still backing off, and after the next kill that shard had no leader for
     * ~10 s (bench failover). If the channel had already reached the new process, the reset costs one retried
     * call (Raft retries appends and votes). On a thread of its own: closing the old channel can block for
     * seconds (measured: 2.3 s, which held up a lease expiry when this ran on the caller's thread).
     */
    /**
     * Calls waiting on the dead member fail over (see {@link ShardClients#memberGone}), and this server's Raft
     * connection to it is dropped, so that the vote requests of the election that follows fail at once (a fresh
     * connection to a closed port is refused) instead of on the old connection, which took ~100 ms per request
     * in a measured election (while the other survivor timed out too, and the two split the vote). Every group the
     * dead member led (as this replica knows) elects at once from one survivor ({@link QuickElection}).
     */
    @Override
    public void memberGone(String nodeId) {
        if (!nodeId.equals(config.nodeId()) && members.containsKey(nodeId)) {
            // The two asynchronous steps first (a connection reset, the elections: each on a thread of its own),
            // then the calls' fail-over, which resets clients here and can take tens of ms on a loaded host.
            // The ownership shard elects first: every node's lease renews through it, and a lease not renewed for
            // its validity makes a node step down from switches that never were the dead node's.
            clients.markGone(nodeId);
            redial(nodeId, "gone");
            quickElection.memberGone(RaftPeerId.valueOf(nodeId), electionOrder, clients::isGone);
            clients.memberGone(nodeId);
        }
    }

    @Override
    public void memberRestarted(String nodeId) {
        if (nodeId.equals(config.nodeId()) || !members.containsKey(nodeId)) {
            return;
        }
        clients.memberBack(nodeId);
        redial(nodeId, "restarted");
    }

    /** Drops this server's Raft connection to a member, on a thread of its own (closing a channel can block). */
    private void redial(String nodeId, String why) {
        Threads.startDaemon("redial-" + nodeId, () -> {
            try {
                if (server.getServerRpc() instanceof org.apache.ratis.server.RaftServerRpcWithProxy<?, ?> rpc) {
                    rpc.getProxies().resetProxy(RaftPeerId.valueOf(nodeId));
                    LOG.info("member {} {}: its Raft connection will be dialled afresh", nodeId, why);
                }
            } catch (RuntimeException e) {
                LOG.debug("cannot reset the connection to {}: {}", nodeId, e.toString());
            }
        });
    }

    /** True if the other configured members already serve the first shard (a linearizable read answers). */
    private boolean clusterAlreadyRunning() {
        Map<String, String> others = new TreeMap<>(members);
        others.remove(config.nodeId());
        if (others.isEmpty()) {
            return false;
        }
        String first = catalog.shards().get(0).name();
        try (ShardClients probe = new ShardClients(Map.of(first, groupIds.get(first)), others, PROBE_TIMEOUT,
                raftParameters)) {
            probe.await(first, probe.read(first, Codec.query("get", "/")));
            LOG.info("the other members already serve {}: joining with empty groups", first);
            return true;
        } catch (StoreException e) {
            return false; // a new cluster, or no quorum yet: start the groups with the configured members
        }
    }

    static List<RaftPeer> peers(Map<String, String> members) {
        List<RaftPeer> list = new ArrayList<>();
        members.forEach((id, address) -> list.add(RaftPeer.newBuilder().setId(id).setAddress(address).build()));
        return list;
    }

    /** Blocks until every shard has a leader and this replica has applied up to it, or the timeout passes. */
    public boolean awaitReady(long timeoutMillis, java.util.function.Consumer<String> onShardReady) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        Set<String> ready = new LinkedHashSet<>();
        while (System.currentTimeMillis() < deadline && ready.size() < catalog.shards().size()) {
            for (ShardCatalog.Shard s : catalog.shards()) {
                if (ready.contains(s.name())) {
                    continue;
                }
                try {
                    var div = server.getDivision(groupIds.get(s.name()));
                    RaftPeerId leader = div.getInfo().getLeaderId();
                    if (leader != null) {
                        // A stale read of our own replica would answer now; prove the group commits instead.
                        linearizableRevision(s.name());
                        ready.add(s.name());
                        var info = div.getInfo();
                        onShardReady.accept(String.format("shard %-22s ready: leader %s, term %d, revision %d",
                                s.name(), info.getLeaderId(), info.getCurrentTerm(),
                                stateMachine(s.name()).state().revision()));
                    }
                } catch (IOException | StoreException e) {
                    // not yet
                }
            }
            if (ready.size() < catalog.shards().size()) {
                Thread.sleep(100);
            }
        }
        return ready.size() == catalog.shards().size();
    }

    private void linearizableRevision(String shard) {
        query(shard, Codec.query("get", "/"));
    }

    @Override
    public java.time.Duration requestTimeout() {
        return config.requestTimeout();
    }

    @Override
    public String nodeId() {
        return config.nodeId();
    }

    public ClusterConfig config() {
        return config;
    }

    public ShardCatalog catalog() {
        return catalog;
    }

    RaftServer server() {
        return server;
    }

    LeaderBalancer balancer() {
        return balancer;
    }

    RaftGroupId groupId(String shard) {
        return groupIds.get(shard);
    }

    // ---- DatastoreService ----

    @Override
    public Set<String> shards() {
        return Collections.unmodifiableSet(groupIds.keySet());
    }

    private void checkShard(String shard) {
        if (!groupIds.containsKey(shard)) {
            throw new StoreException(StoreException.Kind.UNKNOWN_SHARD, shard,
                    "unknown shard '" + shard + "' (shards: " + String.join(", ", groupIds.keySet()) + ")");
        }
    }

    /** The local replica of a shard. */
    ShardStateMachine stateMachine(String shard) {
        checkShard(shard);
        try {
            return (ShardStateMachine) server.getDivision(groupIds.get(shard)).getStateMachine();
        } catch (IOException e) {
            throw new StoreException(StoreException.Kind.UNAVAILABLE, shard,
                    "shard '" + shard + "' is not running on this node: " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<VersionedValue> get(String shard, DataPath path, ReadConsistency consistency) {
        checkShard(shard);
        if (consistency == ReadConsistency.STALE) {
            return Optional.ofNullable(stateMachine(shard).state().get(path.toString()));
        }
        JsonNode reply = query(shard, Codec.query("get", path.toString()));
        return reply.has("value") ? Optional.of(Codec.value(reply.get("value"))) : Optional.empty();
    }

    /** A path nobody writes: a linearizable read of it answers only the shard's revision. */
    private static final String REVISION_PROBE = "/.revision-probe";
    /**
     * How long a linearizable list waits for this replica to reach the shard's revision before it reads the
     * documents through the replica that answered instead (a replica still catching up after a restart).
     */
    private static final long LOCAL_CATCH_UP_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    /**
     * A linearizable list is one small ReadIndex read for the shard's revision R (it covers every write committed
     * before the call), then this replica's documents once it has applied R: the same answer as reading them
     * through Raft, without carrying a whole collection in one JSON reply (1,000 switch documents with their
     * ports for {@code GET /v1/switches}, a network's ports for the Neutron API) and parsing it again.
     */
    @Override
    public Snapshot list(String shard, DataPath prefix, ReadConsistency consistency) {
        checkShard(shard);
        ShardState local = stateMachine(shard).state();
        if (consistency == ReadConsistency.STALE) {
            return local.snapshot(prefix);
        }
        long revision = query(shard, Codec.query("get", REVISION_PROBE)).get("rev").asLong();
        return localAt(shard, prefix, revision);
    }

    /** Every shard's revision probe started at once, then each list read from this replica once it caught up. */
    @Override
    public List<Snapshot> listAll(List<ListQuery> queries, ReadConsistency consistency) {
        queries.forEach(q -> checkShard(q.shard()));
        if (consistency == ReadConsistency.STALE) {
            return queries.stream().map(q -> stateMachine(q.shard()).state().snapshot(q.prefix())).toList();
        }
        Map<String, CompletableFuture<RaftClientReply>> probes = new LinkedHashMap<>();
        for (ListQuery q : queries) {
            probes.computeIfAbsent(q.shard(), s -> clients.read(s, Codec.query("get", REVISION_PROBE)));
        }
        Map<String, Long> revisions = new HashMap<>();
        probes.forEach((shard, probe) -> revisions.put(shard, Codec.parse(clients.await(shard, probe).getMessage()
                .getContent()).get("rev").asLong()));
        return queries.stream().map(q -> localAt(q.shard(), q.prefix(), revisions.get(q.shard()))).toList();
    }

    /**
     * This replica's documents under {@code prefix} once it has applied {@code revision}, or the leader's when it
     * does not within {@link #LOCAL_CATCH_UP_NANOS}.
     */
    private Snapshot localAt(String shard, DataPath prefix, long revision) {
        ShardState local = stateMachine(shard).state();
        long deadline = System.nanoTime() + LOCAL_CATCH_UP_NANOS;
        while (local.revision() < revision) {
            if (System.nanoTime() - deadline > 0) {
                return remoteList(shard, prefix);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(200_000);
            local = stateMachine(shard).state(); // replaced when a snapshot is installed
        }
        return local.snapshot(prefix);
    }

    private Snapshot remoteList(String shard, DataPath prefix) {
        JsonNode reply = query(shard, Codec.query("list", prefix.toString()));
        List<VersionedValue> values = new ArrayList<>();
        reply.get("items").forEach(n -> values.add(Codec.value(n)));
        return new Snapshot(reply.get("rev").asLong(), values);
    }

    private JsonNode query(String shard, Message message) {
        RaftClientReply reply = clients.await(shard, clients.read(shard, message));
        return Codec.parse(reply.getMessage().getContent());
    }

    @Override
    public StoreLimits limits() {
        return config.limits();
    }

    /** Told how long each commit through this node took, from submission to its reply (failed ones too). */
    public interface CommitTimer {
        void committed(String shard, long nanos, boolean ok);
    }

    private volatile CommitTimer commitTimer = (shard, nanos, ok) -> { };

    /** Sets who hears the commit latencies (the node's metrics); replaces the previous one. */
    public void commitTimer(CommitTimer timer) {
        this.commitTimer = timer;
    }

    @Override
    public CommitResult commit(String shard, Transaction txn) {
        checkShard(shard);
        limits().check(shard, txn);
        long t0 = System.nanoTime();
        boolean ok = false;
        try {
            CommitResult r = clients.commit(shard, txn);
            ok = true;
            return r;
        } finally {
            commitTimer.committed(shard, System.nanoTime() - t0, ok);
        }
    }

    @Override
    public CommitResult command(String shard, String command, com.fasterxml.jackson.databind.node.ObjectNode args) {
        checkShard(shard);
        Message message = Codec.encodeCommand(command, args);
        long t0 = System.nanoTime();
        boolean ok = false;
        try {
            RaftClientReply reply = clients.await(shard, clients.write(shard, message));
            ok = true;
            return Codec.decodeResults(reply.getMessage().getContent()).get(0)
                    .toCommitResult(new Transaction(List.of(), List.of()));
        } finally {
            commitTimer.committed(shard, System.nanoTime() - t0, ok);
        }
    }

    @Override
    public boolean isLocalLeader(String shard) {
        checkShard(shard);
        try {
            var div = server.getDivision(groupIds.get(shard));
            return div.getInfo().isLeader() && div.getInfo().isLeaderReady();
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Pipelined commit: returns at once; the future completes when committed (or fails as {@link #commit} would).
     * Commits in flight together are independent: their order in the log is not always their order of submission.
     */
    public CompletableFuture<CommitResult> commitAsync(String shard, Transaction txn) {
        checkShard(shard);
        limits().check(shard, txn);
        long t0 = System.nanoTime();
        return clients.commitAsync(shard, txn).whenComplete((r, failure) ->
                commitTimer.committed(shard, System.nanoTime() - t0, failure == null));
    }

    RaftClient client(String shard) {
        return clients.client(shard);
    }

    private StoreException unavailable(String shard, Throwable cause) {
        return clients.unavailable(shard, cause);
    }

    @Override
    public Watch watch(String shard, DataPath prefix, long fromRevision, WatchListener listener) {
        return stateMachine(shard).state().watch(prefix, fromRevision, listener, 100_000);
    }

    @Override
    public ShardStatus shardStatus(String shard) {
        ShardStateMachine sm = stateMachine(shard);
        ShardState state = sm.state();
        return new ShardStatus(shard, config.nodeId(), state.digest(), state.revision(), state.size(),
                sm.appliedIndex());
    }

    // ---- ClusterAdminService ----

    @Override
    public ClusterView view() {
        Map<String, Integer> leads = new TreeMap<>();
        Map<String, Boolean> up = new TreeMap<>();
        Map<String, String> members = members();
        members.keySet().forEach(id -> {
            leads.put(id, 0);
            up.put(id, id.equals(config.nodeId()));
        });
        List<ClusterView.ShardView> shardViews = new ArrayList<>();
        for (ShardCatalog.Shard s : catalog.shards()) {
            try {
                var div = server.getDivision(groupIds.get(s.name()));
                var info = div.getInfo();
                String leader = info.getLeaderId() == null ? null : info.getLeaderId().toString();
                if (leader != null) {
                    leads.merge(leader, 1, Integer::sum);
                    up.put(leader, true);
                }
                long commit = div.getRaftLog().getLastCommittedIndex();
                Map<String, Long> lag = new TreeMap<>();
                if (info.isLeader()) {
                    for (CommitInfoProto c : div.getCommitInfos()) {
                        String id = c.getServer().getId().toStringUtf8();
                        if (!id.equals(config.nodeId())) {
                            lag.put(id, Math.max(0, commit - c.getCommitIndex()));
                        }
                    }
                    for (var f : info.getRoleInfoProto().getLeaderInfo().getFollowerInfoList()) {
                        if (f.getLastRpcElapsedTimeMs() < 3_000) {
                            up.put(f.getId().getId().toStringUtf8(), true);
                        }
                    }
                }
                List<String> memberIds = new ArrayList<>();
                div.getGroup().getPeers().forEach(peer -> memberIds.add(peer.getId().toString()));
                shardViews.add(new ClusterView.ShardView(s.name(), s.kind().name().toLowerCase(), leader,
                        info.getCurrentTerm(), commit, info.getLastAppliedIndex(),
                        ((ShardStateMachine) div.getStateMachine()).state().revision(), memberIds, lag));
            } catch (IOException e) {
                shardViews.add(new ClusterView.ShardView(s.name(), s.kind().name().toLowerCase(), null, 0, 0, 0, 0,
                        List.of(), Map.of()));
            }
        }
        List<ClusterView.NodeView> nodes = new ArrayList<>();
        members.forEach((id, address) -> nodes.add(new ClusterView.NodeView(id, address, up.get(id), leads.get(id))));
        return new ClusterView(config.nodeId(), nodes, shardViews);
    }

    /** Commit index of every replica of a shard as the leader knows it (empty on followers). */
    Collection<CommitInfoProto> commitInfos(String shard) throws IOException {
        return server.getDivision(groupIds.get(shard)).getCommitInfos();
    }

    @Override
    public void addMember(String nodeId, String raftAddress) {
        requireListening(nodeId, raftAddress);
        Map<String, String> next = new TreeMap<>(members());
        next.put(nodeId, raftAddress);
        changeMembership(next);
    }

    /**
     * Refuses at once a member whose Raft address accepts no connection (issue 15, D9): Ratis would stage the new
     * configuration, retry it until the admin client gives up and log every attempt, and the change can only fail.
     * A plain TCP connect, so it holds for TLS too; a node that accepts and then does not answer is left to the
     * caller's timeout.
     */
    private void requireListening(String nodeId, String raftAddress) {
        int colon = raftAddress.lastIndexOf(':');
        int timeoutMs = (int) Math.min(1_000, config.requestTimeout().toMillis());
        try (java.net.Socket probe = new java.net.Socket()) {
            probe.connect(new java.net.InetSocketAddress(raftAddress.substring(0, colon),
                    Integer.parseInt(raftAddress.substring(colon + 1))), timeoutMs);
        } catch (IOException | RuntimeException e) {
            String why = e instanceof java.net.UnknownHostException ? "unknown host"
                    : e instanceof java.net.SocketTimeoutException ? "no answer within " + timeoutMs + " ms"
                    : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new StoreException(StoreException.Kind.UNAVAILABLE, null, "node " + nodeId + " at " + raftAddress
                    + " does not accept connections (" + why + "): start it, then add it");
        }
    }

    @Override
    public void removeMember(String nodeId) {
        Map<String, String> current = members();
        if (!current.containsKey(nodeId)) {
            throw new StoreException(StoreException.Kind.INVALID, null, "no member '" + nodeId + "'");
        }
        Map<String, String> next = new TreeMap<>(current);
        next.remove(nodeId);
        if (next.isEmpty()) {
            throw new StoreException(StoreException.Kind.INVALID, null, "cannot remove the last member");
        }
        changeMembership(next);
    }

    private synchronized void changeMembership(Map<String, String> next) {
        for (ShardCatalog.Shard s : catalog.shards()) {
            try {
                // The list form: the RaftPeer[] + RaftPeer[] form drops the servers in 3.3.0 (PRODUCT.md).
                RaftClientReply reply = client(s.name()).admin().setConfiguration(peers(next));
                if (!reply.isSuccess()) {
                    throw unavailable(s.name(), reply.getException());
                }
            } catch (IOException e) {
                throw unavailable(s.name(), e);
            }
        }
        members = next;
        clients.setMembers(next);
    }

    @Override
    public void transferLeader(String shard, String nodeId) {
        checkShard(shard);
        if (!members().containsKey(nodeId)) {
            throw new StoreException(StoreException.Kind.INVALID, shard, "no member '" + nodeId + "'");
        }
        try {
            RaftClientReply reply = transferLeadership(shard, RaftPeerId.valueOf(nodeId), 3_000);
            if (!reply.isSuccess()) {
                throw unavailable(shard, reply.getException());
            }
        } catch (IOException e) {
            throw unavailable(shard, e);
        }
    }

    /**
     * Asks the shard's leader to hand its leadership to {@code target} within {@code timeoutMs}. Ratis 3.3.0 keeps a
     * transfer that fails as it starts (the start-election call to the target already failed when Ratis looks, which
     * a target whose process is gone does within a millisecond, or the target has no log appender) as pending: the
     * leader then refuses every write with "stepping down" until some other election completes, and with a live
     * leader and a live follower none ever starts (TransferLeadership.start completes the reply, but only a
     * timeout or a new leader clears the pending transfer; the likeliest cause of one CI run's minute of 503s after a
     * kill). After
     * such a failure the leader is told to step down: the election that follows (~ one election timeout, either
     * survivor may win) ends the stall.
     */
    RaftClientReply transferLeadership(String shard, RaftPeerId target, long timeoutMs) throws IOException {
        RaftClientReply reply;
        try {
            reply = client(shard).admin().transferLeadership(target, timeoutMs);
        } catch (TransferLeadershipException e) { // the gRPC client may throw the reply's exception
            endStuckTransfer(shard, target, e, timeoutMs);
            throw e;
        }
        if (!reply.isSuccess()) {
            endStuckTransfer(shard, target, reply.getException(), timeoutMs);
        }
        return reply;
    }

    private void endStuckTransfer(String shard, RaftPeerId target, Throwable failure, long timeoutMs) {
        if (!leavesTransferPending(failure)) {
            return;
        }
        LOG.warn("shard {}: the transfer to {} failed as it started ({}); Ratis keeps it pending and refuses writes"
                + " until an election: asking the leader to step down", shard, target, failure.getMessage());
        stepDown(shard, timeoutMs);
    }

    /** Asks the shard's leader, wherever it is, to step down: a new election follows (either member may win). */
    void stepDown(String shard, long timeoutMs) {
        try {
            RaftClientReply down = client(shard).admin().transferLeadership(null, timeoutMs);
            if (!down.isSuccess()) {
                LOG.warn("shard {}: the leader did not step down: {}", shard, down.getException());
            }
        } catch (IOException e) {
            LOG.warn("shard {}: the leader did not step down: {}", shard, e.toString());
        }
    }

    /**
     * True for the transfer failures that Ratis 3.3.0 reports at once while leaving the transfer pending: the
     * exception's message names the result (TransferLeadership.Result.Type) after "(the current leader is X): ",
     * e.g. "...: TIMED_OUT(2s)" (seen in bench logs) or "...: COMPLETED_EXCEPTIONALLY: ...". A timed-out
     * transfer, one refused up front (a configuration change under way, a target not in the group) or one that
     * found another leader is cleared by Ratis itself.
     */
    static boolean leavesTransferPending(Throwable failure) {
        if (!(failure instanceof TransferLeadershipException) || failure.getMessage() == null) {
            return false;
        }
        String m = failure.getMessage();
        return m.contains("): COMPLETED_EXCEPTIONALLY") || m.contains("): NULL_LOG_APPENDER")
                || m.contains("): NULL_FOLLOWER");
    }

    /** True while a member's process is known gone (reported by {@link #memberGone}, not seen back since). */
    boolean isGone(RaftPeerId member) {
        return clients.isGone(member);
    }

    /**
     * The members as this replica's Raft log records them (the first shard's current configuration), so that every
     * node sees a membership change, not only the node that made it, and a restarted node sees the latest one
     * rather than its config file's. The configured peers until that group is up.
     */
    Map<String, String> members() {
        try {
            var conf = server.getDivision(groupIds.get(catalog.shards().get(0).name())).getRaftConf();
            Map<String, String> current = new TreeMap<>();
            conf.getCurrentPeers().forEach(p -> current.put(p.getId().toString(), p.getAddress()));
            if (!current.isEmpty()) {
                return current;
            }
        } catch (IOException | RuntimeException e) {
            // not started yet
        }
        return members;
    }

    @Override
    public void close() throws IOException {
        closing = true;
        scheduler.shutdownNow();
        quickElection.close();
        clients.close();
        server.close();
    }
}
