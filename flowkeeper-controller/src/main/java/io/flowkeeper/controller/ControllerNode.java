package io.flowkeeper.controller;

import io.flowkeeper.cluster.ClusterNode;
import java.io.IOException;
import java.io.PrintStream;

/**
 * Wires one controller node: the cluster datastore (Ratis server + shard groups) and the REST API on top of it.
 * Start order: Raft first (so peers can elect), then wait for every shard, then REST (so a client never sees a node
 * that answers HTTP but has no datastore yet).
 */
public final class ControllerNode implements AutoCloseable {
    /** How long start-up waits for every shard to have a leader before giving up (a peer may still be booting). */
    public static final long READY_TIMEOUT_MS = 120_000;

    private final ControllerConfig config;
    private final ClusterNode cluster;
    private RestServer rest;

    public ControllerNode(ControllerConfig config) throws IOException {
        this.config = config;
        this.cluster = new ClusterNode(config.cluster());
    }

    /** Starts everything; prints one line per shard as it becomes ready, then one line for the node. */
    public void start(PrintStream out) throws IOException, InterruptedException {
        cluster.start();
        out.println("controller " + cluster.nodeId() + ": Raft on " + config.cluster().peers().get(cluster.nodeId())
                + ", " + cluster.shards().size() + " shards, peers " + config.cluster().peers().keySet());
        out.flush();
        if (!cluster.awaitReady(READY_TIMEOUT_MS, line -> {
            out.println(line);
            out.flush();
        })) {
            throw new IOException("not every shard elected a leader within " + READY_TIMEOUT_MS / 1000
                    + " s: is a majority of the peers running?");
        }
        rest = new RestServer(cluster, config.restAddress(), config.apiTokens());
        rest.start();
        out.println("controller " + cluster.nodeId() + " ready: REST http://" + config.restAddress()
                + " (token required)");
        out.flush();
    }

    public ClusterNode cluster() {
        return cluster;
    }

    public int restPort() {
        return rest.port();
    }

    @Override
    public void close() throws IOException {
        if (rest != null) {
            rest.close();
        }
        cluster.close();
    }
}
