package io.flowkeeper.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.flowkeeper.api.ownership.EntityOwnership;
import io.flowkeeper.api.ownership.NodeLease;
import io.flowkeeper.api.ownership.OwnershipListener;
import io.flowkeeper.api.ownership.OwnershipService;
import io.flowkeeper.api.store.Watch;
import io.flowkeeper.cluster.testing.InMemoryDatastore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The ownership rules, through the ownership service a node uses ({@link ReplicatedOwnership}) over the in-memory
 * datastore: the same commands and documents as on a cluster, decided by one {@link ShardState} instead of Raft.
 */
class OwnershipCommandsTest {
    private final InMemoryDatastore store = new InMemoryDatastore();
    private final OwnershipService ownership = new ReplicatedOwnership(store);

    private void renew(String node, String incarnation) {
        ownership.renewLease(node, incarnation, "127.0.0.1:1");
    }

    private void register(String entity, String node) {
        ownership.registerCandidate(entity, node);
    }

    private void unregister(String entity, String node) {
        ownership.unregisterCandidate(entity, node);
    }

    private void expire(String node, long renewals) {
        ownership.expireLease(node, renewals);
    }

    private EntityOwnership entity(String name) {
        return ownership.entity(name).orElseThrow();
    }

    private void threeNodesTwoSwitches() {
        for (String n : List.of("n1", "n2", "n3")) {
            renew(n, "i-" + n);
        }
        // Every node connects to both switches; n1 happens to be first each time.
        for (String sw : List.of("openflow:1", "openflow:2")) {
            for (String n : List.of("n1", "n2", "n3")) {
                register(sw, n);
            }
        }
    }

    @Test
    void firstLiveCandidateOwnsAtGenerationOne() {
        renew("n1", "a");
        register("openflow:1", "n1");
        assertThat(entity("openflow:1")).isEqualTo(new EntityOwnership("openflow:1", "n1", 1, List.of("n1")));
    }

    @Test
    void anEntityWithoutAnOwnerIsRemovedAndAReturningSwitchStartsAboveItsOldGeneration() {
        threeNodesTwoSwitches();
        EntityOwnership owned = entity("openflow:1");
        ownership.removeEntity("openflow:1", owned.generation());
        assertThat(ownership.entity("openflow:1")).as("owned: kept").contains(owned);
        for (String n : List.of("n1", "n2", "n3")) {
            unregister("openflow:1", n); // the switch went away from every node
        }
        EntityOwnership gone = entity("openflow:1");
        assertThat(gone.owner()).isNull();
        ownership.removeEntity("openflow:1", gone.generation() - 1);
        assertThat(ownership.entity("openflow:1")).as("another generation than judged: kept").isPresent();
        List<String> removed = new CopyOnWriteArrayList<>();
        try (Watch w = ownership.watch(new OwnershipListener() {
            @Override
            public void ownershipChanged(EntityOwnership e) {
            }

            @Override
            public void entityRemoved(String entity) {
                removed.add(entity);
            }
        })) {
            ownership.removeEntity("openflow:1", gone.generation());
            await().atMost(Duration.ofSeconds(5)).until(() -> removed.contains("openflow:1"));
        }
        assertThat(ownership.entity("openflow:1")).isEmpty();
        assertThat(ownership.entities()).extracting(EntityOwnership::entity).containsExactly("openflow:2");
        register("openflow:1", "n2"); // the switch is back
        assertThat(entity("openflow:1").generation()).isGreaterThan(gone.generation());
        register("openflow:9", "n3"); // so is every new entity: the floor is shard-wide
        assertThat(entity("openflow:9").generation()).isGreaterThan(gone.generation());
    }

    @Test
    void switchesThatConnectedToOneNodeFirstAreSpreadOverNodes() {
        threeNodesTwoSwitches();
        assertThat(entity("openflow:1").owner()).isNotEqualTo(entity("openflow:2").owner());
        assertThat(entity("openflow:1").candidates()).containsExactly("n1", "n2", "n3");
    }

    @Test
    void anExpiredOwnerLosesItsEntitiesAndTheGenerationGrows() {
        threeNodesTwoSwitches();
        EntityOwnership before = entity("openflow:1");
        expire(before.owner(), 1);
        EntityOwnership after = entity("openflow:1");
        assertThat(after.owner()).isNotNull().isNotEqualTo(before.owner());
        assertThat(after.generation()).isEqualTo(before.generation() + 1);
        // Back alive (same process, e.g. after a long pause): it does not take the entity back.
        renew(before.owner(), "i-" + before.owner());
        assertThat(entity("openflow:1").owner()).isEqualTo(after.owner());
    }

    @Test
    void anExpiryJudgedBeforeARenewalCommittedIsIgnored() {
        threeNodesTwoSwitches();
        String owner = entity("openflow:1").owner();
        renew(owner, "i-" + owner); // renewals is now 2
        expire(owner, 1);
        assertThat(entity("openflow:1").owner()).isEqualTo(owner);
    }

    @Test
    void aRestartedNodeLosesItsOldCandidacies() {
        threeNodesTwoSwitches();
        String owner = entity("openflow:2").owner();
        long generation = entity("openflow:2").generation();
        renew(owner, "new-incarnation");
        assertThat(entity("openflow:2").candidates()).doesNotContain(owner).hasSize(2);
        assertThat(entity("openflow:2").owner()).isNotEqualTo(owner);
        assertThat(entity("openflow:2").generation()).isEqualTo(generation + 1);
    }

    @Test
    void withoutLiveCandidatesThereIsNoOwnerAndTheGenerationNeverGoesBack() {
        renew("n1", "a");
        register("app:dhcp", "n1");
        unregister("app:dhcp", "n1");
        assertThat(entity("app:dhcp")).isEqualTo(new EntityOwnership("app:dhcp", null, 2, List.of()));
        register("app:dhcp", "n1");
        assertThat(entity("app:dhcp")).isEqualTo(new EntityOwnership("app:dhcp", "n1", 3, List.of("n1")));
    }

    @Test
    void aDeadNodeRegisteringDoesNotBecomeOwner() {
        renew("n1", "a");
        renew("n2", "b");
        expire("n2", 1);
        register("openflow:9", "n2");
        assertThat(entity("openflow:9").owner()).isNull();
        register("openflow:9", "n1");
        assertThat(entity("openflow:9").owner()).isEqualTo("n1");
    }

    @Test
    void unknownCommandsAndBadArgumentsAreRefused() {
        ShardState state = store.state(OwnershipService.SHARD);
        ShardCommands.State view = new ShardCommands.State() {
            @Override
            public io.flowkeeper.api.store.VersionedValue get(String path) {
                return state.get(path);
            }

            @Override
            public List<io.flowkeeper.api.store.VersionedValue> list(io.flowkeeper.api.store.DataPath prefix) {
                return state.list(prefix);
            }
        };
        OwnershipCommands rules = new OwnershipCommands();
        assertThatThrownBy(() -> rules.plan("steal", Codec.JSON.createObjectNode(), view))
                .hasMessageContaining("unknown ownership command");
        assertThatThrownBy(() -> rules.plan(OwnershipCommands.REGISTER,
                Codec.JSON.createObjectNode().put("entity", "a/b").put("node", "n1"), view))
                .hasMessageContaining("invalid path segment");
        // Through the service, a refused command changes nothing.
        long revision = state.revision();
        register("a:b", "n1");
        ownership.registerCandidate("x", "");
        assertThat(state.revision()).isEqualTo(revision + 1); // only the valid registration wrote
    }

    @Test
    void oneCommandRegistersManySwitchesAndSpreadsThemOverTheNodes() {
        for (String n : List.of("n1", "n2", "n3")) {
            renew(n, "i-" + n);
        }
        List<String> switches = java.util.stream.IntStream.range(0, 30).mapToObj(i -> "openflow:" + i).toList();
        ShardState state = store.state(OwnershipService.SHARD);
        long revision = state.revision();
        for (String n : List.of("n1", "n2", "n3")) {
            ownership.registerCandidates(switches, n); // n1 first: it owns all 30 until the others register
        }
        assertThat(state.revision()).isEqualTo(revision + 3); // one entry per node, not one per switch
        Map<String, Long> owned = ownership.entities().stream().collect(java.util.stream.Collectors.groupingBy(
                EntityOwnership::owner, java.util.stream.Collectors.counting()));
        assertThat(owned).containsOnlyKeys("n1", "n2", "n3");
        assertThat(owned.values()).allSatisfy(count -> assertThat(count).isBetween(8L, 12L));
        // The same owners as registering each switch alone.
        OwnershipService oneByOne = new ReplicatedOwnership(new InMemoryDatastore());
        for (String n : List.of("n1", "n2", "n3")) {
            oneByOne.renewLease(n, "i-" + n, "127.0.0.1:1");
        }
        for (String n : List.of("n1", "n2", "n3")) {
            switches.forEach(sw -> oneByOne.registerCandidate(sw, n));
        }
        assertThat(ownership.entities()).isEqualTo(oneByOne.entities());
        assertThat(ownership.entities()).allSatisfy(e -> assertThat(e.candidates()).hasSize(3));

        // A dead node's switches all move in one entry.
        String victim = entity("openflow:0").owner();
        long before = state.revision();
        expire(victim, 1);
        assertThat(state.revision()).isEqualTo(before + 1);
        assertThat(ownership.entities()).noneMatch(e -> victim.equals(e.owner()));

        ownership.unregisterCandidates(switches, "n1");
        assertThat(ownership.entities()).allSatisfy(e -> assertThat(e.candidates()).doesNotContain("n1"));
    }

    @Test
    void aCandidacyLoggedBeforeBatchingStillApplies() {
        renew("n1", "a");
        // The single-entity form of the commands, as Raft logs written by earlier versions hold them.
        store.command(OwnershipService.SHARD, OwnershipCommands.REGISTER,
                Codec.JSON.createObjectNode().put("entity", "openflow:7").put("node", "n1"));
        assertThat(entity("openflow:7")).isEqualTo(new EntityOwnership("openflow:7", "n1", 1, List.of("n1")));
        store.command(OwnershipService.SHARD, OwnershipCommands.UNREGISTER,
                Codec.JSON.createObjectNode().put("entity", "openflow:7").put("node", "n1"));
        assertThat(entity("openflow:7").candidates()).isEmpty();
    }

    @Test
    void theLeastLoadedLiveCandidateIsChosen() {
        for (String n : List.of("n1", "n2")) {
            renew(n, "i-" + n);
        }
        register("openflow:1", "n1");
        register("openflow:2", "n1");
        // n1 owns two, n2 none: a new entity both serve goes to n2, whatever the tie-break hash says.
        register("openflow:3", "n1");
        register("openflow:3", "n2");
        assertThat(entity("openflow:3").owner()).isEqualTo("n2");
        assertThat(ownership.entities()).extracting(EntityOwnership::entity)
                .containsExactly("openflow:1", "openflow:2", "openflow:3");
    }

    @Test
    void theGenerationOnlyGrowsThroughEveryKindOfOwnerChange() {
        for (String n : List.of("n1", "n2", "n3")) {
            renew(n, "i-" + n);
            register("openflow:7", n);
        }
        long last = entity("openflow:7").generation();
        Map<String, Long> owners = new ConcurrentHashMap<>();
        for (int round = 0; round < 12; round++) {
            String owner = entity("openflow:7").owner();
            switch (round % 3) {
                case 0 -> expire(owner, leaseOf(owner).renewals());
                case 1 -> renew(owner, "restart-" + round); // a restart drops its candidacy
                default -> unregister("openflow:7", owner);
            }
            // Every node comes back as a live candidate.
            for (String n : List.of("n1", "n2", "n3")) {
                if (!leaseOf(n).alive()) {
                    renew(n, leaseOf(n).incarnation());
                }
                register("openflow:7", n);
            }
            EntityOwnership now = entity("openflow:7");
            assertThat(now.owner()).as("round %d", round).isNotNull().isNotEqualTo(owner);
            assertThat(now.generation()).as("round %d", round).isGreaterThan(last);
            last = now.generation();
            owners.merge(now.owner(), 1L, Long::sum);
        }
        assertThat(owners).as("owners over the rounds").hasSizeGreaterThan(1);
    }

    private NodeLease leaseOf(String node) {
        return ownership.leases().stream().filter(l -> l.node().equals(node)).findFirst().orElseThrow();
    }

    @Test
    void theTypedWatchDeliversEveryCommittedChangeInOrder() {
        List<EntityOwnership> seen = new CopyOnWriteArrayList<>();
        renew("n1", "a");
        renew("n2", "b");
        try (Watch w = ownership.watch(new OwnershipListener() {
            @Override
            public void ownershipChanged(EntityOwnership e) {
                seen.add(e);
            }
        })) {
            register("openflow:1", "n1");
            register("openflow:1", "n2");
            expire("n1", 1);
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5)).until(() -> seen.size() == 3);
            assertThat(seen).extracting(EntityOwnership::owner).containsExactly("n1", "n1", "n2");
            assertThat(seen).extracting(EntityOwnership::generation).containsExactly(1L, 1L, 2L);
            assertThat(seen.get(2)).isEqualTo(entity("openflow:1"));
        }
    }
}
