package io.flowkeeper.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Three in-process Ratis servers, n1-n3, serving one shard (n1 is its preferred leader); closed by the test. */
final class InProcessReplicas implements AutoCloseable {
    final List<ClusterNode> nodes = new ArrayList<>();
    private final Path dir;
    final String shard;

    /**
     * Starts n1-n3 and waits until every replica serves the shard.
     *
     * @param rebalanceInterval null: the default
     * @param rebalanceSettle null: the default
     */
    InProcessReplicas(String name, Duration rebalanceInterval, Duration rebalanceSettle) throws Exception {
        dir = Files.createTempDirectory(name);
        Map<String, String> peers = new TreeMap<>();
        for (String id : List.of("n1", "n2", "n3")) {
            try (ServerSocket s = new ServerSocket(0)) {
                peers.put(id, "127.0.0.1:" + s.getLocalPort());
            }
        }
        List<ShardCatalog.Shard> shards = List.of(ShardCatalog.DEFAULTS.get(0));
        shard = shards.get(0).name();
        for (String id : peers.keySet()) {
            ClusterConfig c = ClusterConfig.of(id, peers, dir.resolve(id));
            nodes.add(new ClusterNode(new ClusterConfig(id, peers, c.dataDir(), shards, c.electionTimeoutMin(),
                    c.electionTimeoutMax(), c.requestTimeout(), c.snapshotThreshold(), c.watchHistory(),
                    c.maxValueBytes(), rebalanceInterval == null ? c.rebalanceInterval() : rebalanceInterval,
                    rebalanceSettle == null ? c.rebalanceSettle() : rebalanceSettle)));
        }
        // Started together, as a new cluster: a node started after the others already serve would join with empty
        // groups (ClusterNode.start), a different bed.
        List<Thread> starters = new ArrayList<>();
        List<Exception> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (ClusterNode n : nodes) {
            Thread t = new Thread(() -> {
                try {
                    n.start();
                } catch (Exception e) {
                    failures.add(e);
                }
            });
            t.start();
            starters.add(t);
        }
        for (Thread t : starters) {
            t.join(60_000);
        }
        assertTrue(failures.isEmpty(), "start: " + failures);
        for (ClusterNode n : nodes) {
            assertTrue(n.awaitReady(60_000, line -> { }), "cluster ready"); // 30 s were too few at load 97
        }
    }

    /** The first replica other than {@code n}. */
    ClusterNode otherThan(ClusterNode n) {
        return nodes.stream().filter(x -> x != n).findFirst().orElseThrow();
    }

    ClusterNode node(String id) {
        return nodes.stream().filter(n -> n.nodeId().equals(id)).findFirst().orElseThrow();
    }

    /** Leadership of the shard to {@code target} (retried: on a loaded machine an election can fail). */
    void moveLeader(String target) throws Exception {
        ClusterNode to = node(target);
        long deadline = System.currentTimeMillis() + 20_000;
        while (!to.isLocalLeader(shard) && System.currentTimeMillis() < deadline) {
            try {
                to.transferLeader(shard, target);
            } catch (RuntimeException e) {
                Thread.sleep(100);
            }
        }
        assertTrue(to.isLocalLeader(shard), target + " leads " + shard);
    }

    ClusterNode readyLeader(long timeoutMs) throws InterruptedException {
        return readyLeaderOtherThan(null, timeoutMs);
    }

    ClusterNode readyLeaderOtherThan(ClusterNode not, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            for (ClusterNode n : nodes) {
                try {
                    if (n != not && n.isLocalLeader(shard)) {
                        return n;
                    }
                } catch (RuntimeException e) {
                    // closed
                }
            }
            Thread.sleep(2);
        }
        return null;
    }

    /** Closes {@code n} on a thread of its own (Ratis takes a while to stop): the caller goes on at once. */
    static Thread closeInBackground(ClusterNode n) {
        Thread closer = new Thread(() -> {
            try {
                n.close();
            } catch (Exception e) {
                // closed anyway
            }
        });
        closer.start();
        return closer;
    }

    @Override
    public void close() throws Exception {
        for (ClusterNode n : nodes) {
            try {
                n.close();
            } catch (Exception e) {
                // already closed (a killed one)
            }
        }
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
