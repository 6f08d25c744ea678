package io.flowkeeper.api.flow.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.OfctlText;
import io.flowkeeper.api.flow.FlowChange;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The diff alone: minimal, ownership-aware, never deleting what it does not own by default. */
class FlowReconcilerTest {
    private static final long OURS = 0xf100000000000000L;
    private static final long MASK = 0xff00000000000000L;
    private final FlowReconciler reconciler = new FlowReconciler(OURS, MASK, false);

    private static Flow f(String text) {
        return OfctlText.parse(text);
    }

    @Test
    void equalSetsNeedNothing() {
        List<Flow> flows = List.of(f("table=0,priority=1,cookie=0xf100000000000001,in_port=1,actions=output:2"),
                f("table=1,priority=5,cookie=0xf100000000000002,ip,actions=drop"));
        assertThat(reconciler.diff(flows, flows).isEmpty()).isTrue();
    }

    @Test
    void addsMissingModifiesChangedDeletesOurStaleAndLeavesForeignAlone() {
        Flow keep = f("table=0,priority=1,cookie=0xf100000000000001,in_port=1,actions=output:2");
        Flow missing = f("table=0,priority=1,cookie=0xf100000000000002,in_port=2,actions=output:1");
        Flow changedWanted = f("table=1,priority=5,cookie=0xf100000000000003,ip,actions=output:3");
        Flow changedActual = f("table=1,priority=5,cookie=0xf100000000000003,ip,actions=output:4");
        Flow cookieWanted = f("table=2,priority=5,cookie=0xf100000000000009,arp,actions=drop");
        Flow cookieActual = f("table=2,priority=5,cookie=0xf100000000000004,arp,actions=drop");
        Flow staleOurs = f("table=3,priority=9,cookie=0xf100000000000005,actions=drop");
        Flow foreign = f("table=3,priority=8,cookie=0x1,actions=drop");

        ReconcilePlan plan = reconciler.diff(List.of(keep, missing, changedWanted, cookieWanted),
                List.of(keep, changedActual, cookieActual, staleOurs, foreign));

        assertThat(plan.add()).containsExactly(missing);
        assertThat(plan.modify()).containsExactly(changedWanted);
        assertThat(plan.replace()).containsExactly(cookieWanted);
        assertThat(plan.delete()).containsExactly(staleOurs);
        assertThat(plan.changes()).extracting(FlowChange::kind).containsExactly(FlowChange.Kind.DELETE,
                FlowChange.Kind.DELETE, FlowChange.Kind.MODIFY, FlowChange.Kind.ADD, FlowChange.Kind.ADD);

        ReconcilePlan strict = new FlowReconciler(OURS, MASK, true).diff(List.of(keep), List.of(keep, foreign));
        assertThat(strict.delete()).containsExactly(foreign);
    }

    @Test
    void aForeignFlowInADesiredFlowsSlotIsTakenOverButOtherForeignFlowsStay() {
        Flow wanted = f("table=0,priority=1,cookie=0xf100000000000001,in_port=1,actions=output:2");
        Flow squatter = f("table=0,priority=1,cookie=0x5,in_port=1,actions=drop"); // same table, priority, match
        Flow bystander = f("table=0,priority=1,cookie=0x5,in_port=2,actions=drop");
        ReconcilePlan plan = reconciler.diff(List.of(wanted), List.of(squatter, bystander));
        assertThat(plan.replace()).containsExactly(wanted); // the desired state owns its slot
        assertThat(plan.delete()).isEmpty();
        assertThat(plan.add()).isEmpty();
    }

    @Test
    void twoDesiredFlowsWithOneIdentityAreRefused() {
        Flow a = f("table=0,priority=1,in_port=1,actions=output:2");
        Flow b = f("table=0,priority=1,in_port=1,actions=output:3");
        assertThatThrownBy(() -> reconciler.diff(List.of(a, b), List.of())).hasMessageContaining("same table");
    }

    @Test
    void oneDecisionForModifyReplaceAndMove() {
        Flow base = f("table=1,priority=5,cookie=0xf100000000000003,ip,actions=output:3");
        Flow otherActions = f("table=1,priority=5,cookie=0xf100000000000003,ip,actions=output:4");
        ReconcilePlan.Builder b = ReconcilePlan.builder();
        assertThat(b.change(base, base).build().isEmpty()).isTrue();
        assertThat(ReconcilePlan.builder().change(base, otherActions).build().modify()).containsExactly(otherActions);
        for (String changed : List.of("cookie=0xf100000000000004", "idle_timeout=5", "hard_timeout=5",
                "send_flow_rem")) {
            Flow next = f("table=1,priority=5," + changed + ",ip,actions=output:3");
            if (next.cookie() == 0) {
                next = next.withCookie(base.cookie());
            }
            ReconcilePlan p = ReconcilePlan.builder().change(base, next).build();
            assertThat(p.replace()).as(changed).containsExactly(next);
            assertThat(p.changes()).extracting(FlowChange::kind)
                    .containsExactly(FlowChange.Kind.DELETE, FlowChange.Kind.ADD);
        }
        assertThat(ReconcilePlan.builder().change(null, base).build().add()).containsExactly(base);
        assertThat(ReconcilePlan.builder().change(base, null).build().delete()).containsExactly(base);
    }

    @Test
    void twoFlowsTradingIdentitiesInOneBatchDeleteBeforeTheyAdd() {
        Flow a1 = f("table=0,priority=5,cookie=0xf100000000000001,ip,nw_dst=10.0.0.1,actions=output:1");
        Flow b1 = f("table=0,priority=5,cookie=0xf100000000000002,ip,nw_dst=10.0.0.2,actions=output:2");
        Flow a2 = f("table=0,priority=5,cookie=0xf100000000000001,ip,nw_dst=10.0.0.2,actions=output:1");
        Flow b2 = f("table=0,priority=5,cookie=0xf100000000000002,ip,nw_dst=10.0.0.1,actions=output:2");
        List<FlowChange> changes = ReconcilePlan.builder().change(a1, a2).change(b1, b2).build().changes();
        assertThat(changes).extracting(FlowChange::kind).containsExactly(FlowChange.Kind.DELETE,
                FlowChange.Kind.DELETE, FlowChange.Kind.ADD, FlowChange.Kind.ADD);
        assertThat(changes.subList(2, 4)).extracting(FlowChange::flow).containsExactly(a2, b2);
    }
}
