package io.flowkeeper.api.switches.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowkeeper.api.flow.BundleResult;
import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.FlowChange;
import io.flowkeeper.api.flow.OfctlText;
import io.flowkeeper.api.switches.ControllerRole;
import io.flowkeeper.api.switches.SwitchException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The double's table keeps OpenFlow's semantics, so tests built on it mean what they would on a switch. */
class InMemorySwitchTest {
    private final InMemorySwitch sw = new InMemorySwitch(0xabL);

    private static Flow f(String text) {
        return OfctlText.parse(text);
    }

    @Test
    void anAddReplacesTheFlowOfTheSameTablePriorityAndMatch() {
        sw.applyBundle(List.of(FlowChange.add(f("table=0,priority=5,cookie=0x1,ip,actions=drop"))));
        sw.applyBundle(List.of(FlowChange.add(f("table=0,priority=5,cookie=0x2,ip,actions=output:3")),
                FlowChange.add(f("table=0,priority=6,ip,actions=drop"))));

        assertThat(sw.flows()).containsExactlyInAnyOrder(f("table=0,priority=5,cookie=0x2,ip,actions=output:3"),
                f("table=0,priority=6,ip,actions=drop"));
    }

    @Test
    void modifyAndDeleteAreStrictAndAModifyOfAnAbsentFlowDoesNothing() {
        sw.putDirectly(List.of(f("table=1,priority=5,cookie=0x7,ip,actions=drop"),
                f("table=1,priority=4,ip,actions=drop")));

        sw.applyBundle(List.of(FlowChange.modify(f("table=1,priority=5,cookie=0x9,ip,actions=output:2")),
                FlowChange.modify(f("table=1,priority=3,ip,actions=output:2")),
                FlowChange.delete(f("table=1,priority=4,ip,actions=output:9"))));

        // the modify changed the instructions only (the cookie stays, as OpenFlow says); the delete matched by
        // identity whatever its actions; the modify of priority 3 added nothing
        assertThat(sw.flows()).containsExactly(f("table=1,priority=5,cookie=0x7,ip,actions=output:2"));
    }

    @Test
    void deletesByCookieInOneTableOrUnderAMaskInEvery() {
        sw.putDirectly(List.of(f("table=0,priority=1,cookie=0xf1,actions=drop"),
                f("table=2,priority=1,cookie=0xf1,actions=drop"), f("table=2,priority=2,cookie=0xf2,actions=drop"),
                f("table=3,priority=1,cookie=0x11,actions=drop")));

        sw.applyBundle(List.of(FlowChange.deleteByCookie(2, 0xf1)));
        assertThat(sw.flows()).extracting(Flow::cookie).containsExactlyInAnyOrder(0xf1L, 0xf2L, 0x11L);

        sw.deleteByCookie(0xf0, 0xf0);
        assertThat(sw.flows()).containsExactly(f("table=3,priority=1,cookie=0x11,actions=drop"));
    }

    @Test
    void aBundleWithOneRefusedChangeAppliesNothingAndNamesIt() {
        Flow before = f("table=0,priority=1,actions=drop");
        sw.putDirectly(List.of(before));
        sw.refuse(flow -> flow.tableId() == 9, "BAD_TABLE_ID");

        BundleResult r = sw.applyBundle(List.of(FlowChange.delete(before),
                FlowChange.add(f("table=0,priority=2,actions=drop")), FlowChange.add(f("table=9,priority=1,actions=drop"))));

        assertThat(r.committed()).isFalse();
        assertThat(r.messages()).isEqualTo(3);
        assertThat(r.failures()).singleElement().satisfies(fail -> {
            assertThat(fail.index()).isEqualTo(2);
            assertThat(fail.error()).contains("BAD_TABLE_ID").contains("table=9");
        });
        assertThat(sw.flows()).containsExactly(before);
    }

    @Test
    void aPipelinedInstallKeepsWhatWasAcceptedAndNamesTheFirstRefusal() {
        sw.refuse(flow -> flow.priority() == 7, "FLOW_MOD_FAILED");

        assertThatThrownBy(() -> sw.install(List.of(f("table=0,priority=6,actions=drop"),
                f("table=0,priority=7,actions=drop")))).isInstanceOf(SwitchException.class)
                .hasMessageContaining("1 of 2 refused").hasMessageContaining("priority=7");
        assertThat(sw.flows()).containsExactly(f("table=0,priority=6,actions=drop"));
    }

    @Test
    void anOlderGenerationIsStaleAndANewerOneDeposesTheMaster() {
        assertThat(sw.requestRole(ControllerRole.MASTER, 10)).isEqualTo(ControllerRole.MASTER);
        assertThat(sw.generationId()).isEqualTo(10);

        assertThatThrownBy(() -> sw.requestRole(ControllerRole.MASTER, 9))
                .isInstanceOf(SwitchException.StaleGeneration.class);
        assertThatThrownBy(() -> sw.requestRole(ControllerRole.SLAVE, 9))
                .isInstanceOf(SwitchException.StaleGeneration.class);
        assertThat(sw.role()).isEqualTo(ControllerRole.MASTER);
        // the same generation again is not stale (a retried request)
        assertThat(sw.requestRole(ControllerRole.MASTER, 10)).isEqualTo(ControllerRole.MASTER);

        sw.announceRole(ControllerRole.SLAVE, 11); // another controller became master at 11
        assertThat(sw.role()).isEqualTo(ControllerRole.SLAVE);
        assertThat(sw.lastRoleStatus()).isEqualTo(ControllerRole.SLAVE);
        assertThatThrownBy(() -> sw.requestRole(ControllerRole.MASTER, 10))
                .isInstanceOf(SwitchException.StaleGeneration.class);
        assertThat(sw.requestRole(ControllerRole.MASTER, 12)).isEqualTo(ControllerRole.MASTER);
    }

    @Test
    void generationsCompareBySignedDifferenceSoTheCounterMayWrap() {
        sw.requestRole(ControllerRole.MASTER, Long.MAX_VALUE);
        assertThat(sw.requestRole(ControllerRole.MASTER, Long.MIN_VALUE)).isEqualTo(ControllerRole.MASTER);
        assertThatThrownBy(() -> sw.requestRole(ControllerRole.MASTER, Long.MAX_VALUE))
                .isInstanceOf(SwitchException.StaleGeneration.class);
    }

    @Test
    void aSlaveCannotWriteAndEqualNeedsNoGeneration() {
        sw.requestRole(ControllerRole.SLAVE, 5);

        assertThatThrownBy(() -> sw.applyBundle(List.of(FlowChange.add(f("table=0,priority=1,actions=drop")))))
                .isInstanceOf(SwitchException.NotMaster.class);
        assertThatThrownBy(() -> sw.deleteByCookie(0, 0)).isInstanceOf(SwitchException.NotMaster.class);
        assertThat(sw.dumpFlows()).isEmpty(); // reads stay allowed

        assertThat(sw.requestRole(ControllerRole.EQUAL, 0)).isEqualTo(ControllerRole.EQUAL);
        sw.install(List.of(f("table=0,priority=1,actions=drop")));
        assertThat(sw.flows()).hasSize(1);
    }

    @Test
    void aClosedSessionFailsEveryCall() {
        sw.close();

        assertThat(sw.isActive()).isFalse();
        assertThatThrownBy(sw::dumpFlows).isInstanceOf(SwitchException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> sw.requestRole(ControllerRole.MASTER, 1)).isInstanceOf(SwitchException.class);
    }
}
