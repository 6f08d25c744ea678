package io.flowkeeper.openflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.OfctlText;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.projectfloodlight.openflow.protocol.OFFactories;
import org.projectfloodlight.openflow.protocol.OFFactory;
import org.projectfloodlight.openflow.protocol.OFFlowMod;
import org.projectfloodlight.openflow.protocol.OFVersion;
import org.projectfloodlight.openflow.types.U64;

/**
 * The OpenFlow 1.0 translation: what 1.0 can express goes to the wire and comes back from a flow dump as the same
 * model flow (through real 1.0 encoding and Loxi's parser); what it cannot is refused with its reason, never
 * written with a part dropped.
 */
class LoxiFlows10Test {
    private static final OFFactory OF10 = OFFactories.getFactory(OFVersion.OF_10);

    @ParameterizedTest
    @ValueSource(strings = {
        "priority=1,actions=NORMAL",
        "cookie=0xf100000000000001,priority=50,ip,nw_dst=10.9.9.9,actions=drop",
        "priority=7,in_port=3,dl_src=02:00:00:00:00:01,dl_dst=02:00:00:00:00:02,actions=output:4",
        "priority=8,ip,nw_src=10.1.0.0/16,nw_dst=10.2.3.4,actions=mod_dl_dst:02:00:00:00:00:09,output:2",
        "priority=9,tcp,tcp_dst=80,actions=set_field:8080->tcp_dst,output:1",
        "priority=9,udp,udp_src=53,actions=set_field:5353->udp_src,output:1",
        "priority=9,icmp,icmp_type=8,icmp_code=0,actions=CONTROLLER:65535",
        "priority=9,arp,arp_op=1,arp_tpa=10.0.0.1,actions=LOCAL",
        "priority=9,dl_vlan=12,actions=strip_vlan,output:1",
        "idle_timeout=10,hard_timeout=20,priority=9,ip,actions=set_field:10.0.0.1->ip_src,set_field:10.0.0.2->ip_dst,output:1",
    })
    void whatOneZeroCanExpressComesBackFromADumpAsTheSameFlow(String text) throws Exception {
        Flow flow = OfctlText.parse(text);
        OFFlowMod mod = LoxiFlows.flowMod(OF10, flow, LoxiFlows.Command.ADD, 1);
        ByteBuf wire = Unpooled.buffer();
        mod.writeTo(wire);
        OFFlowMod read = (OFFlowMod) OFFactories.getGenericReader().readFrom(wire);
        assertThat(read.getVersion()).isEqualTo(OFVersion.OF_10);
        Flow back = LoxiFlows10.flowOf(OF10.buildFlowStatsEntry().setMatch(read.getMatch())
                .setPriority(read.getPriority()).setCookie(read.getCookie()).setIdleTimeout(read.getIdleTimeout())
                .setHardTimeout(read.getHardTimeout()).setActions(read.getActions()).setPacketCount(U64.ZERO)
                .setByteCount(U64.ZERO).build());
        assertThat(back).isEqualTo(flow);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "table=1,priority=1,actions=drop | only table 0",
        "priority=1,actions=goto_table:1 | goto_table",
        "priority=1,actions=write_metadata:0x1/0xff | metadata",
        "priority=1,metadata=0x1,actions=drop | cannot match metadata",
        "priority=1,tun_id=5,actions=drop | cannot match tun_id",
        "priority=1,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=drop | cannot mask dl_dst",
        "priority=1,ip,nw_dst=10.0.0.0/255.0.255.0,actions=drop | CIDR",
        "priority=1,ip,icmp_type=8,actions=drop | lost a field",
        "priority=1,ip,actions=dec_ttl,output:1 | has no action",
        "priority=1,actions=push_vlan:0x8100,output:1 | has no action",
        "priority=1,actions=group:1 | has no action",
        "priority=1,actions=output:70000 | 16 bits",
        "priority=1,actions=set_field:5->tun_id | cannot set tun_id",
        "priority=1,send_flow_rem,actions=drop | flags",
    })
    void whatItCannotIsRefusedWithTheReason(String text, String reason) {
        Flow flow = OfctlText.parse(text.strip());
        assertThatThrownBy(() -> LoxiFlows.flowMod(OF10, flow, LoxiFlows.Command.ADD, 1))
                .isInstanceOf(LoxiFlows10.Refused.class).hasMessageStartingWith("OpenFlow 1.0")
                .hasMessageContaining(reason.strip());
    }

    @ParameterizedTest
    @ValueSource(strings = {"priority=1,actions=drop"})
    void aDeleteByCookieIsRefusedBecauseItWouldMatchEveryFlow(String text) {
        assertThatThrownBy(() -> LoxiFlows.flowMod(OF10, OfctlText.parse(text), LoxiFlows.Command.DELETE_BY_COOKIE,
                1)).isInstanceOf(LoxiFlows10.Refused.class).hasMessageContaining("cookie");
    }
}
