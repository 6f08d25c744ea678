package io.flowkeeper.controller.operator;

import io.flowkeeper.api.cluster.ClusterView;
import io.flowkeeper.api.ownership.EntityOwnership;
import io.flowkeeper.controller.RestServer;
import io.flowkeeper.controller.mastership.LeaseKeeper;
import io.flowkeeper.controller.mastership.Mastership;
import io.flowkeeper.controller.mastership.MastershipObserver;
import io.flowkeeper.controller.mastership.SwitchMaster;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * This node's meters, in Prometheus's names ({@code flowkeeper_*}, seconds, {@code _total} counters) and its text
 * format. Gauges read the node's state when scraped (the Raft view the {@link ClusterWatcher} last polled, the
 * switches connected here, the lease); counters and timers are fed as things happen: commits
 * ({@link #committed}, wired by the node to its cluster), the switch masters ({@link MastershipObserver}), REST requests
 * ({@link RestServer.RequestListener}) and the watcher's leader changes and ownership moves. Every series carries
 * the label {@code node}, so one Prometheus can scrape every node without relabelling.
 */
public final class NodeMetrics implements MastershipObserver, RestServer.RequestListener {
    /** Histogram buckets from 1 ms to 10 s: a commit, a bundle, a takeover all fall inside. */
    private static final Duration MIN_BUCKET = Duration.ofMillis(1);
    private static final Duration MAX_BUCKET = Duration.ofSeconds(10);

    private final String nodeId;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final EventTimeline timeline;
    private final Set<Long> dpidsSeen = ConcurrentHashMap.newKeySet();
    private volatile ClusterWatcher watcher;
    private volatile Mastership mastership;
    private volatile java.util.function.LongSupplier messagesReceived = () -> 0;
    private volatile java.util.function.LongSupplier messagesSent = () -> 0;
    private volatile java.util.function.LongSupplier refusedClaims = () -> 0;
    private volatile java.util.function.LongSupplier followerRedials = () -> 0;
    private volatile java.util.function.LongSupplier stallStepDowns = () -> 0;
    private volatile java.util.function.LongSupplier replicasReopened = () -> 0;

    public NodeMetrics(String nodeId, EventTimeline timeline) {
        this.nodeId = nodeId;
        this.timeline = timeline;
        registry.config().commonTags("node", nodeId);
    }

    /** Registers the Raft gauges of every shard, read from the watcher's last view. */
    public void bindRaft(java.util.Collection<String> shards, ClusterWatcher watcher) {
        this.watcher = watcher;
        for (String shard : shards) {
            shardGauge("flowkeeper.raft.leader", shard, s -> nodeId.equals(s.leader()) ? 1 : 0,
                    "1 while this node leads the shard");
            shardGauge("flowkeeper.raft.term", shard, ClusterView.ShardView::term, "the shard's current Raft term");
            shardGauge("flowkeeper.raft.commit.index", shard, ClusterView.ShardView::commitIndex,
                    "the shard's commit index as this node knows it");
            shardGauge("flowkeeper.raft.applied.index", shard, ClusterView.ShardView::appliedIndex,
                    "the last log index this node's replica applied");
            shardGauge("flowkeeper.raft.apply.lag", shard, s -> Math.max(0, s.commitIndex() - s.appliedIndex()),
                    "entries committed but not yet applied on this node");
            shardGauge("flowkeeper.raft.follower.lag.max", shard, s -> s.followerLag().values().stream()
                    .mapToLong(Long::longValue).max().orElse(0), "on the leader: entries the slowest follower lacks");
            leaderChanges(shard);
        }
        // Switch moves exist from the start at 0, so a rate over them has a series before the first failover.
        ownershipMoves("openflow");
        Gauge.builder("flowkeeper.cluster.nodes.up", this, m -> {
            ClusterView v = m.watcher.lastView();
            return v == null ? Double.NaN : v.nodes().stream().filter(ClusterView.NodeView::up).count();
        }).description("members this node sees up").register(registry);
        Gauge.builder("flowkeeper.ownership.owned.entities", this, m -> m.watcher.owners().values().stream()
                .filter(e -> nodeId.equals(e.owner())).count())
                .description("entities (switches, singletons) this node owns").register(registry);
        Gauge.builder("flowkeeper.ownership.entities", this, m -> m.watcher.owners().size())
                .description("entities in the ownership shard").register(registry);
    }

    private void shardGauge(String name, String shard, ToDoubleFunction<ClusterView.ShardView> f, String help) {
        Gauge.builder(name, this, m -> {
            ClusterView v = m.watcher == null ? null : m.watcher.lastView();
            if (v == null) {
                return Double.NaN;
            }
            return v.shards().stream().filter(s -> s.name().equals(shard)).findFirst().map(f::applyAsDouble)
                    .orElse(Double.NaN);
        }).tag("shard", shard).description(help).register(registry);
    }

    private Counter leaderChanges(String shard) {
        return Counter.builder("flowkeeper.raft.leader.changes").tag("shard", shard)
                .description("leader changes this node saw").register(registry);
    }

    /** Lease renewals and lapses of this node. */
    public void bindLease(LeaseKeeper lease) {
        FunctionCounter.builder("flowkeeper.ownership.lease.renewals", lease, LeaseKeeper::renewalsCommitted)
                .description("lease renewals of this node committed").register(registry);
        FunctionCounter.builder("flowkeeper.ownership.lease.renewal.failures", lease, LeaseKeeper::renewalsFailed)
                .description("lease renewals of this node that failed").register(registry);
        Counter lapses = Counter.builder("flowkeeper.ownership.lease.lapses")
                .description("times this node's lease lapsed (it stopped acting as owner)").register(registry);
        lease.addListener(held -> {
            if (!held) {
                lapses.increment();
                timeline.publish("lease-lapsed", "node " + nodeId + ": lease lapsed, no longer acting as owner",
                        Map.of("node", nodeId));
            }
        });
    }

    /**
     * OpenFlow connections, roles and message counts ({@code received} and {@code sent}: running totals from the
     * southbound, which this package does not name, as the architecture test requires).
     */
    public void bindOpenFlow(Mastership mastership, java.util.function.LongSupplier received,
                             java.util.function.LongSupplier sent) {
        this.mastership = mastership;
        Gauge.builder("flowkeeper.openflow.connections", mastership, m -> m.localSwitches().size())
                .description("switches connected to this node").register(registry);
        for (String role : new String[] {"master", "slave"}) {
            boolean master = role.equals("master");
            Gauge.builder("flowkeeper.openflow.switches", mastership, m -> m.localSwitches().stream()
                    .filter(s -> s.isMaster() == master).count()).tag("role", role)
                    .description("connected switches by this node's role").register(registry);
        }
        // Micrometer holds a function counter's object weakly: the suppliers are kept in fields, and the meters read
        // them through this object, which the registry's owner keeps.
        this.messagesReceived = received;
        this.messagesSent = sent;
        FunctionCounter.builder("flowkeeper.openflow.messages.received", this, m -> m.messagesReceived.getAsLong())
                .description("OpenFlow messages received from switches").register(registry);
        FunctionCounter.builder("flowkeeper.openflow.messages.sent", this, m -> m.messagesSent.getAsLong())
                .description("OpenFlow messages sent to switches").register(registry);
    }

    /**
     * The Raft repairs this node made (docs/operations.md, "A follower that takes no entries" and the closed replica):
     * followers redialled, step-downs after a stuck commit, replicas reopened. Running totals; any rise is worth a
     * look at the node's log, which names the shard and the follower.
     */
    public void bindRaftRepairs(java.util.function.LongSupplier redials, java.util.function.LongSupplier stepDowns,
                                java.util.function.LongSupplier reopens) {
        this.followerRedials = redials;
        this.stallStepDowns = stepDowns;
        this.replicasReopened = reopens;
        FunctionCounter.builder("flowkeeper.raft.follower.redials", this, m -> m.followerRedials.getAsLong())
                .description("followers redialled because they answered heartbeats but took no entries")
                .register(registry);
        FunctionCounter.builder("flowkeeper.raft.stall.step.downs", this, m -> m.stallStepDowns.getAsLong())
                .description("leaderships given up because the commit index stayed stuck after a redial")
                .register(registry);
        FunctionCounter.builder("flowkeeper.raft.replicas.reopened", this, m -> m.replicasReopened.getAsLong())
                .description("replicas of this node that Ratis closed, reopened from disk").register(registry);
    }

    /**
     * Connections closed for claiming a datapath id they may not have: another address's connected switch without
     * TLS, or a dpid the client's certificate does not bind (docs/security.md, D4). A running total from the
     * southbound: a rising count is someone trying to take switches.
     */
    public void bindRefusedClaims(java.util.function.LongSupplier refused) {
        this.refusedClaims = refused;
        FunctionCounter.builder("flowkeeper.openflow.claims.refused", this, m -> m.refusedClaims.getAsLong())
                .description("OpenFlow connections refused for claiming a datapath id they may not have")
                .register(registry);
    }

    /**
     * Registers a per-switch master gauge for switches seen since the last scrape (a gauge per datapath id: a few
     * hundred switches are a few hundred series, what Prometheus is made for).
     */
    private void refreshSwitches() {
        Mastership m = mastership;
        if (m == null) {
            return;
        }
        for (SwitchMaster s : m.localSwitches()) {
            long dpid = s.dpid();
            if (dpidsSeen.add(dpid)) {
                Gauge.builder("flowkeeper.openflow.master", m, ms -> ms.localSwitch(dpid)
                        .map(x -> x.isMaster() ? 1.0 : 0.0).orElse(0.0))
                        .tag("dpid", String.format("%016x", dpid))
                        .description("1 while this node is the switch's synced master").register(registry);
                Gauge.builder("flowkeeper.openflow.generation", m, ms -> ms.localSwitch(dpid)
                        .map(x -> (double) x.masterGeneration()).orElse(-1.0))
                        .tag("dpid", String.format("%016x", dpid))
                        .description("the role generation this node masters the switch at, -1 if not master")
                        .register(registry);
            }
        }
    }

    /** The whole exposition, in Prometheus's text format 0.0.4. */
    public String scrape() {
        refreshSwitches();
        return registry.scrape();
    }

    // ---- fed as things happen ----

    void leaderChanged(String shard) {
        leaderChanges(shard).increment();
    }

    void ownershipMoved(String entity) {
        ownershipMoves(entity.contains(":") ? entity.substring(0, entity.indexOf(':')) : "other").increment();
    }

    private Counter ownershipMoves(String kind) {
        return Counter.builder("flowkeeper.ownership.moves").tag("kind", kind)
                .description("owner changes this node saw committed").register(registry);
    }

    private Timer timer(String name, String help, String... tags) {
        return Timer.builder(name).tags(tags).description(help).publishPercentileHistogram()
                .minimumExpectedValue(MIN_BUCKET).maximumExpectedValue(MAX_BUCKET).register(registry);
    }

    /** One commit through this node took {@code nanos} (failed or not). */
    public void committed(String shard, long nanos, boolean ok) {
        timer("flowkeeper.raft.commit", "commits through this node, submission to reply", "shard", shard,
                "outcome", ok ? "ok" : "failed").record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void masterGranted(long dpid, long generation, long nanos) {
        timer("flowkeeper.openflow.takeover", "ownership change seen to the switch's MASTER grant").record(nanos,
                TimeUnit.NANOSECONDS);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("dpid", String.format("%016x", dpid));
        f.put("node", nodeId);
        f.put("generation", generation);
        f.put("millis", Math.round(nanos / 1e5) / 10.0);
        timeline.publish("master-granted", String.format("switch %016x: MASTER on %s at generation %d, %.1f ms after"
                + " the ownership change", dpid, nodeId, generation, nanos / 1e6), f);
    }

    @Override
    public void reconciled(long dpid, long generation, int flows, int changes, long nanos) {
        timer("flowkeeper.openflow.reconcile", "a takeover's reconcile of one switch").record(nanos,
                TimeUnit.NANOSECONDS);
        Counter.builder("flowkeeper.openflow.reconcile.changes").description("flows a reconcile had to write")
                .register(registry).increment(changes);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("dpid", String.format("%016x", dpid));
        f.put("node", nodeId);
        f.put("flows", flows);
        f.put("changes", changes);
        f.put("millis", Math.round(nanos / 1e5) / 10.0);
        timeline.publish("reconcile", String.format("switch %016x: reconciled by %s, %d flows, %d changed, in %.1f ms",
                dpid, nodeId, flows, changes, nanos / 1e6), f);
    }

    @Override
    public void bundleWritten(long dpid, long nanos, boolean ok) {
        timer("flowkeeper.openflow.bundle", "a bundle of flow changes, sent to committed by the switch",
                "outcome", ok ? "committed" : "refused").record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void served(String route, String method, int status, long nanos) {
        Counter.builder("flowkeeper.rest.requests").tags("route", route, "method", method, "status",
                Integer.toString(status)).description("REST requests answered by a route").register(registry)
                .increment();
        timer("flowkeeper.rest.request", "REST request latency on a route thread", "route", route, "method", method)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Ownership of an entity, for the dashboard's switch table (this node's replica). */
    public Map<String, EntityOwnership> owners() {
        ClusterWatcher w = watcher;
        return w == null ? Map.of() : w.owners();
    }
}
