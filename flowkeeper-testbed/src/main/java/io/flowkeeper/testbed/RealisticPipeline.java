package io.flowkeeper.testbed;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A realistic per-port flow pipeline for benchmarks, in {@code ovs-ofctl} syntax: what a cloud host with many VM
 * ports carries. Five flows per port, one in each stage, plus one default flow per table:
 * <pre>
 *  table 0  classifier  in_port=P                      -> write_metadata:N, goto 10
 *  table 10 ARP         metadata=N,arp,arp_tpa=IP      -> output:P          (default: goto 20)
 *  table 20 L2          metadata=N,dl_dst=MAC          -> goto 40           (default: goto 30)
 *  table 30 L3          metadata=N,ip,nw_dst=IP        -> eth_dst=MAC, dec_ttl, goto 40 (default: drop)
 *  table 40 ACL         metadata=N,dl_dst=MAC,ip,nw_src=10.0.0.0/8 -> output:P (default: drop)
 * </pre>
 * Port P has OpenFlow port number 100+P, MAC {@code 02:fk:..} and an address in 10.N.x.y, 50 ports per network N.
 * The ports need not exist: OVS accepts flows for absent ports, which keeps a 40,000-port host cheap to fake.
 * Only standard OpenFlow 1.3 fields and actions are used (no Nicira registers), so every OpenFlow library,
 * Loxi included, can express it.
 */
public final class RealisticPipeline {
    public static final int FLOWS_PER_PORT = 5;
    public static final int DEFAULT_FLOWS = 4;
    private static final int PORTS_PER_NETWORK = 50;

    private RealisticPipeline() {
    }

    /** The number of flows {@link #flows(int)} returns. */
    public static int flowCount(int ports) {
        return ports * FLOWS_PER_PORT + DEFAULT_FLOWS;
    }

    /** Ports needed for about {@code flows} flows. */
    public static int portsFor(int flows) {
        return Math.max(1, (flows - DEFAULT_FLOWS) / FLOWS_PER_PORT);
    }

    /** The whole pipeline for {@code ports} ports, one {@code ovs-ofctl add-flows} line per flow. */
    public static List<String> flows(int ports) {
        if (ports < 1 || ports > 65_000) {
            throw new IllegalArgumentException("ports must be 1..65000: " + ports);
        }
        List<String> flows = new ArrayList<>(flowCount(ports));
        flows.add("table=10,priority=0,actions=goto_table:20");
        flows.add("table=20,priority=0,actions=goto_table:30");
        flows.add("table=30,priority=0,actions=drop");
        flows.add("table=40,priority=0,actions=drop");
        for (int p = 0; p < ports; p++) {
            int network = 1 + p / PORTS_PER_NETWORK;
            int ofport = 100 + p;
            String mac = String.format(Locale.ROOT, "02:fc:%02x:%02x:%02x:%02x", (p >> 24) & 255, (p >> 16) & 255,
                    (p >> 8) & 255, p & 255);
            String ip = "10." + (network >> 8 & 255) + "." + (network & 255) + "." + (1 + p % PORTS_PER_NETWORK);
            String net = "metadata=0x" + Integer.toHexString(network);
            flows.add("table=0,priority=100,in_port=" + ofport + ",actions=write_metadata:0x"
                    + Integer.toHexString(network) + ",goto_table:10");
            flows.add("table=10,priority=100," + net + ",arp,arp_tpa=" + ip + ",actions=output:" + ofport);
            flows.add("table=20,priority=100," + net + ",dl_dst=" + mac + ",actions=goto_table:40");
            flows.add("table=30,priority=100," + net + ",ip,nw_dst=" + ip + ",actions=set_field:" + mac
                    + "->eth_dst,dec_ttl,goto_table:40");
            flows.add("table=40,priority=100," + net + ",dl_dst=" + mac + ",ip,nw_src=10.0.0.0/8,actions=output:"
                    + ofport);
        }
        return flows;
    }
}
