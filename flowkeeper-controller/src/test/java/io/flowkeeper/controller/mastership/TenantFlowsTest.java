package io.flowkeeper.controller.mastership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.flow.Action;
import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.ownership.OwnershipService;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.api.switches.PacketIn;
import io.flowkeeper.api.switches.PortInfo;
import io.flowkeeper.api.switches.testing.InMemorySwitch;
import io.flowkeeper.api.switches.testing.InMemorySwitchService;
import io.flowkeeper.cluster.ReplicatedOwnership;
import io.flowkeeper.cluster.testing.InMemoryClusterAdmin;
import io.flowkeeper.cluster.testing.InMemoryDatastore;
import io.flowkeeper.network.NetworkManager;
import io.flowkeeper.api.dhcp.DhcpPacket;
import io.flowkeeper.api.dhcp.DhcpResponder;
import io.flowkeeper.network.dataplane.FlowCompiler;
import io.flowkeeper.network.dataplane.TenantDataplane;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The tenant data plane through the real {@link Mastership} and {@link SwitchMaster} of one node over the in-memory
 * datastore and switch: the host's compiled flows reach the table beside the API's, a model change is one bundle,
 * port status follows, and DHCP is answered from a packet-in.
 */
@Timeout(30)
class TenantFlowsTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final long DPID = 0x2aL;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NET = "11111111-1111-1111-1111-111111111111";
    private static final String MAC_A = "fa:16:3e:00:00:0a";

    private final InMemoryDatastore store = new InMemoryDatastore();
    private final OwnershipService ownership = new ReplicatedOwnership(store);
    private final InMemoryClusterAdmin admin = new InMemoryClusterAdmin("n1", "127.0.0.1:1", store);
    private final LeaseKeeper lease = new LeaseKeeper(admin, ownership, "n1", "127.0.0.1:8181",
            Duration.ofMillis(400));
    private final Mastership mastership = new Mastership("n1", store, ownership, lease, Duration.ofMillis(50));
    private final InMemorySwitchService switches = new InMemorySwitchService();
    /** Status writes (commits to a port document) that fail, as when no shard leader answers in time. */
    private final java.util.concurrent.atomic.AtomicInteger failingStatusWrites =
            new java.util.concurrent.atomic.AtomicInteger();
    private final TenantDataplane dataplane = new TenantDataplane(new NetworkManager(store),
            new StatusWritesFail(store, failingStatusWrites), switches, Clock.systemUTC());
    private final InMemorySwitch table = new InMemorySwitch(DPID);

    @AfterEach
    void stop() {
        mastership.close();
        lease.close();
        dataplane.close();
    }

    private void put(String path, ObjectNode doc) {
        store.commit("network-config", Transaction.builder().put(path, doc.toString()).build());
    }

    private void delete(String path) {
        store.commit("network-config", Transaction.builder().delete(path).build());
    }

    private ObjectNode port(String id, String mac, String ip) {
        ObjectNode p = JSON.createObjectNode().put("id", id).put("name", id).put("project_id", "p1")
                .put("network_id", NET).put("mac_address", mac).put("admin_state_up", true)
                .put("port_security_enabled", true).put("status", "DOWN").put("revision_number", 1);
        p.putArray("fixed_ips").addObject().put("subnet_id", "s1").put("ip_address", ip);
        return p;
    }

    private void plug(String id, String mac, int ofPort) {
        put("/neutron/bindings/" + id, JSON.createObjectNode().put("port_id", id).put("host", "h1")
                .put("ofport", ofPort).put("attached_mac", mac).put("state", "PLUGGED"));
    }

    private String status(String id) throws Exception {
        return JSON.readTree(store.get("network-config", DataPath.of("/neutron/ports/" + id),
                ReadConsistency.STALE).orElseThrow().json()).path("status").asText();
    }

    private Set<Flow> tenantFlows() {
        Set<Flow> out = new HashSet<>();
        table.flows().stream().filter(f -> (f.cookie() & FlowDocuments.COOKIE_MASK) == FlowDocuments.COOKIE_PREFIX
                && (f.cookie() & FlowCompiler.COOKIE_KIND_MASK) != 0xf100000000000000L).forEach(out::add);
        return out;
    }

    @Test
    void aSourceThatCannotTellYetDeletesNothingAndTheMasterAsksAgain() throws Exception {
        Flow held = FlowDocuments.parseFlow("x", "table=0,priority=100,in_port=1,actions=drop")
                .withCookie(FlowCompiler.COOKIE_NETWORK | 100);
        table.putDirectly(List.of(held));
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        masterConnects(new io.flowkeeper.api.switches.SwitchFlowSource() {
            @Override
            public Map<String, Flow> flows(io.flowkeeper.api.switches.Switch sw) {
                if (asked.incrementAndGet() < 3) {
                    throw new IllegalStateException("model not read yet");
                }
                return Map.of("net/1", held);
            }

            @Override
            public void onChange(java.util.function.LongConsumer listener) {
            }
        });
        await().atMost(WAIT).until(() -> mastership.localSwitch(DPID).map(SwitchMaster::isMaster).orElse(false));
        assertThat(asked.get()).isGreaterThanOrEqualTo(3);
        assertThat(table.flows()).containsExactly(held);
        assertThat(table.bundleCount()).isZero(); // nothing was ever deleted, nothing needed adding
    }

    /** A source of {@code flows} for every switch whose host, it says, restores its table from a snapshot. */
    private static io.flowkeeper.api.switches.SwitchFlowSource restoringSource(Map<String, Flow> flows) {
        return new io.flowkeeper.api.switches.SwitchFlowSource() {
            @Override
            public Map<String, Flow> flows(io.flowkeeper.api.switches.Switch sw) {
                return flows;
            }

            @Override
            public boolean restoresFromSnapshot(io.flowkeeper.api.switches.Switch sw) {
                return true;
            }

            @Override
            public void onChange(java.util.function.LongConsumer listener) {
            }
        };
    }

    private void masterConnects(io.flowkeeper.api.switches.SwitchFlowSource source) {
        mastership.flowSource(source);
        admin.setLeader(OwnershipService.SHARD, "n1");
        lease.start();
        mastership.start();
        await().atMost(WAIT).until(mastership::isLeaseHeld);
        switches.addListener(mastership);
        switches.connect(table);
    }

    /**
     * A rebooted host's switch connects empty (OVS flushed it as it added its controllers) while its agent restores
     * the snapshot: the master waits for that restore and reconciles the restored table, changing nothing, rather
     * than writing every flow into the empty table meanwhile.
     */
    @Test
    void aSwitchThatConnectsEmptyIsReconciledOnlyOnceItsAgentRestoredIt() throws Exception {
        Flow f1 = FlowDocuments.parseFlow("x", "table=0,priority=100,in_port=1,actions=drop")
                .withCookie(FlowCompiler.COOKIE_NETWORK | 100);
        Flow f2 = FlowDocuments.parseFlow("y", "table=0,priority=100,in_port=2,actions=drop")
                .withCookie(FlowCompiler.COOKIE_NETWORK | 100);
        masterConnects(restoringSource(Map.of("net/1", f1, "net/2", f2)));
        Thread.sleep(500); // the agent takes its time
        assertThat(table.flows()).isEmpty();
        assertThat(mastership.localSwitch(DPID).map(SwitchMaster::isMaster)).contains(false);
        table.putDirectly(List.of(f1, f2)); // the agent's restore: one bundle
        await().atMost(WAIT).until(() -> mastership.localSwitch(DPID).map(SwitchMaster::isMaster).orElse(false));
        assertThat(table.flows()).containsExactlyInAnyOrder(f1, f2);
        assertThat(table.bundleCount()).isZero(); // the reconcile found the restored table in sync
    }

    /** An agent that is down restores nothing: the master programs the switch after a bounded wait. */
    @Test
    void aSwitchWhoseAgentRestoresNothingIsProgrammedAfterTheBoundedWait() throws Exception {
        Flow f1 = FlowDocuments.parseFlow("x", "table=0,priority=100,in_port=1,actions=drop")
                .withCookie(FlowCompiler.COOKIE_NETWORK | 100);
        long t0 = System.nanoTime();
        masterConnects(restoringSource(Map.of("net/1", f1)));
        await().atMost(WAIT).until(() -> table.flows().contains(f1));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(SwitchMaster.AGENT_RESTORE_WAIT);
        assertThat(table.bundleCount()).isEqualTo(1);
    }

    /**
     * The host's agent dies while the master waits for its restore (its heartbeat ages past the agent-down time):
     * the master stops waiting at once and programs the switch, well before the bounded wait would end.
     */
    @Test
    void aSwitchWhoseAgentIsFoundDeadWhileTheMasterWaitsIsProgrammedAtOnce() throws Exception {
        Flow f1 = FlowDocuments.parseFlow("x", "table=0,priority=100,in_port=1,actions=drop")
                .withCookie(FlowCompiler.COOKIE_NETWORK | 100);
        java.util.concurrent.atomic.AtomicBoolean agentAlive = new java.util.concurrent.atomic.AtomicBoolean(true);
        masterConnects(new io.flowkeeper.api.switches.SwitchFlowSource() {
            @Override
            public Map<String, Flow> flows(io.flowkeeper.api.switches.Switch sw) {
                return Map.of("net/1", f1);
            }

            @Override
            public boolean restoresFromSnapshot(io.flowkeeper.api.switches.Switch sw) {
                return agentAlive.get();
            }

            @Override
            public void onChange(java.util.function.LongConsumer listener) {
            }
        });
        Thread.sleep(300); // waiting for the agent's restore
        assertThat(table.flows()).isEmpty();
        long dead = System.nanoTime();
        agentAlive.set(false);
        await().atMost(WAIT).until(() -> table.flows().contains(f1));
        assertThat(Duration.ofNanos(System.nanoTime() - dead)).isLessThan(SwitchMaster.AGENT_RESTORE_WAIT);
        assertThat(table.bundleCount()).isEqualTo(1);
    }

    @Test
    void theHostsFlowsAreProgrammedBesideTheApisAndFollowTheModel() throws Exception {
        put("/neutron/networks/" + NET, JSON.createObjectNode().put("id", NET).put("name", "n").put("project_id", "p1")
                .put("provider:network_type", "vxlan").put("provider:segmentation_id", 100).put("mtu", 1450)
                .put("admin_state_up", true));
        ObjectNode subnet = JSON.createObjectNode().put("id", "s1").put("network_id", NET).put("cidr", "10.0.0.0/24")
                .put("gateway_ip", "10.0.0.1").put("enable_dhcp", true);
        put("/neutron/subnets/s1", subnet);
        put("/neutron/ports/a", port("a", MAC_A, "10.0.0.3"));
        put("/neutron/ports/c", port("c", "fa:16:3e:00:00:0c", "10.0.0.5"));
        put("/neutron/hosts/h1", JSON.createObjectNode().put("name", "h1").put("tunnel_ip", "192.0.2.1")
                .put("integration_bridge", "br-int").put("datapath_id", DPID).put("heartbeat_millis", 1));
        plug("a", MAC_A, 1);
        Flow api = FlowDocuments.parseFlow("api", "table=100,priority=1,actions=drop");
        new DesiredFlows(store).write(DPID, Map.of("api", api), List.of());

        admin.setLeader(OwnershipService.SHARD, "n1");
        dataplane.start();
        switches.addProcessor(dataplane, TenantDataplane.PACKET_PRIORITY);
        lease.start();
        mastership.start();
        mastership.flowSource(dataplane);
        await().atMost(WAIT).until(mastership::isLeaseHeld);
        switches.addListener(mastership);
        switches.connect(table);

        await().atMost(WAIT).until(() -> table.flows().contains(api) && !tenantFlows().isEmpty());
        await().atMost(WAIT).until(() -> status("a").equals("ACTIVE"));
        assertThat(status("c")).isEqualTo("DOWN");
        assertThat(tenantFlows()).anyMatch(f -> f.toString().contains("in_port=1"));

        // c plugs: one bundle, a's flows untouched, c becomes ACTIVE; only this host's switch is told to recompile
        // (another host with no port on the network is not)
        put("/neutron/hosts/h2", JSON.createObjectNode().put("name", "h2").put("tunnel_ip", "192.0.2.2")
                .put("integration_bridge", "br-int").put("datapath_id", 0x2b).put("heartbeat_millis", 1));
        Thread.sleep(300);
        List<Long> notified = new java.util.concurrent.CopyOnWriteArrayList<>();
        dataplane.onChange(notified::add);
        int bundles = table.bundleCount();
        Set<Flow> before = tenantFlows();
        plug("c", "fa:16:3e:00:00:0c", 2);
        await().atMost(WAIT).until(() -> status("c").equals("ACTIVE"));
        assertThat(notified).isNotEmpty().containsOnly(DPID);
        assertThat(table.bundleCount()).isEqualTo(bundles + 1);
        // all but the flood flows, which gain c (an output; for IPv4 a copy to its ingress rules, ct(table=39))
        assertThat(tenantFlows()).containsAll(before.stream().filter(f -> !f.toString().contains("output")
                && !f.toString().contains("ct(table=39")).toList());
        assertThat(tenantFlows()).anyMatch(f -> f.toString().contains("in_port=2"));

        // a heartbeat changes nothing on the switch
        put("/neutron/hosts/h1", JSON.createObjectNode().put("name", "h1").put("tunnel_ip", "192.0.2.1")
                .put("integration_bridge", "br-int").put("datapath_id", DPID).put("heartbeat_millis", 2));
        // a tunnel port appearing is looked up by name when the switch reports it (no remote port needs it yet)
        switches.portChanged(DPID, new PortInfo(7, "vx-00000000", 0, false, false), "ADD");
        Thread.sleep(300);
        assertThat(table.bundleCount()).isEqualTo(bundles + 1);

        // DHCP: a DISCOVER from c's port is answered out of that port
        Map<Integer, byte[]> options = Map.of(DhcpPacket.OPT_MESSAGE_TYPE, new byte[] {DhcpPacket.DISCOVER});
        byte[] discover = new DhcpPacket(DhcpPacket.BOOTREQUEST, 42, 0, 0, 0, 0, 0, 0,
                FlowCompiler.mac("fa:16:3e:00:00:0c"), options).encodeFrame(FlowCompiler.mac("fa:16:3e:00:00:0c"),
                DhcpResponder.BROADCAST_MAC, 0, 0xffffffffL, DhcpPacket.CLIENT_PORT, DhcpPacket.SERVER_PORT);
        assertThat(switches.packetIn(DPID, new PacketIn(2, 10, FlowCompiler.COOKIE_DHCP | 100, discover))).isTrue();
        assertThat(switches.packetIn(DPID, new PacketIn(2, 10, FlowCompiler.COOKIE_DHCP | 100, new byte[7])))
                .isTrue();
        await().atMost(WAIT).until(() -> switches.packetOuts().size() == 1 && dataplane.dhcpCounters()[1] == 1);
        InMemorySwitchService.PacketOut out = switches.packetOuts().get(0);
        assertThat(out.actions()).containsExactly(Action.Output.to(2));
        DhcpPacket offer = DhcpPacket.parseFrame(out.data());
        assertThat(offer.messageType()).isEqualTo(DhcpPacket.OFFER);
        assertThat(offer.yiaddr()).isEqualTo(io.flowkeeper.network.Ipv4.parse("10.0.0.5"));

        // a unplugs: its flows go, it is DOWN again
        delete("/neutron/bindings/a");
        await().atMost(WAIT).until(() -> status("a").equals("DOWN"));
        assertThat(tenantFlows()).noneMatch(f -> f.toString().contains("in_port=1,"));
        assertThat(table.flows()).contains(api);

        // the model's watch closes by itself (its replica restarted): the data plane reads the model again and follows
        store.state("network-config").closeWatches("replica restarted (test)");
        plug("a", MAC_A, 1);
        await().atMost(WAIT).until(() -> status("a").equals("ACTIVE"));
        assertThat(tenantFlows()).anyMatch(f -> f.toString().contains("in_port=1,"));

        // a status write that fails (the shard had no leader within its timeout, as after a node's kill -9) is
        // tried again: the port does not stay ACTIVE with its flows gone
        failingStatusWrites.set(2);
        delete("/neutron/bindings/a");
        await().atMost(WAIT).until(() -> tenantFlows().stream().noneMatch(f -> f.toString().contains("in_port=1,")));
        await().atMost(WAIT).until(() -> status("a").equals("DOWN"));
        assertThat(failingStatusWrites.get()).as("both failing writes were attempted").isZero();
    }

    /** The store, except that the next {@code failing} commits to a port document throw as an unavailable shard. */
    private record StatusWritesFail(io.flowkeeper.api.store.DatastoreService store,
                                    java.util.concurrent.atomic.AtomicInteger failing)
            implements io.flowkeeper.api.store.DatastoreService {
        @Override
        public Set<String> shards() {
            return store.shards();
        }

        @Override
        public java.util.Optional<io.flowkeeper.api.store.VersionedValue> get(String shard, DataPath path,
                                                                               ReadConsistency consistency) {
            return store.get(shard, path, consistency);
        }

        @Override
        public Snapshot list(String shard, DataPath prefix, ReadConsistency consistency) {
            return store.list(shard, prefix, consistency);
        }

        @Override
        public io.flowkeeper.api.store.StoreLimits limits() {
            return store.limits();
        }

        @Override
        public io.flowkeeper.api.store.CommitResult commit(String shard, Transaction transaction) {
            boolean portDocument = transaction.operations().stream()
                    .anyMatch(o -> o.path().startsWith("/neutron/ports/"));
            if (portDocument && failing.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new io.flowkeeper.api.store.StoreException(io.flowkeeper.api.store.StoreException.Kind.UNAVAILABLE,
                        shard, "no leader within the timeout (test)");
            }
            return store.commit(shard, transaction);
        }

        @Override
        public io.flowkeeper.api.store.Watch watch(String shard, DataPath prefix, long fromRevision,
                                                   io.flowkeeper.api.store.WatchListener listener) {
            return store.watch(shard, prefix, fromRevision, listener);
        }
    }
}
