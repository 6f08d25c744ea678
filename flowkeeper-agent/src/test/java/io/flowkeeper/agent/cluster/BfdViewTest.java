package io.flowkeeper.agent.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowkeeper.agent.cluster.GatewayAgent.BfdView;
import io.flowkeeper.agent.cluster.HostPlumbing.BfdState;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which gateway hosts a renewal names unreachable, and when the agent's hold shortens. */
class BfdViewTest {
    private static final long MS = 1_000_000L;
    private static final long AFTER = GatewayAgent.UNREACHABLE_AFTER.toNanos();

    @Test
    void aGatewayPeerDownLongEnoughIsNamedWhileSomeTunnelIsUp() {
        Map<String, BfdState> states = Map.of("gw1", new BfdState(true, "down"), "h1", new BfdState(false, "up"));
        long now = 1_000 * MS;
        BfdView fresh = BfdView.of(states, Set.of("gw1"), Map.of("gw1", now - AFTER + MS), now, AFTER);
        assertThat(fresh.unreachable()).as("down for less than the wait").isEmpty();
        assertThat(fresh.isolated()).as("another tunnel is up: not this host's own cut").isFalse();
        BfdView later = BfdView.of(states, Set.of("gw1"), Map.of("gw1", now - AFTER), now, AFTER);
        assertThat(later.unreachable()).containsExactly("gw1");
    }

    @Test
    void aHostThatReachesNobodyNamesNobodyAndComputeHostsAreNeverNamed() {
        long now = 1_000 * MS;
        Map<String, Long> longAgo = Map.of("gw1", 0L, "h1", 0L);
        BfdView alone = BfdView.of(Map.of("gw1", new BfdState(true, "down"), "h1", new BfdState(false, "down")),
                Set.of("gw1", "h1"), longAgo, now, AFTER);
        assertThat(alone.unreachable()).as("its own underlay may be the fault").isEmpty();
        assertThat(alone.isolated()).as("cut off: the shorter hold").isTrue();
        BfdView compute = BfdView.of(Map.of("gw1", new BfdState(true, "up"), "h1", new BfdState(false, "down")),
                Set.of("gw1", "h1"), longAgo, now, AFTER);
        assertThat(compute.unreachable()).isEmpty();
        assertThat(compute.isolated()).as("a gateway peer is up").isFalse();
        assertThat(BfdView.of(Map.of(), Set.of(), Map.of(), now, AFTER)).isEqualTo(new BfdView(List.of(), false));
    }

    @Test
    void aSessionNeverUpIsAPeerNotThereYetNotOneThatDied() {
        Map<String, BfdState> states = Map.of("gw2", new BfdState(true, "down"), "h1", new BfdState(false, "up"));
        BfdView starting = BfdView.of(states, Set.of("h1"), Map.of("gw2", 0L), 1_000 * MS, AFTER);
        assertThat(starting).isEqualTo(new BfdView(List.of(), false));
    }
}
