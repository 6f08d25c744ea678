package io.flowkeeper.controller;

import io.flowkeeper.cluster.ClusterNode;
import io.flowkeeper.cluster.ReplicatedOwnership;
import io.flowkeeper.controller.mastership.EntityReaper;
import io.flowkeeper.controller.mastership.LeaseKeeper;
import io.flowkeeper.controller.mastership.Mastership;
import io.flowkeeper.controller.mastership.SwitchAdmission;
import io.flowkeeper.controller.operator.ClusterWatcher;
import io.flowkeeper.controller.operator.EventTimeline;
import io.flowkeeper.controller.operator.NodeMetrics;
import io.flowkeeper.openflow.OpenFlowConfig;
import io.flowkeeper.openflow.OpenFlowServer;
import io.flowkeeper.api.ownership.OwnershipService;
import io.flowkeeper.network.AgentEndpoint;
import io.flowkeeper.network.NetworkManager;
import io.flowkeeper.network.OpenStackEndpoint;
import io.flowkeeper.network.dataplane.TenantDataplane;
import io.flowkeeper.network.nova.NovaNotifier;
import io.flowkeeper.api.ownership.NodeLease;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * Wires one controller node: the cluster datastore (Ratis server + shard groups), this node's lease and switch
 * mastership, the OpenFlow server switches connect to, and the REST API. Start order: Raft first (so peers can
 * elect), then wait for every shard, then the lease, then OpenFlow and REST (so neither a switch nor a client meets
 * a node without a datastore).
 */
public final class ControllerNode implements AutoCloseable {
    /** How long start-up waits for every shard to have a leader before giving up (a peer may still be booting). */
    public static final long READY_TIMEOUT_MS = 120_000;

    private final ControllerConfig config;
    private final ClusterNode cluster;
    private RestServer rest;
    private LeaseKeeper lease;
    private Mastership mastership;
    private EntityReaper reaper;
    private OpenFlowServer openflow;
    private TenantDataplane dataplane;
    private NovaNotifier nova;
    private AgentEndpoint agents;
    /** The hosts' registrations, watched for their agents' restores (the timeline shows each). */
    private io.flowkeeper.network.DocumentMirror restores;
    /** The routers' gateways, watched for changes of active host (the timeline shows each). */
    private io.flowkeeper.network.DocumentMirror gateways;
    /** Reports gateway hosts' switches closing their sessions (a dead ovs-vswitchd) to the gateway registry. */
    private GatewaySwitches gatewaySwitches;
    private int openflowPort;
    /** The operator's view: meters, the timeline and what feeds it (see io.flowkeeper.controller.operator). */
    private final EventTimeline timeline = new EventTimeline(Clock.systemUTC());
    private NodeMetrics metrics;
    private ClusterWatcher watcher;

    public ControllerNode(ControllerConfig config) throws IOException {
        this.config = config;
        this.cluster = new ClusterNode(config.cluster(), config.tls());
    }

    /** Starts everything; prints one line per shard as it becomes ready, then one line for the node. */
    public void start(PrintStream out) throws IOException, InterruptedException {
        cluster.start();
        out.println("controller " + cluster.nodeId() + ": Raft on " + config.cluster().peers().get(cluster.nodeId())
                + (config.tls() == null ? "" : " (mutual TLS)") + ", " + cluster.shards().size() + " shards, peers " + config.cluster().peers().keySet());
        out.flush();
        if (!cluster.awaitReady(READY_TIMEOUT_MS, line -> {
            out.println(line);
            out.flush();
        })) {
            throw new IOException("not every shard elected a leader within " + READY_TIMEOUT_MS / 1000
                    + " s: is a majority of the peers running" + (config.tls() == null
                    ? ", all without tls:? (a node with tls: refuses plain-text Raft)"
                    : ", all with tls: and certificates from the same CA? (mutual TLS refuses any other)"));
        }
        ReplicatedOwnership ownership = new ReplicatedOwnership(cluster);
        metrics = new NodeMetrics(cluster.nodeId(), timeline);
        cluster.commitTimer(metrics::committed);
        watcher = new ClusterWatcher(cluster, ownership, timeline, metrics);
        watcher.start();
        metrics.bindRaft(cluster.shards(), watcher);
        metrics.bindRaftRepairs(cluster::followerRedials, cluster::stallStepDowns, cluster::replicasReopened);
        lease = new LeaseKeeper(cluster, ownership, cluster.nodeId(), config.restAddress(), config.leaseTime(),
                config.peerLinkAddress());
        metrics.bindLease(lease);
        lease.addPeerGoneListener(watcher::peerGone);
        lease.start();
        cluster.prioritize(io.flowkeeper.api.ownership.OwnershipService.SHARD); // renewals commit there: its Raft threads come first
        // Mastership reads through a filter: one unusable stored document is logged and skipped, never fatal.
        mastership = new Mastership(cluster.nodeId(), new ValidatedDatastore(cluster), ownership, lease,
                config.statsInterval());
        mastership.observer(metrics);
        mastership.start();
        String of = config.openflowAddress();
        int colon = of.lastIndexOf(':');
        OpenFlowConfig southbound = OpenFlowConfig.tcp(of.substring(0, colon), Integer.parseInt(of.substring(colon + 1)));
        if (config.tls() != null) { // switches present a certificate from the CA; it binds the dpid they claim
            southbound = southbound.withTls(new OpenFlowConfig.Tls(config.tls().certificate(), config.tls().key(),
                    config.tls().ca()));
        }
        // A new dpid beyond max-switches is disconnected before Mastership registers it (issue 15, D7).
        openflow = new OpenFlowServer(southbound, new SwitchAdmission(mastership, ownership, config.lifecycle()));
        gatewaySwitches = new GatewaySwitches(new io.flowkeeper.network.neutron.GatewayRegistry(cluster,
                Clock.systemUTC()), cluster.nodeId(), () -> (int) ownership.leases().stream().filter(NodeLease::alive)
                .count());
        openflow.addListener(gatewaySwitches);
        metrics.bindOpenFlow(mastership, openflow::messagesIn, openflow::messagesOut);
        metrics.bindRefusedClaims(openflow::refusedClaims);
        reaper = new EntityReaper(ownership, config.lifecycle());
        reaper.start();
        // Tenant networks: this node compiles and programs the hosts' switches it masters, and answers their DHCP.
        dataplane = new TenantDataplane(new NetworkManager(cluster), cluster, openflow, Clock.systemUTC());
        dataplane.start();
        openflow.addProcessor(dataplane, TenantDataplane.PACKET_PRIORITY);
        mastership.flowSource(dataplane);
        rest = new RestServer(cluster, cluster, config.restAddress(), config.apiTokens(), config.nodeToken(),
                config.restSettings());
        new SwitchRoutes(rest, cluster, ownership, mastership, openflow, config.nodeToken()).mountOn(rest);
        new OperatorRoutes(metrics, timeline).mountOn(rest);
        String ownUrl = config.restSettings().scheme() + "://" + config.restAddress();
        rest.mountOpenStack(new OpenStackEndpoint(cluster, config.network(), config.identity(), config.nodeToken(),
                config.apiTokens(), () -> restUrls(ownership, ownUrl, config.restSettings().scheme()),
                Clock.systemUTC()));
        agents = new AgentEndpoint(cluster, Clock.systemUTC()).routedPeers(dataplane::routedPeers)
                .dhcpBindings(dataplane::dhcpBindings, io.flowkeeper.network.dataplane.TenantDataplane.LEASE_SECONDS);
        rest.mount("network", agents::handle);
        restores = io.flowkeeper.network.neutron.HostRegistry.watchRestores(cluster, watcher::hostRestored);
        gateways = io.flowkeeper.network.neutron.GatewayRegistry.watchActive(cluster, watcher::gatewayChanged);
        if (config.nova() != null) {
            // One sender, so Nova hears each event once: the live node with the lowest id (every node agrees).
            String self = cluster.nodeId();
            nova = new NovaNotifier(cluster, config.nova(), () -> ownership.leases().stream()
                    .filter(NodeLease::alive).map(NodeLease::node).min(String::compareTo).orElse(self).equals(self))
                    .start();
        }
        rest.start();
        try {
            openflowPort = openflow.start();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding OpenFlow", e);
        }
        out.println("controller " + cluster.nodeId() + ": OpenFlow on " + of.substring(0, colon) + ":" + openflowPort
                + (config.tls() == null ? " (tcp)" : " (tls)") + ", lease " + config.leaseTime().toMillis() + " ms");
        out.println("controller " + cluster.nodeId() + " ready: REST " + config.restSettings().scheme() + "://"
                + config.restAddress() + " (token required)");
        out.flush();
    }

    /** Every live node's REST base URL (published with its lease), this node's first: the Keystone catalog. */
    private static List<String> restUrls(OwnershipService ownership, String ownUrl, String scheme) {
        List<String> urls = new ArrayList<>();
        urls.add(ownUrl);
        ownership.leases().forEach(l -> {
            String url = scheme + "://" + l.rpcAddress();
            if (l.alive() && l.rpcAddress() != null && !l.rpcAddress().isEmpty() && !urls.contains(url)) {
                urls.add(url);
            }
        });
        return urls;
    }

    public ClusterNode cluster() {
        return cluster;
    }

    /** This node's lease (tests watch it for lapses). */
    LeaseKeeper lease() {
        return lease;
    }

    public int restPort() {
        return rest.port();
    }

    public int openflowPort() {
        return openflowPort;
    }

    @Override
    public void close() throws IOException {
        // Before the switches' sessions end here: those are not switches closing them (nothing to report).
        if (gatewaySwitches != null) {
            gatewaySwitches.close();
        }
        // Switches first: their connections drop at once, so OVS stops sending to a node that is going away.
        if (openflow != null) {
            openflow.close();
        }
        if (reaper != null) {
            reaper.close();
        }
        if (mastership != null) {
            mastership.close();
        }
        if (dataplane != null) {
            dataplane.close();
        }
        if (lease != null) {
            lease.close();
        }
        if (watcher != null) {
            watcher.close();
        }
        if (nova != null) {
            nova.close();
        }
        if (rest != null) {
            rest.close();
        }
        if (agents != null) {
            agents.close();
        }
        if (restores != null) {
            restores.close();
        }
        if (gateways != null) {
            gateways.close();
        }
        cluster.close();
    }
}
