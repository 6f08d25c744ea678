package io.flowkeeper.controller.mastership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flowkeeper.api.ownership.EntityOwnership;
import io.flowkeeper.api.ownership.OwnershipService;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.cluster.ReplicatedOwnership;
import io.flowkeeper.cluster.testing.InMemoryClusterAdmin;
import io.flowkeeper.cluster.testing.InMemoryDatastore;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * How {@link Mastership} follows committed ownership, on the in-memory datastore with the real ownership rules and
 * a real {@link LeaseKeeper}: the gate every switch write passes ({@link Mastership#canAct}) opens only for the
 * owner, at the current generation, with the lease held and ownership re-read after a lapse. No switch connects:
 * {@link MastershipOverSwitchTest} drives the switch side ({@link SwitchMaster}).
 */
@Timeout(20)
class MastershipOwnersTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final String ENTITY = FlowDocuments.entity(0xa1L);

    private final InMemoryDatastore store = new InMemoryDatastore();
    private final OwnershipService ownership = new ReplicatedOwnership(store);
    private final InMemoryClusterAdmin admin = new InMemoryClusterAdmin("n1", "127.0.0.1:1", store);
    private final LeaseKeeper lease = new LeaseKeeper(admin, ownership, "n1", "127.0.0.1:8181", Duration.ofMillis(600));
    private final Mastership mastership = new Mastership("n1", store, ownership, lease, Duration.ofSeconds(10));

    @BeforeEach
    void start() {
        lease.start();
        mastership.start();
        await().atMost(WAIT).until(mastership::isLeaseHeld);
    }

    @AfterEach
    void stop() {
        mastership.close();
        lease.close();
    }

    private void awaitCanAct(long generation, boolean expected) {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(5))
                .until(() -> mastership.canAct(ENTITY, generation) == expected);
    }

    private long generation() {
        return mastership.owner(ENTITY).map(EntityOwnership::generation).orElse(-1L);
    }

    @Test
    void theOwnerActsOnlyAtTheCurrentGenerationAndStopsWhenOwnershipMoves() {
        ownership.registerCandidate(ENTITY, "n1");
        awaitCanAct(1, true);
        assertThat(mastership.canAct(ENTITY, 0)).isFalse();
        assertThat(mastership.canAct(ENTITY, 2)).isFalse();
        assertThat(mastership.canAct("openflow:00000000000000b2", 1)).isFalse();

        ownership.renewLease("n2", "n2-process", "127.0.0.1:8282");
        ownership.registerCandidate(ENTITY, "n2");
        ownership.unregisterCandidate(ENTITY, "n1"); // the switch disconnected from n1
        awaitCanAct(1, false);
        await().atMost(WAIT).until(() -> mastership.owner(ENTITY).map(EntityOwnership::owner)
                .equals(Optional.of("n2")));
        assertThat(generation()).isEqualTo(2);
        assertThat(mastership.canAct(ENTITY, 2)).isFalse();

        // Back: n1 registers again and n2 leaves; the generation has grown once more.
        ownership.registerCandidate(ENTITY, "n1");
        ownership.unregisterCandidate(ENTITY, "n2");
        awaitCanAct(3, true);
    }

    @Test
    void aLapsedLeaseClosesTheGateUntilTheLeaseIsHeldAndOwnershipReread() {
        ownership.registerCandidate(ENTITY, "n1");
        awaitCanAct(1, true);
        store.setAvailable(false);
        awaitCanAct(1, false);
        assertThat(mastership.isLeaseHeld()).isFalse();
        store.setAvailable(true);
        awaitCanAct(1, true);
        assertThat(mastership.isLeaseHeld()).isTrue();
    }

    @Test
    void anOwnershipDocumentWithAnOlderGenerationIsIgnored() {
        ownership.registerCandidate(ENTITY, "n1");
        ownership.unregisterCandidate(ENTITY, "n1");
        ownership.registerCandidate(ENTITY, "n1");
        awaitCanAct(3, true);
        // A replayed older document (as a lagging replica's watch might deliver) must not move the view back.
        store.commit(OwnershipService.SHARD, Transaction.builder().put(OwnershipService.ENTITIES + "/" + ENTITY,
                "{\"entity\":\"" + ENTITY + "\",\"owner\":\"n2\",\"generation\":2,\"candidates\":[\"n2\"]}").build());
        ownership.registerCandidate("openflow:00000000000000b2", "n1"); // a later change: the watch has passed it
        await().atMost(WAIT).until(() -> mastership.owner("openflow:00000000000000b2").isPresent());
        assertThat(generation()).isEqualTo(3);
        assertThat(mastership.canAct(ENTITY, 3)).isTrue();
    }
}
