package io.flowkeeper.controller.mastership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.ownership.OwnershipService;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.switches.ControllerRole;
import io.flowkeeper.api.switches.Switch;
import io.flowkeeper.api.switches.SwitchException;
import io.flowkeeper.api.switches.testing.InMemorySwitch;
import io.flowkeeper.cluster.ReplicatedOwnership;
import io.flowkeeper.cluster.testing.InMemoryClusterAdmin;
import io.flowkeeper.cluster.testing.InMemoryDatastore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The real {@link Mastership} and {@link SwitchMaster} of three nodes on one JVM, over one shared in-memory
 * datastore with the real ownership rules, each node with its own {@link LeaseKeeper} and its own session to one
 * switch: who masters it, what reaches its table, and what happens when the master's lease lapses.
 */
@Timeout(30)
class MastershipOverSwitchTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration POLL = Duration.ofMillis(10);
    private static final long DPID = 0xb7L;
    private static final String ENTITY = FlowDocuments.entity(DPID);
    private static final List<String> NODES = List.of("n1", "n2", "n3");

    private final InMemoryDatastore store = new InMemoryDatastore();
    private final OwnershipService ownership = new ReplicatedOwnership(store);
    private final DesiredFlows desired = new DesiredFlows(store);
    private final InMemorySwitch table = new InMemorySwitch(DPID);
    private final SharedSwitchSessions sessions = new SharedSwitchSessions(table);
    private final List<Node> nodes = new ArrayList<>();

    private final class Node {
        final String id;
        final InMemoryClusterAdmin admin;
        final LeaseKeeper lease;
        final Mastership mastership;
        /** While set, this node's renewals fail as they would without quorum (its lease then lapses). */
        volatile boolean renewalsFail;
        Switch session;

        Node(String id) {
            this.id = id;
            admin = new InMemoryClusterAdmin(id, "127.0.0.1:1", store);
            lease = new LeaseKeeper(admin, renewals(this), id, "127.0.0.1:8181", Duration.ofMillis(400));
            mastership = new Mastership(id, store, ownership, lease, Duration.ofMillis(50));
        }

        SwitchMaster master() {
            return mastership.localSwitch(DPID).orElseThrow();
        }
    }

    /** The shared ownership service, as {@code node}'s lease sees it: renewals fail while it says so. */
    private OwnershipService renewals(Node node) {
        return (OwnershipService) java.lang.reflect.Proxy.newProxyInstance(OwnershipService.class.getClassLoader(),
                new Class<?>[] {OwnershipService.class}, (proxy, method, args) -> {
                    if (method.getName().equals("renewLease") && node.renewalsFail) {
                        throw new io.flowkeeper.api.store.StoreException(
                                io.flowkeeper.api.store.StoreException.Kind.UNAVAILABLE, OwnershipService.SHARD,
                                "no quorum (test)");
                    }
                    try {
                        return method.invoke(ownership, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private void startNodes(String leader) {
        for (String id : NODES) {
            Node n = new Node(id);
            n.admin.setLeader(OwnershipService.SHARD, leader);
            nodes.add(n);
            n.lease.start();
            n.mastership.start();
        }
        nodes.forEach(n -> await().atMost(WAIT).pollInterval(POLL).until(n.mastership::isLeaseHeld));
        for (Node n : nodes) {
            n.session = sessions.connect(n.id);
            n.mastership.switchConnected(n.session);
        }
    }

    @AfterEach
    void stop() {
        nodes.forEach(n -> {
            n.mastership.close();
            n.lease.close();
        });
    }

    private static Flow flow(String id, String text) {
        return FlowDocuments.parseFlow(id, text);
    }

    private Node awaitMaster() {
        await().atMost(WAIT).pollInterval(POLL).until(() -> nodes.stream()
                .filter(n -> n.mastership.localSwitch(DPID).map(SwitchMaster::isMaster).orElse(false)).count() == 1);
        return nodes.stream().filter(n -> n.master().isMaster()).findFirst().orElseThrow();
    }

    private long ownedGeneration() {
        return ownership.entities(ReadConsistency.LINEARIZABLE).stream().filter(e -> e.entity().equals(ENTITY))
                .findFirst().orElseThrow().generation();
    }

    /** Desires flow {@code id} alone, starts the nodes (n1 leading ownership), returns the master once it is in. */
    private Node startMasteringOnly(String id, Flow flow) {
        desired.write(DPID, Map.of(id, flow), List.of());
        startNodes("n1");
        Node master = awaitMaster();
        awaitTable(Set.of(flow));
        return master;
    }

    private void awaitTable(Set<Flow> expected) {
        await().atMost(WAIT).pollInterval(POLL).until(() -> new HashSet<>(table.flows()).equals(expected));
    }

    @Test
    void oneNodeMastersTheSwitchAndKeepsItsTableEqualToTheDesiredFlows() {
        Flow a = flow("a", "table=0,priority=10,ip,nw_dst=10.0.0.1,actions=drop");
        Flow b = flow("b", "table=0,priority=10,ip,nw_dst=10.0.0.2,actions=output:2");
        Flow foreign = flow("foreign", "table=0,priority=5,ip,nw_dst=10.9.9.9,actions=drop")
                .withCookie(0x1); // another application's
        Flow stale = flow("stale", "table=0,priority=7,ip,nw_dst=10.7.7.7,actions=drop"); // ours, not desired
        desired.write(DPID, Map.of("a", a, "b", b), List.of());
        table.putDirectly(List.of(foreign, stale));
        startNodes("n1");

        Node master = awaitMaster();
        long generation = ownedGeneration();
        assertThat(master.master().masterGeneration()).isEqualTo(generation);
        assertThat(master.session.role()).isEqualTo(ControllerRole.MASTER);
        assertThat(master.session.generationId()).isEqualTo(generation);
        awaitTable(Set.of(a, b, foreign));
        for (Node n : nodes) {
            if (n != master) {
                await().atMost(WAIT).pollInterval(POLL).until(() -> n.session.role() == ControllerRole.SLAVE);
                assertThat(n.master().isMaster()).isFalse();
            }
        }

        // A flow written after mastership reaches the switch through the master's watch; a delete removes it.
        Flow c = flow("c", "table=1,priority=20,ip,nw_src=10.0.0.3,actions=drop");
        desired.write(DPID, Map.of("c", c), List.of());
        awaitTable(Set.of(a, b, c, foreign));
        desired.write(DPID, Map.of(), List.of("a"));
        awaitTable(Set.of(b, c, foreign));
    }

    @Test
    void whenTheMastersLeaseLapsesAnotherNodeTakesOverAtAHigherGenerationAndTheOldOneCannotWrite() {
        Flow a = flow("a", "table=0,priority=10,ip,nw_dst=10.0.0.1,actions=drop");
        Node old = startMasteringOnly("a", a);
        long oldGeneration = ownedGeneration();
        if (old.id.equals("n1")) { // the leader expires leases: it must outlive the master
            nodes.forEach(n -> n.admin.setLeader(OwnershipService.SHARD, "n2"));
        }

        old.lease.close(); // renewals stop; its Mastership and session stay, as in a paused process
        Node next = await().atMost(WAIT).pollInterval(POLL).until(() -> nodes.stream()
                .filter(n -> n != old && n.master().isMaster()).findFirst(), java.util.Optional::isPresent).get();
        long newGeneration = next.master().masterGeneration();
        assertThat(newGeneration).isGreaterThan(oldGeneration).isEqualTo(ownedGeneration());
        assertThat(old.master().isMaster()).isFalse();

        Flow b = flow("b", "table=0,priority=10,ip,nw_dst=10.0.0.2,actions=drop");
        desired.write(DPID, Map.of("b", b), List.of());
        awaitTable(Set.of(a, b));
        assertThat(table.flows()).hasSize(2); // nothing written twice, nothing lost

        // The old master's session was turned SLAVE by the takeover and its generation is stale now.
        assertThat(old.session.role()).isEqualTo(ControllerRole.SLAVE);
        assertThatThrownBy(() -> old.session.install(List.of(flow("x", "table=0,priority=1,actions=drop"))))
                .isInstanceOf(SwitchException.NotMaster.class);
        assertThatThrownBy(() -> old.session.requestRole(ControllerRole.MASTER, oldGeneration))
                .isInstanceOf(SwitchException.StaleGeneration.class);
        assertThat(new HashSet<>(table.flows())).isEqualTo(Set.of(a, b));
    }

    /**
     * A lease that lapses and comes back before the ownership shard moves anything (a late renewal on a loaded node)
     * suspends the master: nothing written meanwhile, and afterwards no role request and no re-sync, only the change
     * that waited (issue 20: with 1,000 switches, re-syncing all of them on every lapse fed more lapses).
     */
    @Test
    void aLeaseThatLapsesAndReturnsSuspendsTheMasterWithoutDeposingIt() {
        Flow a = flow("a", "table=0,priority=10,ip,nw_dst=10.0.0.1,actions=drop");
        Node master = startMasteringOnly("a", a);
        long generation = ownedGeneration();
        for (Node n : nodes) {
            if (n != master) {
                await().atMost(WAIT).pollInterval(POLL).until(() -> n.session.role() == ControllerRole.SLAVE);
            }
        }
        // No node expires leases now (none leads the ownership shard): the lapse cannot move the switch.
        nodes.forEach(n -> n.admin.setLeader(OwnershipService.SHARD, "nobody"));
        int roleRequests = sessions.calls("requestRole");
        int reconciles = sessions.calls("reconcile");
        int bundles = table.bundleCount();

        master.renewalsFail = true;
        await().atMost(WAIT).pollInterval(POLL).until(() -> !master.lease.isHeld());
        await().atMost(WAIT).pollInterval(POLL).until(() -> !master.master().isMaster());
        Flow b = flow("b", "table=0,priority=10,ip,nw_dst=10.0.0.2,actions=drop");
        desired.write(DPID, Map.of("b", b), List.of());
        await().during(Duration.ofMillis(300)).atMost(WAIT).pollInterval(POLL)
                .until(() -> new HashSet<>(table.flows()).equals(Set.of(a))); // nothing written without the lease
        assertThat(master.session.role()).isEqualTo(ControllerRole.MASTER); // kept, not stepped down to SLAVE
        assertThat(master.master().masterGeneration()).isEqualTo(generation);

        master.renewalsFail = false;
        awaitTable(Set.of(a, b)); // the change that waited
        assertThat(master.master().isMaster()).isTrue();
        assertThat(master.master().masterGeneration()).isEqualTo(generation);
        assertThat(sessions.calls("requestRole")).as("role requests during and after the lapse")
                .isEqualTo(roleRequests);
        assertThat(sessions.calls("reconcile")).as("reconciles during and after the lapse").isEqualTo(reconciles);
        assertThat(table.bundleCount()).as("bundles: b's alone").isEqualTo(bundles + 1);
    }

    @Test
    void aFlowTheSwitchRefusesIsPublishedAsRefusedAndTheOthersStillReachIt() {
        Flow a = flow("a", "table=0,priority=10,ip,nw_dst=10.0.0.1,actions=drop");
        Flow bad = flow("bad", "table=3,priority=10,ip,nw_dst=10.0.0.66,actions=drop");
        table.refuse(f -> f.tableId() == 3, "OFPBAC_BAD_TYPE");
        desired.write(DPID, Map.of("a", a, "bad", bad), List.of());
        startNodes("n1");
        Node master = awaitMaster();
        awaitTable(Set.of(a));

        Flow b = flow("b", "table=0,priority=10,ip,nw_dst=10.0.0.2,actions=drop");
        desired.write(DPID, Map.of("b", b), List.of());
        awaitTable(Set.of(a, b));
        await().atMost(WAIT).pollInterval(POLL).untilAsserted(() -> {
            String doc = store.get(FlowDocuments.OPERATIONAL_SHARD, FlowDocuments.switchPath(DPID),
                    ReadConsistency.STALE).orElseThrow(() -> new AssertionError("not published yet")).json();
            var json = FlowDocuments.JSON.readTree(doc);
            assertThat(json.get("master").asText()).isEqualTo(master.id);
            assertThat(json.get("refused")).hasSize(1);
            assertThat(json.get("refused").get(0).get("id").asText()).isEqualTo("bad");
            assertThat(json.get("refused").get(0).get("error").asText()).contains("OFPBAC_BAD_TYPE");
            assertThat(json.get("desired-flows").asInt()).isEqualTo(3);
        });
    }

    /**
     * An idle switch's statistics are polled less and less often (the delay doubling up to
     * {@link SwitchMaster#MAX_STATS_BACKOFF} intervals: 400 ms here); a change the master programs brings the
     * configured interval (50 ms) back at once.
     */
    @Test
    void idleStatisticsPollingBacksOffAndAChangeBringsTheIntervalBack() throws InterruptedException {
        Flow a = flow("a", "table=0,priority=10,ip,nw_dst=10.0.0.1,actions=drop");
        startMasteringOnly("a", a);
        Thread.sleep(1_500); // 50, 100, 200, 400 ms: at the ceiling
        int before = sessions.calls("flowStats");
        Thread.sleep(2_000);
        int idle = sessions.calls("flowStats") - before;
        assertThat(idle).as("polls of an idle switch in 2 s at a 50 ms interval (40 without the back-off)")
                .isBetween(2, 10);

        Flow b = flow("b", "table=0,priority=10,ip,nw_dst=10.0.0.2,actions=drop");
        desired.write(DPID, Map.of("b", b), List.of());
        awaitTable(Set.of(a, b));
        int changed = sessions.calls("flowStats");
        Thread.sleep(350); // polls at once, 50 and 150 ms later (then it backs off again: the switch is idle)
        assertThat(sessions.calls("flowStats") - changed)
                .as("polls in the 350 ms after a change (at most 1 had the delay stayed at 400 ms)")
                .isGreaterThanOrEqualTo(2);
    }
}
