package io.flowkeeper.agent.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** One VXLAN port per peer, named from the peer's address; ports in use are never touched. */
class TunnelPlanTest {
    @Test
    void namesAreStableShortAndDifferPerRemote() {
        String a = TunnelPlan.portName("192.0.2.1");
        assertThat(a).matches("vx-[0-9a-f]{8}").isEqualTo(TunnelPlan.portName("192.0.2.1"))
                .isNotEqualTo(TunnelPlan.portName("192.0.2.2"));
        assertThat(a.length()).isLessThanOrEqualTo(15);
    }

    @Test
    void addsWhatIsMissingRemovesWhatIsNoLongerSharedAndKeepsTheRest() {
        String one = TunnelPlan.portName("192.0.2.1");
        String two = TunnelPlan.portName("192.0.2.2");
        String three = TunnelPlan.portName("192.0.2.3");
        TunnelPlan plan = TunnelPlan.of(Set.of("192.0.2.1", "192.0.2.3"), Map.of(one, "192.0.2.1", two,
                "192.0.2.2"));
        assertThat(plan.add()).isEqualTo(Map.of(three, "192.0.2.3"));
        assertThat(plan.remove()).isEqualTo(List.of(two));
        assertThat(TunnelPlan.of(Set.of("192.0.2.1"), Map.of(one, "192.0.2.1")).isEmpty()).isTrue();
        // a port whose remote was changed by hand is re-created with the right one
        TunnelPlan fix = TunnelPlan.of(Set.of("192.0.2.1"), Map.of(one, "192.0.2.9"));
        assertThat(fix.remove()).containsExactly(one);
        assertThat(fix.add()).isEqualTo(Map.of(one, "192.0.2.1"));
    }
}
