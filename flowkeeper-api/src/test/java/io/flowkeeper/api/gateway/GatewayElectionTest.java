package io.flowkeeper.api.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowkeeper.api.gateway.GatewayElection.Decision;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** keepalived's semantics as a pure function: placement, first election, failover, preempt and nopreempt. */
class GatewayElectionTest {
    private static final List<GatewayHost> TWO = List.of(new GatewayHost("gw-a", 100), new GatewayHost("gw-b", 90));
    private static final Decision NONE = new Decision(null, 0);

    @Test
    void theLiveHostOfHighestPriorityIsElectedFirst() {
        assertThat(GatewayElection.elect(TWO, Set.of("gw-a", "gw-b"), NONE, false)).isEqualTo(new Decision("gw-a", 1));
        assertThat(GatewayElection.elect(TWO, Set.of("gw-b"), NONE, false)).isEqualTo(new Decision("gw-b", 1));
        assertThat(GatewayElection.elect(TWO, Set.of(), NONE, false)).isSameAs(NONE);
        assertThat(GatewayElection.elect(TWO, Set.of("elsewhere"), NONE, true)).isSameAs(NONE);
    }

    @Test
    void anActiveThatDiesIsReplacedWithTheNextGeneration() {
        Decision a = new Decision("gw-a", 7);
        Decision b = GatewayElection.elect(TWO, Set.of("gw-b"), a, false);
        assertThat(b).isEqualTo(new Decision("gw-b", 8));
        assertThat(GatewayElection.elect(TWO, Set.of(), b, false)).isEqualTo(new Decision(null, 9));
        assertThat(GatewayElection.elect(TWO, Set.of("gw-b"), b, false)).isSameAs(b);
    }

    @Test
    void withoutPreemptTheActiveStaysWhenTheHigherHostReturns() {
        Decision b = new Decision("gw-b", 8);
        assertThat(GatewayElection.elect(TWO, Set.of("gw-a", "gw-b"), b, false)).isSameAs(b);
    }

    @Test
    void withPreemptTheHigherHostTakesTheRouterBack() {
        Decision b = new Decision("gw-b", 8);
        assertThat(GatewayElection.elect(TWO, Set.of("gw-a", "gw-b"), b, true)).isEqualTo(new Decision("gw-a", 9));
        Decision a = new Decision("gw-a", 9);
        assertThat(GatewayElection.elect(TWO, Set.of("gw-a", "gw-b"), a, true)).isSameAs(a);
    }

    @Test
    void anActiveNoLongerPlacedIsReplaced() {
        Decision gone = new Decision("gw-old", 3);
        assertThat(GatewayElection.elect(TWO, Set.of("gw-old", "gw-b"), gone, false))
                .isEqualTo(new Decision("gw-b", 4));
    }

    @Test
    void placementKeepsPlacedHostsAndAddsNewOnesBelowThem() {
        List<GatewayHost> first = GatewayElection.place("r1", List.of(), List.of("gw-a", "gw-b", "gw-c"), 2);
        assertThat(first).hasSize(2).extracting(GatewayHost::priority).containsExactly(100, 90);
        assertThat(GatewayElection.place("r1", List.of(), List.of("gw-c", "gw-b", "gw-a"), 2))
                .as("the order given does not matter").isEqualTo(first);
        // one placed host leaves: it is dropped, a new one comes in below the one that stays
        String stays = first.get(0).host();
        List<String> eligible = List.of("gw-a", "gw-b", "gw-c").stream()
                .filter(h -> !h.equals(first.get(1).host())).toList();
        List<GatewayHost> after = GatewayElection.place("r1", first, eligible, 2);
        assertThat(after.get(0)).isEqualTo(first.get(0));
        assertThat(after.get(1).host()).isNotEqualTo(stays);
        assertThat(after.get(1).priority()).isEqualTo(90);
        // one host: placed alone (below min, allowed); three allowed when asked
        assertThat(GatewayElection.place("r1", List.of(), List.of("gw-a"), 2)).containsExactly(
                new GatewayHost("gw-a", 100));
        assertThat(GatewayElection.place("r1", List.of(), List.of("gw-a", "gw-b", "gw-c"), 3))
                .extracting(GatewayHost::priority).containsExactly(100, 90, 80);
    }

    @Test
    void routersSpreadOverTheGatewayHosts() {
        Map<String, Integer> firsts = new HashMap<>();
        for (int i = 0; i < 100; i++) {
            String top = GatewayElection.place("router-" + i, List.of(), List.of("gw-a", "gw-b"), 2).get(0).host();
            firsts.merge(top, 1, Integer::sum);
        }
        assertThat(firsts.get("gw-a")).isBetween(25, 75);
    }

    @Test
    void statesAndPriorities() {
        assertThat(GatewayElection.stateOf("gw-a", new Decision("gw-a", 1))).isEqualTo(HaState.ACTIVE);
        assertThat(GatewayElection.stateOf("gw-b", new Decision("gw-a", 1))).isEqualTo(HaState.STANDBY);
        assertThat(HaState.parse("fault").text()).isEqualTo("fault");
        assertThatThrownBy(() -> new GatewayHost("gw", 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
