package io.flowkeeper.controller.mastership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowkeeper.api.ownership.EntityOwnership;
import io.flowkeeper.api.ownership.OwnershipService;
import io.flowkeeper.api.switches.Switch;
import io.flowkeeper.api.switches.SwitchListener;
import io.flowkeeper.api.switches.testing.InMemorySwitch;
import io.flowkeeper.cluster.ReplicatedOwnership;
import io.flowkeeper.cluster.testing.InMemoryDatastore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue 15, D7: entities of gone switches expire, and a flood of new dpids stops at max-switches. */
class EntityLifecycleTest {
    private static final long MINUTE = Duration.ofMinutes(1).toNanos();

    private static EntityOwnership e(String name, String owner, long generation) {
        return new EntityOwnership(name, owner, generation, owner == null ? List.of() : List.of(owner));
    }

    @Test
    void anEntityExpiresAfterTheRetentionWithoutAnOwnerAtOneGeneration() {
        EntityRetention r = new EntityRetention(Duration.ofMinutes(10));
        assertThat(r.expired(List.of(e("openflow:1", null, 3), e("openflow:2", "n1", 1)), 0)).isEmpty();
        assertThat(r.expired(List.of(e("openflow:1", null, 3)), 9 * MINUTE)).isEmpty();
        assertThat(r.expired(List.of(e("openflow:1", null, 3)), 10 * MINUTE)).extracting(EntityOwnership::entity)
                .containsExactly("openflow:1");
        // an owner in between, or a new generation, restarts the count
        EntityRetention s = new EntityRetention(Duration.ofMinutes(10));
        s.expired(List.of(e("openflow:1", null, 3)), 0);
        s.expired(List.of(e("openflow:1", "n2", 4)), 5 * MINUTE);
        assertThat(s.expired(List.of(e("openflow:1", null, 4)), 11 * MINUTE)).isEmpty();
        assertThat(s.expired(List.of(e("openflow:1", null, 4)), 21 * MINUTE)).hasSize(1);
        assertThatThrownBy(() -> new EntityLifecycle(Duration.ofSeconds(5), 10)).hasMessageContaining("at least 1m");
    }

    @Test
    void theReaperRemovesOnlyWhatExpiredThroughTheOwnershipService() {
        OwnershipService ownership = new ReplicatedOwnership(new InMemoryDatastore());
        ownership.renewLease("n1", "i1", "127.0.0.1:1");
        ownership.registerCandidate("openflow:1", "n1");
        ownership.registerCandidate("openflow:2", "n1");
        ownership.unregisterCandidate("openflow:2", "n1");
        long[] now = {0};
        EntityReaper reaper = new EntityReaper(ownership, new EntityLifecycle(Duration.ofMinutes(1), 10),
                () -> now[0]);
        assertThat(reaper.sweep()).isZero(); // first look: the count starts
        now[0] = 2 * MINUTE;
        assertThat(reaper.sweep()).isEqualTo(1);
        assertThat(ownership.entities()).extracting(EntityOwnership::entity).containsExactly("openflow:1");
    }

    @Test
    void newDpidsBeyondMaxSwitchesAreDisconnectedAndKnownOnesPass() {
        OwnershipService ownership = new ReplicatedOwnership(new InMemoryDatastore());
        ownership.renewLease("n1", "i1", "127.0.0.1:1");
        ownership.registerCandidate("openflow:0000000000000001", "n1");
        ownership.registerCandidate("openflow:0000000000000002", "n1");
        List<Long> passed = new ArrayList<>();
        SwitchAdmission admission = new SwitchAdmission(new SwitchListener() {
            @Override
            public void switchConnected(Switch sw) {
                passed.add(sw.dpid());
            }
        }, ownership, new EntityLifecycle(Duration.ofMinutes(10), 2));
        InMemorySwitch known = new InMemorySwitch(1);
        admission.switchConnected(known);
        List<InMemorySwitch> flood = new ArrayList<>();
        for (long d = 100; d < 150; d++) {
            InMemorySwitch sw = new InMemorySwitch(d);
            flood.add(sw);
            admission.switchConnected(sw);
        }
        assertThat(passed).containsExactly(1L);
        assertThat(known.isActive()).isTrue();
        assertThat(flood).noneMatch(InMemorySwitch::isActive);
        assertThat(admission.refused()).isEqualTo(50);
        assertThat(ownership.entities()).hasSize(2);
    }
}
