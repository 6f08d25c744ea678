package io.flowkeeper.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.ownership.EntityOwnership;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.Operation;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.api.store.VersionedValue;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The ownership rules as a pure function: commands in, documents out, against an in-memory state. */
class OwnershipCommandsTest {
    private final NavigableMap<String, VersionedValue> data = new TreeMap<>();
    private final OwnershipCommands rules = new OwnershipCommands();
    private long revision;

    private final ShardCommands.State state = new ShardCommands.State() {
        @Override
        public VersionedValue get(String path) {
            return data.get(path);
        }

        @Override
        public List<VersionedValue> list(DataPath prefix) {
            List<VersionedValue> out = new ArrayList<>();
            data.forEach((k, v) -> {
                if (prefix.contains(k)) {
                    out.add(v);
                }
            });
            return out;
        }
    };

    private void run(String command, ObjectNode args) {
        Transaction t = rules.plan(command, args, state);
        revision++;
        for (Operation op : t.operations()) {
            data.put(op.path(), new VersionedValue(op.path(), op.json(), revision, revision, 1));
        }
    }

    private void renew(String node, String incarnation) {
        run(OwnershipCommands.RENEW, Codec.JSON.createObjectNode().put("node", node).put("incarnation", incarnation)
                .put("rpc", "127.0.0.1:1"));
    }

    private void register(String entity, String node) {
        run(OwnershipCommands.REGISTER, Codec.JSON.createObjectNode().put("entity", entity).put("node", node));
    }

    private void unregister(String entity, String node) {
        run(OwnershipCommands.UNREGISTER, Codec.JSON.createObjectNode().put("entity", entity).put("node", node));
    }

    private void expire(String node, long renewals) {
        run(OwnershipCommands.EXPIRE, Codec.JSON.createObjectNode().put("node", node).put("renewals", renewals));
    }

    private EntityOwnership entity(String name) {
        return OwnershipCommands.entity(data.get(OwnershipCommands.entityPath(name)));
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
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> rules.plan("steal", Codec.JSON.createObjectNode(), state))
                .hasMessageContaining("unknown ownership command");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> rules.plan(OwnershipCommands.REGISTER,
                Codec.JSON.createObjectNode().put("entity", "a/b").put("node", "n1"), state))
                .hasMessageContaining("invalid path segment");
    }
}
