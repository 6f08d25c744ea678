package io.flowkeeper.openflow.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class OfpParseTextTest {
    @Test
    void renamesHeaderFieldsAndKeepsMatchFlagsAndActions() {
        assertThat(OfpParseText.toAddFlowsLine("OFPT_FLOW_MOD (OF1.4) (xid=0x0): ADD table:2 "
                + "priority=1005,ip,dl_dst=02:00:00:00:00:0b,nw_dst=10.0.0.5 cookie:0x42 idle:10 hard:20 "
                + "send_flow_rem actions=set_field:02:00:00:00:00:0b->eth_dst,output:3"))
                .isEqualTo("table=2,priority=1005,ip,dl_dst=02:00:00:00:00:0b,nw_dst=10.0.0.5,cookie=0x42,"
                        + "idle_timeout=10,hard_timeout=20,send_flow_rem,"
                        + "actions=set_field:02:00:00:00:00:0b->eth_dst,output:3");
        assertThat(OfpParseText.toAddFlowsLine("OFPT_FLOW_MOD (OF1.4) (xid=0x0): ADD priority=0 actions=drop"))
                .isEqualTo("priority=0,actions=drop");
    }

    @Test
    void refusesWhatIsNotAnAdd() {
        assertThatThrownBy(() -> OfpParseText.toAddFlowsLine("OFPT_ECHO_REQUEST (OF1.4) (xid=0x0): 0 bytes"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
