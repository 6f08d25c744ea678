package io.flowkeeper.controller.operator;

import io.flowkeeper.api.cluster.ClusterAdminService;
import io.flowkeeper.api.cluster.ClusterView;
import io.flowkeeper.api.ownership.EntityOwnership;
import io.flowkeeper.api.ownership.OwnershipListener;
import io.flowkeeper.api.ownership.OwnershipService;
import io.flowkeeper.api.store.Watch;
import io.flowkeeper.api.util.Threads;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns what this node sees of the cluster into timeline events and counters: Raft leader changes (its replicas'
 * view, polled every {@link #POLL_MS} ms, cheap: local state only), ownership moves (the ownership shard's watch, in
 * commit order), peers seen gone (their peer link, the first sign of a kill), the hosts' restores (their agents'
 * registrations) and the routers' gateway failovers. A move's duration counts from the
 * moment this node first saw the old owner gone (peer link or a lease without owner) to the moment the new owner's
 * commit reached this node's replica; a move of an owner not seen gone (a handover) has none.
 */
public final class ClusterWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterWatcher.class);
    /** How often the Raft view is compared with the last one: well under the 2 s a watcher expects to see a change. */
    static final long POLL_MS = 100;

    private final ClusterAdminService admin;
    private final OwnershipService ownership;
    private final EventTimeline timeline;
    private final NodeMetrics metrics;
    private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(
            Threads.daemon("operator-watch"));
    private final Map<String, String> leaders = new HashMap<>();
    private final Map<String, EntityOwnership> owners = new ConcurrentHashMap<>();
    /** Node id to when this node first saw that process gone, until a new process of it (incarnation) renews. */
    private final Map<String, Gone> goneSince = new ConcurrentHashMap<>();

    /** {@code byLease}: seen gone by its lease's expiry, not by its peer link (a loaded node may renew again). */
    private record Gone(long nanos, String incarnation, boolean byLease) {
    }
    private volatile ClusterView lastView;
    private Watch watch;

    public ClusterWatcher(ClusterAdminService admin, OwnershipService ownership, EventTimeline timeline,
                          NodeMetrics metrics) {
        this.admin = admin;
        this.ownership = ownership;
        this.timeline = timeline;
        this.metrics = metrics;
    }

    public void start() {
        watch = ownership.watch(new OwnershipListener() {
            @Override
            public void ownershipChanged(EntityOwnership e) {
                onOwnership(e);
            }

            @Override
            public void entityRemoved(String entity) {
                owners.remove(entity);
            }
        });
        ownership.entities().forEach(e -> owners.putIfAbsent(e.entity(), e));
        poller.scheduleWithFixedDelay(this::poll, 0, POLL_MS, TimeUnit.MILLISECONDS);
    }

    /** The last Raft view polled (null before the first poll). */
    public ClusterView lastView() {
        return lastView;
    }

    /** Committed ownership as this node's replica has it, by entity. */
    public Map<String, EntityOwnership> owners() {
        return owners;
    }

    /** Called when this node's peer link shows another node's process gone. */
    public void peerGone(String node) {
        if (goneSince.putIfAbsent(node, new Gone(System.nanoTime(), incarnationOf(node), false)) == null) {
            timeline.publish("node-gone", "node " + node + " gone (its peer link closed)", Map.of("node", node));
        }
    }

    /**
     * A host's agent reported a restore of its bridge from its snapshot (seen in the host's registration, on every
     * node: see {@code HostRegistry.watchRestores}); {@code restore} is {@code {"flows", "duration_millis", "reason"}}.
     */
    public void hostRestored(String host, String bridge, com.fasterxml.jackson.databind.JsonNode restore) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("host", host);
        fields.put("bridge", bridge);
        fields.put("flows", restore.path("flows").asLong());
        fields.put("millis", restore.path("duration_millis").asLong());
        fields.put("reason", restore.path("reason").asText());
        timeline.publish("restore", "host " + host + ": " + bridge + " restored from the agent's snapshot, "
                + restore.path("flows").asLong() + " flows in " + restore.path("duration_millis").asLong() + " ms ("
                + restore.path("reason").asText() + ")", fields);
    }

    /** Whether this node's replica holds {@code node}'s lease alive (true when it cannot tell: not gone, then). */
    private boolean leaseAlive(String node) {
        try {
            return ownership.leases().stream().filter(l -> l.node().equals(node)).findFirst()
                    .map(l -> l.alive()).orElse(false);
        } catch (RuntimeException e) {
            return true;
        }
    }

    /**
     * A router's active gateway host changed (see {@code GatewayRegistry.watchActive}): a {@code gateway-failover}
     * when one host replaced another, a {@code gateway-active} when the router got its first active or lost its last.
     */
    public void gatewayChanged(String router, String from, String to, long generation) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("router", router);
        fields.put("from", from == null ? "" : from);
        fields.put("to", to == null ? "" : to);
        fields.put("generation", generation);
        timeline.publish(from != null && to != null ? "gateway-failover" : "gateway-active", "router " + router
                + ": active gateway " + (from == null ? "(none)" : from) + " -> " + (to == null ? "(none)" : to)
                + " at generation " + generation, fields);
    }

    private String incarnationOf(String node) {
        try {
            return ownership.leases().stream().filter(l -> l.node().equals(node)).map(l -> l.incarnation())
                    .findFirst().orElse("");
        } catch (RuntimeException e) {
            return "";
        }
    }

    private void onOwnership(EntityOwnership e) {
        EntityOwnership before = owners.put(e.entity(), e);
        if (before == null || java.util.Objects.equals(before.owner(), e.owner())) {
            return;
        }
        long now = System.nanoTime();
        if (before.owner() != null && e.owner() == null && !leaseAlive(before.owner())) {
            // the owner's lease expired: it is gone to the cluster (an owner whose switch disconnected from it, as
            // when ovs-vswitchd restarts, leaves the entity ownerless too, but its lease lives: it is not gone)
            goneSince.putIfAbsent(before.owner(), new Gone(now, incarnationOf(before.owner()), true));
        }
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("entity", e.entity());
        fields.put("from", before.owner() == null ? "" : before.owner());
        fields.put("to", e.owner() == null ? "" : e.owner());
        fields.put("generation", e.generation());
        Gone since = before.owner() == null ? null : goneSince.get(before.owner());
        String took = "";
        if (since != null && e.owner() != null) {
            double ms = (now - since.nanos()) / 1e6;
            fields.put("millis", Math.round(ms * 10) / 10.0);
            took = String.format(" in %.0f ms after %s was seen gone", ms, before.owner());
        }
        metrics.ownershipMoved(e.entity());
        timeline.publish("mastership-move", e.entity() + ": " + (before.owner() == null ? "(none)" : before.owner())
                + " -> " + (e.owner() == null ? "(none)" : e.owner()) + " at generation " + e.generation() + took,
                fields);
    }

    private void poll() {
        try {
            ClusterView view = admin.view();
            lastView = view;
            for (ClusterView.ShardView s : view.shards()) {
                if (s.leader() == null) {
                    continue; // an election in progress: the change is counted when the new leader is known
                }
                String before = leaders.put(s.name(), s.leader());
                if (before != null && !before.equals(s.leader())) {
                    metrics.leaderChanged(s.name());
                    Map<String, Object> fields = new LinkedHashMap<>();
                    fields.put("shard", s.name());
                    fields.put("from", before);
                    fields.put("to", s.leader());
                    fields.put("term", s.term());
                    timeline.publish("leader-change", "shard " + s.name() + ": leader " + before + " -> "
                            + s.leader() + " (term " + s.term() + ")", fields);
                }
            }
            // A restarted node (a new incarnation renewing) may go again later: forget when its old process went.
            ownership.leases().forEach(l -> {
                Gone g = goneSince.get(l.node());
                if (g != null && l.alive() && !l.incarnation().equals(g.incarnation())) {
                    goneSince.remove(l.node(), g);
                    timeline.publish("node-back", "node " + l.node() + " is back (a new process renews its lease)",
                            Map.of("node", l.node()));
                } else if (g != null && g.byLease() && l.alive()) {
                    // The same process renewed after its lease lapsed (a loaded machine): it was never gone, and a
                    // later kill must still be announced and timed from its own first sign.
                    goneSince.remove(l.node(), g);
                }
            });
        } catch (RuntimeException e) {
            LOG.debug("operator view poll failed: {}", e.toString());
        }
    }

    @Override
    public void close() {
        poller.shutdownNow();
        if (watch != null) {
            watch.close();
        }
    }
}
