package io.flowkeeper.controller.mastership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flowkeeper.api.ownership.NodeLease;
import io.flowkeeper.api.ownership.OwnershipService;
import io.flowkeeper.cluster.ReplicatedOwnership;
import io.flowkeeper.cluster.testing.InMemoryClusterAdmin;
import io.flowkeeper.cluster.testing.InMemoryDatastore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The lease of node n1 and its expiry of other nodes, on the in-memory datastore with the real ownership rules: real
 * clocks and threads, a 600 ms lease, so each test takes a second or two. A machine loaded enough to delay a renewal
 * thread by a third of the lease makes the lease flap, as it would in production: the assertions allow that, except
 * where the flap is the point.
 */
@Timeout(20)
class LeaseKeeperTest {
    private static final Duration LEASE = Duration.ofMillis(600);
    private static final Duration WAIT = Duration.ofSeconds(5);

    private final InMemoryDatastore store = new InMemoryDatastore();
    private final OwnershipService ownership = new ReplicatedOwnership(store);
    private final InMemoryClusterAdmin admin = new InMemoryClusterAdmin("n1", "127.0.0.1:1", store);
    private final LeaseKeeper keeper = new LeaseKeeper(admin, ownership, "n1", "127.0.0.1:8181", LEASE);
    private final List<Boolean> changes = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() {
        keeper.close();
    }

    private NodeLease lease(String node) {
        return ownership.leases().stream().filter(l -> l.node().equals(node)).findFirst().orElseThrow();
    }

    private void startHeld() {
        keeper.addListener(changes::add);
        keeper.start();
        await().atMost(WAIT).pollInterval(Duration.ofMillis(5)).until(() -> keeper.isHeld() && !changes.isEmpty());
    }

    private boolean lastChangeWas(boolean held) {
        return !changes.isEmpty() && changes.get(changes.size() - 1) == held;
    }

    @Test
    void theLeaseIsHeldWhileRenewalsCommitAndLapsesWithinALeaseTimeWhenTheyStop() {
        startHeld();
        assertThat(changes).startsWith(true);
        assertThat(lease("n1").alive()).isTrue();
        assertThat(lease("n1").rpcAddress()).isEqualTo("127.0.0.1:8181");
        assertThat(lease("n1").incarnation()).isEqualTo(keeper.incarnation());
        await().atMost(WAIT).until(() -> lease("n1").renewals() >= 3); // every lease-time / 5

        store.setAvailable(false); // no quorum: renewals fail
        long stopped = System.nanoTime();
        await().atMost(WAIT).pollInterval(Duration.ofMillis(5)).until(() -> !keeper.isHeld());
        // Held until 60% of a lease time after the last committed renewal was sent: never a whole lease time after
        // the store stopped committing (the other nodes' leader expires it only after a whole lease time).
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopped)).isLessThan(LEASE.toMillis());
        await().atMost(WAIT).until(() -> lastChangeWas(false));

        store.setAvailable(true);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(5)).until(keeper::isHeld);
        await().atMost(WAIT).until(() -> lastChangeWas(true));
    }

    @Test
    void theOwnershipLeaderExpiresANodeAWholeLeaseTimeAfterItsLastRenewalAndItsEntitiesMove() {
        startHeld();
        ownership.renewLease("n2", "n2-process", "127.0.0.1:8282");
        long renewed = System.nanoTime();
        ownership.registerCandidate("openflow:1", "n2");
        ownership.registerCandidate("openflow:1", "n1");
        assertThat(ownership.entity("openflow:1").orElseThrow().owner()).isEqualTo("n2");

        await().atMost(WAIT).pollInterval(Duration.ofMillis(5)).until(() -> !lease("n2").alive());
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - renewed)).isGreaterThanOrEqualTo(LEASE.toMillis());
        assertThat(ownership.entity("openflow:1").orElseThrow().owner()).isEqualTo("n1");
        assertThat(ownership.entity("openflow:1").orElseThrow().generation()).isEqualTo(2);
        assertThat(lease("n1").alive()).isTrue();
    }

    @Test
    void onlyTheOwnershipLeaderExpiresAndANewLeaderFirstGivesHalfALease() throws Exception {
        admin.setLeader(OwnershipService.SHARD, "n2");
        startHeld();
        ownership.renewLease("n3", "n3-process", "127.0.0.1:8383");
        Thread.sleep(LEASE.toMillis() * 5 / 2);
        assertThat(lease("n3").alive()).as("expired by a node that does not lead the ownership shard").isTrue();

        admin.setLeader(OwnershipService.SHARD, "n1");
        long leading = System.nanoTime();
        await().atMost(WAIT).pollInterval(Duration.ofMillis(5)).until(() -> !lease("n3").alive());
        // n3 was last seen renewing long ago, but nobody could renew while there was no leader: it gets half a
        // lease time from the moment n1 leads.
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - leading))
                .isGreaterThanOrEqualTo(LEASE.toMillis() / 2);
        assertThat(lease("n1").alive()).isTrue();
    }

    @Test
    void aNodeWhoseProcessIsGoneIsExpiredAtOnceThroughItsPeerLink() {
        startHeld();
        // n2: a second node over the same ownership shard, which n1 leads.
        InMemoryClusterAdmin n2Admin = new InMemoryClusterAdmin("n2", "127.0.0.1:2", store);
        n2Admin.setLeader(OwnershipService.SHARD, "n1");
        LeaseKeeper n2 = new LeaseKeeper(n2Admin, ownership, "n2", "127.0.0.1:8282", LEASE);
        try {
            n2.start();
            await().atMost(WAIT).pollInterval(Duration.ofMillis(5)).until(n2::isHeld);
            assertThat(lease("n2").peerLink()).startsWith("127.0.0.1:");
            ownership.registerCandidate("openflow:1", "n2");
            ownership.registerCandidate("openflow:1", "n1");
            // n1 links to n2 (it scans the leases every 200 ms; later on a loaded host)
            await().atMost(WAIT).pollInterval(Duration.ofMillis(5)).until(() -> keeper.linkedTo("n2"));
        } finally {
            n2.close(); // its sockets close, as a killed process' do
        }
        long gone = System.nanoTime();
        await().atMost(WAIT).pollInterval(Duration.ofMillis(5)).until(() -> !lease("n2").alive());
        // Not a lease time after its last renewal: at once.
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - gone)).isLessThan(LEASE.toMillis() / 2);
        assertThat(ownership.entity("openflow:1").orElseThrow().owner()).isEqualTo("n1");
        assertThat(lease("n1").alive()).isTrue();
    }

    @Test
    void aNodeStillRenewingIsNeverExpired() throws Exception {
        startHeld();
        long renewals = lease("n1").renewals();
        Thread.sleep(LEASE.toMillis() * 3);
        assertThat(lease("n1").alive()).isTrue();
        assertThat(lease("n1").renewals()).isGreaterThan(renewals);
    }

    /**
     * A node that restarts links to its peers at once and names its new incarnation: its peers dial its Raft
     * connection afresh then, not once its first lease renewal commits (here renewals of the new process fail, so
     * only the link can have told n1).
     */
    @Test
    void aRestartedPeerIsDialledAfreshAsSoonAsItLinks() {
        List<String> restarted = new CopyOnWriteArrayList<>();
        io.flowkeeper.api.cluster.ClusterAdminService counting = (io.flowkeeper.api.cluster.ClusterAdminService)
                java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                        new Class<?>[] {io.flowkeeper.api.cluster.ClusterAdminService.class}, (proxy, method, args) -> {
                            if (method.getName().equals("memberRestarted")) {
                                restarted.add((String) args[0]);
                            }
                            try {
                                return method.invoke(admin, args);
                            } catch (java.lang.reflect.InvocationTargetException e) {
                                throw e.getCause();
                            }
                        });
        LeaseKeeper n1 = new LeaseKeeper(counting, ownership, "n1", "127.0.0.1:8181", LEASE);
        InMemoryClusterAdmin n2Admin = new InMemoryClusterAdmin("n2", "127.0.0.1:2", store);
        n2Admin.setLeader(OwnershipService.SHARD, "n1");
        LeaseKeeper n2 = new LeaseKeeper(n2Admin, ownership, "n2", "127.0.0.1:8282", LEASE);
        LeaseKeeper n2Again = null;
        try {
            n1.start();
            n2.start();
            await().atMost(WAIT).pollInterval(Duration.ofMillis(5)).until(() -> n1.linkedTo("n2") && n2.isHeld());
            String first = lease("n2").incarnation();
            n2.close();
            OwnershipService refusing = (OwnershipService) java.lang.reflect.Proxy.newProxyInstance(
                    getClass().getClassLoader(), new Class<?>[] {OwnershipService.class}, (proxy, method, args) -> {
                        if (method.getName().equals("renewLease")) {
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
            n2Again = new LeaseKeeper(n2Admin, refusing, "n2", "127.0.0.1:8282", LEASE);
            n2Again.start();
            await().atMost(WAIT).pollInterval(Duration.ofMillis(5)).until(() -> restarted.contains("n2"));
            assertThat(lease("n2").incarnation()).as("no renewal of the new process committed").isEqualTo(first);
            assertThat(restarted).containsExactly("n2");
        } finally {
            if (n2Again != null) {
                n2Again.close();
            }
            n2.close();
            n1.close();
        }
    }
}
