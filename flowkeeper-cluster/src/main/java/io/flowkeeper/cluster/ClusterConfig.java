package io.flowkeeper.cluster;

import io.flowkeeper.api.store.StoreLimits;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Every setting of the cluster module: key (as used in the controller's YAML under {@code cluster:}), default and
 * meaning. Timeouts are explained where they are declared.
 *
 * @param nodeId this node's id ({@code node-id}); letters, digits, '-', unique in the cluster
 * @param peers every member's id to Raft address {@code host:port}, this node included ({@code peers})
 * @param dataDir where the Raft logs and snapshots live ({@code data-dir}); one sub-directory per shard group
 * @param shards the shard list ({@code shards}); default {@link ShardCatalog#DEFAULTS}
 * @param electionTimeoutMin lower bound of the randomised election timeout ({@code election-timeout-min}, default
 *     150 ms). A follower that hears no heartbeat for a random time in [min, max] starts an election. The Ratis
 *     defaults measured on these machines (PRODUCT.md) elect a new leader 0.35-0.63 s after a kill -9.
 * @param electionTimeoutMax upper bound ({@code election-timeout-max}, default 300 ms)
 * @param requestTimeout how long a write or linearizable read waits before failing with UNAVAILABLE naming the
 *     shard ({@code request-timeout}, default 5 s): long enough to ride through several elections (each well under
 *     1 s), short enough that a client without quorum gets a 503 instead of a hang
 * @param snapshotThreshold log entries between automatic state-machine snapshots ({@code snapshot-threshold},
 *     default 4,000; one entry carries up to 512 KB of writes batched by a node); the log before a snapshot is
 *     purged up to the lowest index every member has committed, so a node that was down catches up from the log
 *     and one whose disk was wiped gets the snapshot installed
 * @param watchHistory committed changes each replica remembers for resuming watches ({@code watch-history},
 *     default 20,000 events); older resume revisions get a RESET and a fresh state dump. Each change keeps its
 *     document in memory: 100,000 changes of 1 KB documents ran a 256 MB node out of heap in the bench
 * @param maxValueBytes the largest document accepted ({@code max-value-bytes}, default 1 MiB, at most 8 MiB); a
 *     transaction may be 4 times that plus 64 KB ({@link #maxTransactionBytes})
 * @param rebalanceInterval how often a leader checks whether a shard should move to its preferred node
 *     ({@code rebalance-interval}, default 2 s; 0 disables re-balancing)
 * @param rebalanceSettle how long a preferred node must have been seen up and caught up before leadership is moved
 *     to it ({@code rebalance-settle}, default 3 s): a node that just restarted is not handed shards mid catch-up
 */
public record ClusterConfig(String nodeId, Map<String, String> peers, Path dataDir, List<ShardCatalog.Shard> shards,
                            Duration electionTimeoutMin, Duration electionTimeoutMax, Duration requestTimeout,
                            long snapshotThreshold, int watchHistory, int maxValueBytes,
                            Duration rebalanceInterval, Duration rebalanceSettle) {

    public static final Duration DEFAULT_ELECTION_TIMEOUT_MIN = Duration.ofMillis(150);
    public static final Duration DEFAULT_ELECTION_TIMEOUT_MAX = Duration.ofMillis(300);
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(5);
    public static final long DEFAULT_SNAPSHOT_THRESHOLD = 4_000;
    public static final int DEFAULT_WATCH_HISTORY = 20_000;
    public static final int DEFAULT_MAX_VALUE_BYTES = 1 << 20;
    /** Each shard group's log write buffer holds a whole transaction, 4 documents: 4 x 8 MiB x 4 groups at most. */
    public static final int MAX_MAX_VALUE_BYTES = 8 << 20;
    public static final Duration DEFAULT_REBALANCE_INTERVAL = Duration.ofSeconds(2);
    public static final Duration DEFAULT_REBALANCE_SETTLE = Duration.ofSeconds(3);

    public ClusterConfig {
        Objects.requireNonNull(nodeId, "node-id");
        if (!nodeId.matches("[A-Za-z0-9][A-Za-z0-9-]{0,62}")) {
            throw new IllegalArgumentException("invalid node-id '" + nodeId + "' (letters, digits, '-')");
        }
        peers = Map.copyOf(new LinkedHashMap<>(peers));
        if (!peers.containsKey(nodeId)) {
            throw new IllegalArgumentException("peers must include this node '" + nodeId + "'");
        }
        peers.forEach((id, address) -> {
            if (!address.matches("[^:\\s]+:\\d{1,5}")) {
                throw new IllegalArgumentException("peer " + id + ": address must be host:port, got '" + address + "'");
            }
        });
        Objects.requireNonNull(dataDir, "data-dir");
        shards = List.copyOf(shards == null || shards.isEmpty() ? ShardCatalog.DEFAULTS : shards);
        if (electionTimeoutMax.compareTo(electionTimeoutMin) <= 0) {
            throw new IllegalArgumentException("election-timeout-max must exceed election-timeout-min");
        }
        if (maxValueBytes < 1 || maxValueBytes > MAX_MAX_VALUE_BYTES) {
            throw new IllegalArgumentException("max-value-bytes must be between 1 and " + MAX_MAX_VALUE_BYTES
                    + ", got " + maxValueBytes);
        }
    }

    /**
     * The largest transaction, encoded, that a node accepts: what one API request may carry (four documents of the
     * largest size, plus 64 KB for paths and framing). A log entry is never larger (batches stop at 512 KB), and the
     * Raft log and its appenders are sized to hold one of this size.
     */
    public long maxTransactionBytes() {
        return limits().maxTransactionBytes();
    }

    /** What the datastore accepts with this config. */
    public StoreLimits limits() {
        return StoreLimits.ofMaxValue(maxValueBytes);
    }

    /** A config with every default, for the given identity. */
    public static ClusterConfig of(String nodeId, Map<String, String> peers, Path dataDir) {
        return new ClusterConfig(nodeId, peers, dataDir, ShardCatalog.DEFAULTS, DEFAULT_ELECTION_TIMEOUT_MIN,
                DEFAULT_ELECTION_TIMEOUT_MAX, DEFAULT_REQUEST_TIMEOUT, DEFAULT_SNAPSHOT_THRESHOLD,
                DEFAULT_WATCH_HISTORY, DEFAULT_MAX_VALUE_BYTES, DEFAULT_REBALANCE_INTERVAL, DEFAULT_REBALANCE_SETTLE);
    }

    public ClusterConfig withSnapshotThreshold(long threshold) {
        return new ClusterConfig(nodeId, peers, dataDir, shards, electionTimeoutMin, electionTimeoutMax,
                requestTimeout, threshold, watchHistory, maxValueBytes, rebalanceInterval, rebalanceSettle);
    }

    public ClusterConfig withRequestTimeout(Duration timeout) {
        return new ClusterConfig(nodeId, peers, dataDir, shards, electionTimeoutMin, electionTimeoutMax,
                timeout, snapshotThreshold, watchHistory, maxValueBytes, rebalanceInterval, rebalanceSettle);
    }
}
