package io.flowkeeper.agent.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The responder's flow text and gratuitous ARP bytes (that OVS accepts and answers with them: GatewayHaTest). */
class ProviderBridgeResponderTest {
    @Test
    void arpAndEchoAreAnsweredForTheAddressOnlyUntaggedOrOnTheVlan() {
        List<String> flows = ProviderBridgeResponder.flows("r1", "172.24.4.7", "fa:16:3e:00:00:01", null);
        assertThat(flows).hasSize(2);
        long cookie = ProviderBridgeResponder.cookie("r1");
        assertThat(cookie >>> 48).isEqualTo(0x4757);
        assertThat(ProviderBridgeResponder.cookie("r2")).isNotEqualTo(cookie);
        assertThat(flows.get(0)).startsWith(String.format("cookie=0x%x,priority=100,vlan_tci=0x0000/0x1fff,arp,", cookie))
                .contains("arp_op=1,arp_tpa=172.24.4.7 ").contains("load:0xfa163e000001->NXM_NX_ARP_SHA[]")
                .contains("load:0xac180407->NXM_OF_ARP_SPA[]").endsWith(",in_port");
        assertThat(flows.get(1)).contains("icmp,icmp_type=8,nw_dst=172.24.4.7 ")
                .contains("load:0->NXM_OF_ICMP_TYPE[]").endsWith(",in_port");
        assertThat(ProviderBridgeResponder.flows("r1", "172.24.4.7", "fa:16:3e:00:00:01", 42))
                .allMatch(f -> f.contains(",dl_vlan=42,"));
    }

    @Test
    void gratuitousArpIsARequestForItsOwnAddress() {
        String garp = ProviderBridgeResponder.garp("10.0.0.1", "02:00:00:00:00:0a", null);
        assertThat(garp).isEqualTo("ffffffffffff" + "02000000000a" + "0806" + "0001" + "0800" + "06" + "04" + "0001"
                + "02000000000a" + "0a000001" + "000000000000" + "0a000001");
        assertThat(ProviderBridgeResponder.garp("10.0.0.1", "02:00:00:00:00:0a", 100))
                .startsWith("ffffffffffff02000000000a81000064" + "0806");
        assertThatThrownBy(() -> ProviderBridgeResponder.ipv4("10.0.0")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProviderBridgeResponder.ipv4("10.0.0.256"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void floatingIpsAreAnsweredByArpOnlyAndTheNextHopIsLearnedFromItsArpReply() {
        List<String> flows = ProviderBridgeResponder.flows("r1", "172.24.4.7", "fa:16:3e:00:00:01", null,
                "172.24.4.1", List.of("172.24.4.20"), "phy-br-ex");
        assertThat(flows).anyMatch(f -> f.contains("arp,arp_op=1,arp_tpa=172.24.4.20 ")
                && f.contains("load:0xac180414->NXM_OF_ARP_SPA[]"));
        assertThat(flows).noneMatch(f -> f.contains("nw_dst=172.24.4.20")); // its pings go on to the VM
        long cookie = ProviderBridgeResponder.cookie("r1");
        assertThat(flows).anyMatch(f -> f.contains("arp,arp_op=2,arp_spa=172.24.4.1,arp_tpa=172.24.4.7 actions=learn("
                + "table=1," + String.format("cookie=0x%x", cookie) + ",priority=100,dl_type=0x0800,"
                + "dl_src=fa:16:3e:00:00:01,load:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],output:NXM_OF_IN_PORT[])"));
        assertThat(flows).anyMatch(f -> f.endsWith("ip,dl_src=fa:16:3e:00:00:01 actions=resubmit(,1)"));
        assertThat(flows).anyMatch(f -> f.contains("priority=90,") && f.endsWith("dl_dst=fa:16:3e:00:00:01 "
                + "actions=output:phy-br-ex"));
        assertThat(ProviderBridgeResponder.arpRequest("172.24.4.7", "02:00:00:00:00:0a", "172.24.4.1", null))
                .endsWith("02000000000a" + "ac180407" + "000000000000" + "ac180401");
    }
}
