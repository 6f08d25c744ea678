package io.flowkeeper.agent.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowkeeper.agent.cluster.TunnelPlan.Existing;
import io.flowkeeper.agent.cluster.TunnelPlan.Peer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One VXLAN port per peer, named from the peer's address; ports in use are never re-created. */
class TunnelPlanTest {
    private static final Peer H1 = new Peer("h1", false, false);
    private static final Peer H3 = new Peer("h3", false, false);

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
        TunnelPlan plan = TunnelPlan.of(Map.of("192.0.2.1", H1, "192.0.2.3", H3), Map.of(
                one, new Existing("192.0.2.1", H1), two, new Existing("192.0.2.2", new Peer("h2", false, false))));
        assertThat(plan.add()).isEqualTo(Map.of(three, "192.0.2.3"));
        assertThat(plan.configure()).isEqualTo(Map.of(three, H3));
        assertThat(plan.remove()).isEqualTo(List.of(two));
        assertThat(TunnelPlan.of(Map.of("192.0.2.1", H1), Map.of(one, new Existing("192.0.2.1", H1))).isEmpty())
                .isTrue();
        // a port whose remote was changed by hand is re-created with the right one
        TunnelPlan fix = TunnelPlan.of(Map.of("192.0.2.1", H1), Map.of(one, new Existing("192.0.2.9", H1)));
        assertThat(fix.remove()).containsExactly(one);
        assertThat(fix.add()).isEqualTo(Map.of(one, "192.0.2.1"));
    }

    @Test
    void aPeerThatBecameAGatewayGetsBfdInPlaceWithoutReCreatingItsPort() {
        String one = TunnelPlan.portName("192.0.2.1");
        Peer gateway = new Peer("h1", true, true);
        TunnelPlan plan = TunnelPlan.of(Map.of("192.0.2.1", gateway), Map.of(one, new Existing("192.0.2.1", H1)));
        assertThat(plan.add()).isEmpty();
        assertThat(plan.remove()).isEmpty();
        assertThat(plan.configure()).isEqualTo(Map.of(one, gateway));
        // a port made before ports recorded their peer is updated the same way
        assertThat(TunnelPlan.of(Map.of("192.0.2.1", H1), Map.of(one, new Existing("192.0.2.1", null))).configure())
                .isEqualTo(Map.of(one, H1));
    }
}
