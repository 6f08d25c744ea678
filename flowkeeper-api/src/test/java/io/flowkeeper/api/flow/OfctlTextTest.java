package io.flowkeeper.api.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowkeeper.testbed.BridgeSpec;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.RealisticPipeline;
import io.flowkeeper.testbed.TestBed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** ovs-ofctl syntax both ways, proven against the real ovs-ofctl: what we print, OVS accepts and dumps back equal. */
@Tag("integration")
class OfctlTextTest {
    static final List<String> SPECIAL = List.of(
            "cookie=0x1234,idle_timeout=30,hard_timeout=60,send_flow_rem,tcp,nw_src=10.0.0.1,tp_dst=80,"
                    + "actions=output:3,CONTROLLER:65535,IN_PORT,NORMAL",
            "table=5,priority=7,udp,tp_src=53,actions=set_field:0x42->tun_id,set_field:10.1.1.1->ip_dst,"
                    + "push_vlan:0x8100,set_field:4100->vlan_vid,output:4",
            "table=6,priority=8,dl_vlan=12,icmp,icmp_type=8,actions=pop_vlan,LOCAL",
            "table=7,priority=9,arp,arp_op=2,arp_spa=10.0.0.0/24,tun_id=0x5/0xff,actions=drop",
            "table=8,priority=10,dl_src=02:00:00:00:00:01/ff:ff:ff:00:00:00,metadata=0x10/0xf0,"
                    + "actions=write_metadata:0x1/0xff,goto_table:9",
            "table=9,priority=0,tcp,actions=set_field:02:00:00:00:00:02->eth_dst,set_field:22->tcp_dst,dec_ttl,FLOOD",
            "table=10,priority=11,arp,arp_op=1,arp_sha=fa:16:3e:00:00:01,arp_tha=00:00:00:00:00:00,actions="
                    + "set_field:2->arp_op,set_field:fa:16:3e:00:00:02->arp_sha,set_field:fa:16:3e:00:00:01->arp_tha,"
                    + "IN_PORT",
            "table=12,priority=100,ip,actions=ct(table=13,zone=7)",
            "table=13,priority=90,ct_state=-new+est-rel-inv+trk,ct_zone=7,ct_mark=0x2/0xff,actions=goto_table:20",
            "table=13,priority=70,ct_state=+new+trk,conj_id=12,ip,actions=ct(commit,zone=7,exec("
                    + "set_field:0x2->ct_mark)),goto_table:20",
            "table=13,priority=70,ct_state=+new+trk,ip,nw_src=10.0.0.0/24,actions=conjunction(12,1/2)",
            "table=14,priority=5,ip,actions=ct(table=15,zone=OXM_OF_METADATA[0..15])",
            "table=16,priority=5,tcp,actions=ct(commit,zone=3,nat(src=192.0.2.1-192.0.2.9:1024-65535))",
            "table=16,priority=6,udp,actions=ct(commit,nat(dst=10.0.0.5)),ct(nat)");

    @Test
    void parseAndFormatAreInverse() {
        for (String text : corpus()) {
            Flow flow = OfctlText.parse(text);
            assertThat(OfctlText.parse(OfctlText.format(flow))).as(text).isEqualTo(flow);
        }
        Flow f = OfctlText.parse(SPECIAL.get(0));
        assertThat(f.tableId()).isZero();
        assertThat(f.priority()).isEqualTo(Flow.DEFAULT_PRIORITY);
        assertThat(f.cookie()).isEqualTo(0x1234);
        assertThat(f.flags()).containsExactly(FlowFlag.SEND_FLOW_REM);
        assertThat(f.match().get(MatchField.TCP_DST)).isEqualTo(MatchValue.exact(80));
        assertThat(f.instructions().applyActions()).hasSize(4);
    }

    @Test
    void whatWePrintOvsAcceptsAndDumpsBackEqual() throws Exception {
        List<String> corpus = corpus();
        Set<Flow> ours = new HashSet<>();
        List<String> printed = new ArrayList<>();
        for (String text : corpus) {
            Flow flow = OfctlText.parse(text);
            ours.add(flow);
            printed.add(OfctlText.format(flow));
        }
        try (TestBed bed = TestBed.create()) {
            OvsHost host = bed.addHost("h1");
            host.addBridge(BridgeSpec.named("br0"));
            Path file = host.runDir().resolve("flows.txt");
            Files.write(file, printed);
            host.ofctl("-O", "OpenFlow13", "--bundle", "add-flows", "br0", file.toString());
            Set<Flow> dumped = new HashSet<>();
            for (String line : host.ofctl("-O", "OpenFlow13", "--no-stats", "dump-flows", "br0").split("\n")) {
                if (line.contains("actions=")) {
                    dumped.add(OfctlText.parse(line));
                }
            }
            assertThat(dumped).isEqualTo(ours);
        }
    }

    @Test
    void badInputGetsAClearMessage() {
        assertThatThrownBy(() -> OfctlText.parse("table=0,priority=1")).isInstanceOf(FlowParseException.class)
                .hasMessageContaining("no actions=");
        assertThatThrownBy(() -> OfctlText.parse("frobnicate=3,actions=drop")).hasMessageContaining("frobnicate");
        assertThatThrownBy(() -> OfctlText.parse("nw_dst=10.0.0.300,actions=drop")).hasMessageContaining("IPv4");
        assertThatThrownBy(() -> OfctlText.parse("tp_dst=80,actions=drop")).hasMessageContaining("tcp or udp");
        assertThatThrownBy(() -> OfctlText.parse("actions=load:1->NXM_NX_REG0[]")).hasMessageContaining("unsupported");
        assertThatThrownBy(() -> OfctlText.parse("table=300,actions=drop")).hasMessageContaining("0..254");
        assertThatThrownBy(() -> OfctlText.parse("ct_state=+bogus,actions=drop")).hasMessageContaining("ct_state");
        assertThatThrownBy(() -> OfctlText.parse("actions=ct(frob)")).hasMessageContaining("frob");
        assertThatThrownBy(() -> OfctlText.parse("actions=conjunction(1,3/2)")).hasMessageContaining("conjunction");
        assertThatThrownBy(() -> OfctlText.parse("actions=ct(zone=70000)")).hasMessageContaining("65535");
    }

    static List<String> corpus() {
        List<String> all = new ArrayList<>(RealisticPipeline.flows(50));
        all.addAll(SPECIAL);
        return all;
    }
}
