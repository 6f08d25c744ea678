package io.flowkeeper.api.switches.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.OfctlText;
import io.flowkeeper.api.flow.reconcile.FlowReconciler;
import io.flowkeeper.api.flow.reconcile.ReconcileResult;
import io.flowkeeper.api.switches.ControllerRole;
import io.flowkeeper.api.switches.SwitchException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The reconciler's plan applied through the in-memory switch: the table ends as desired, in one bundle. */
class ReconcileThroughSwitchTest {
    private static final long OURS = 0xf100000000000000L;
    private static final long MASK = 0xff00000000000000L;
    private final FlowReconciler reconciler = new FlowReconciler(OURS, MASK, false);
    private final InMemorySwitch sw = new InMemorySwitch(1);

    private static Flow f(String text) {
        return OfctlText.parse(text);
    }

    private final Flow keep = f("table=0,priority=1,cookie=0xf100000000000001,in_port=1,actions=output:2");
    private final Flow missing = f("table=0,priority=1,cookie=0xf100000000000002,in_port=2,actions=output:1");
    private final Flow changedWanted = f("table=1,priority=5,cookie=0xf100000000000003,ip,actions=output:3");
    private final Flow changedActual = f("table=1,priority=5,cookie=0xf100000000000003,ip,actions=output:4");
    private final Flow cookieWanted = f("table=2,priority=5,cookie=0xf100000000000009,arp,actions=drop");
    private final Flow cookieActual = f("table=2,priority=5,cookie=0xf100000000000004,arp,actions=drop");
    private final Flow staleOurs = f("table=3,priority=9,cookie=0xf100000000000005,actions=drop");
    private final Flow foreign = f("table=3,priority=8,cookie=0x1,actions=drop");
    private final List<Flow> desired = List.of(keep, missing, changedWanted, cookieWanted);

    @Test
    void theTableEndsAsDesiredInOneBundleAndForeignFlowsStay() {
        sw.requestRole(ControllerRole.MASTER, 1);
        sw.putDirectly(List.of(keep, changedActual, cookieActual, staleOurs, foreign));

        ReconcileResult r = sw.reconcile(desired, reconciler);

        assertThat(r.applied()).isTrue();
        assertThat(sw.bundleCount()).isEqualTo(1);
        assertThat(r.plan().add()).containsExactly(missing);
        assertThat(r.plan().modify()).containsExactly(changedWanted);
        assertThat(r.plan().replace()).containsExactly(cookieWanted);
        assertThat(r.plan().delete()).containsExactly(staleOurs);
        assertThat(sw.flows()).containsExactlyInAnyOrder(keep, missing, changedWanted, cookieWanted, foreign);

        // a second pass finds nothing to do and sends no bundle
        ReconcileResult again = sw.reconcile(desired, reconciler);
        assertThat(again.plan().isEmpty()).isTrue();
        assertThat(again.bundle()).isNull();
        assertThat(sw.bundleCount()).isEqualTo(1);
    }

    @Test
    void aRefusedBundleLeavesTheTableExactlyAsItWas() {
        sw.requestRole(ControllerRole.MASTER, 1);
        List<Flow> before = List.of(keep, changedActual, cookieActual, staleOurs, foreign);
        sw.putDirectly(before);
        sw.refuse(flow -> flow.equals(missing), "FLOW_MOD_FAILED code=TABLE_FULL");

        ReconcileResult r = sw.reconcile(desired, reconciler);

        assertThat(r.applied()).isFalse();
        assertThat(r.bundle().failures()).singleElement()
                .satisfies(fail -> assertThat(fail.error()).contains("TABLE_FULL").contains("in_port=2"));
        assertThat(sw.flows()).containsExactlyInAnyOrderElementsOf(before);
    }

    @Test
    void aDeposedMasterDoesNotReconcile() {
        sw.requestRole(ControllerRole.MASTER, 1);
        sw.putDirectly(List.of(staleOurs));
        sw.announceRole(ControllerRole.SLAVE, 2);

        assertThatThrownBy(() -> sw.reconcile(desired, reconciler)).isInstanceOf(SwitchException.NotMaster.class);
        assertThat(sw.flows()).containsExactly(staleOurs);
    }
}
