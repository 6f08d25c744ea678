package io.flowkeeper.agent.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

/**
 * The active gateway's answers on the external network, as flows on the provider bridge: ARP requests for the
 * router's external IP are turned into replies from the gateway port's MAC, and ICMP echo requests to it into echo
 * replies, both sent back out of the port they came in on (for the router's floating IPs ARP only); gratuitous ARP
 * for the addresses, so the external network's switches learn where they moved; and the MAC of the external next
 * hop, learned from its ARP reply, for what the integration bridge NATs out.
 *
 * <p>Why here and not in the controller's pipeline: the active is the host whose agent holds the lease, and the
 * agent must be able to stop answering on its own (its lease lapsing) even when no controller can reach its
 * switches; the provider bridge is the agent's own (standalone, no controller). Why {@code ovs-ofctl}: an ARP
 * reply to an unknown requester needs field moves (NXM {@code move}), which the cluster's flow model does not carry.
 * The flow text is built by pure functions ({@link #flows}, {@link #garp}); only {@link #install}, {@link #remove}
 * and {@link #announce} run the program.
 */
final class ProviderBridgeResponder {
    /** Above the bridge's own {@code NORMAL} (priority 0). */
    static final int PRIORITY = 100;
    /** The table of the learned next hop (the bridge's own flows are in table 0). */
    static final int NEXT_HOP_TABLE = 1;
    private static final long COOKIE_KIND = 0x4757L << 48; // "GW"

    private final String ofctl;
    private final Path rundir;

    ProviderBridgeResponder(String ofctl, Path rundir) {
        this.ofctl = ofctl;
        this.rundir = rundir;
    }

    /** The router's cookie: every flow of one router's gateway carries it, so they are removed together. */
    static long cookie(String router) {
        CRC32 crc = new CRC32();
        crc.update(router.getBytes(StandardCharsets.UTF_8));
        return COOKIE_KIND | crc.getValue();
    }

    /** The responder's flows for {@code ip} (dotted) held by {@code mac}, on VLAN {@code vlan} (null: untagged). */
    static List<String> flows(String router, String ip, String mac, Integer vlan) {
        return flows(router, ip, mac, vlan, null, List.of(), null);
    }

    /**
     * The responder's flows, and with {@code nextHop} (the upstream router's address, dotted; null: none) the next
     * hop of what the gateway NATs out: an ARP reply from {@code nextHop} to {@code ip} teaches table
     * {@value #NEXT_HOP_TABLE} ({@code learn}) to address IPv4 from {@code mac} to the replier's MAC and send it out
     * of the port the reply came in on; IPv4 from {@code mac} (the integration bridge's NAT output) goes there, and
     * is dropped until the reply came. The {@code floating} IPs (dotted) are answered for by ARP only: their echo
     * requests go on to the VM behind them. With {@code patch} (the bridge's end of its patch port to the integration
     * bridge), every other frame to {@code mac} goes through it, below the responder: the standby's bridge may have
     * learned {@code mac} on its external port from the previous active's gratuitous ARPs, and would drop them. Why
     * here: resolving a MAC needs {@code learn}, which the cluster's flow model
     * does not carry (see the class comment).
     */
    static List<String> flows(String router, String ip, String mac, Integer vlan, String nextHop,
                              List<String> floating, String patch) {
        String match = String.format("cookie=0x%x,priority=%d,%s", cookie(router), PRIORITY,
                vlan == null ? "vlan_tci=0x0000/0x1fff," : "dl_vlan=" + vlan + ",");
        String macHex = "0x" + mac.replace(":", "");
        String ipHex = String.format("0x%08x", ipv4(ip));
        List<String> out = new ArrayList<>();
        List<String> answered = new ArrayList<>(List.of(ip));
        answered.addAll(floating);
        for (String a : answered) {
            out.add(match + "arp,arp_op=1,arp_tpa=" + a + " actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],"
                    + "mod_dl_src:" + mac + ",load:0x2->NXM_OF_ARP_OP[],move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],"
                    + "move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],load:" + macHex + "->NXM_NX_ARP_SHA[],load:"
                    + String.format("0x%08x", ipv4(a)) + "->NXM_OF_ARP_SPA[],in_port");
        }
        out.add(match + "icmp,icmp_type=8,nw_dst=" + ip + " actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],"
                + "mod_dl_src:" + mac + ",move:NXM_OF_IP_SRC[]->NXM_OF_IP_DST[],load:" + ipHex + "->NXM_OF_IP_SRC[],"
                + "load:0->NXM_OF_ICMP_TYPE[],in_port");
        if (nextHop != null) {
            ipv4(nextHop);
            out.add(match + "arp,arp_op=2,arp_spa=" + nextHop + ",arp_tpa=" + ip + " actions=learn(table="
                    + NEXT_HOP_TABLE + String.format(",cookie=0x%x", cookie(router)) + ",priority=" + PRIORITY
                    + ",dl_type=0x0800,dl_src=" + mac + ",load:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],"
                    + "output:NXM_OF_IN_PORT[])");
            out.add(match + "ip,dl_src=" + mac + " actions=resubmit(," + NEXT_HOP_TABLE + ")");
        }
        if (patch != null) {
            out.add(match.replace("priority=" + PRIORITY, "priority=" + (PRIORITY - 10)) + "dl_dst=" + mac
                    + " actions=output:" + patch);
        }
        return out;
    }

    /**
     * An ARP request from {@code mac} and {@code ip} for {@code target}, as hex for {@code packet-out}, tagged with
     * {@code vlan} if given.
     */
    static String arpRequest(String ip, String mac, String target, Integer vlan) {
        StringBuilder b = new StringBuilder("ffffffffffff").append(mac.replace(":", ""));
        if (vlan != null) {
            b.append(String.format("8100%04x", vlan & 0xfff));
        }
        b.append("0806").append("0001").append("0800").append("06").append("04").append("0001")
                .append(mac.replace(":", "")).append(String.format("%08x", ipv4(ip))).append("000000000000")
                .append(String.format("%08x", ipv4(target)));
        return b.toString();
    }

    /**
     * A gratuitous ARP (a request for its own address, as keepalived sends), as hex for {@code packet-out}:
     * broadcast from {@code mac}, sender and target {@code ip}, tagged with {@code vlan} if given.
     */
    static String garp(String ip, String mac, Integer vlan) {
        return arpRequest(ip, mac, ip, vlan);
    }

    /** The address as 32 bits (IllegalArgumentException if it is not one). */
    static long ipv4(String dotted) {
        return io.flowkeeper.api.flow.OfctlText.parseIpv4(dotted);
    }

    private String target(String bridge) {
        return "unix:" + rundir.resolve(bridge + ".mgmt");
    }

    /**
     * Whether {@code bridge}'s switch answers: its management socket accepts a connection (refused, or missing, once
     * {@code ovs-vswitchd} is gone). A connect and a close, no OpenFlow: cheap enough before every lease renewal.
     */
    boolean reachable(String bridge) {
        try (java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open(
                java.net.UnixDomainSocketAddress.of(rundir.resolve(bridge + ".mgmt")))) {
            return c.isConnected();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Replaces the router's flows on {@code bridge} with its responder (and next hop learning, if given). */
    void install(String bridge, String router, String ip, String mac, Integer vlan, String nextHop,
                 List<String> floating) throws IOException {
        remove(bridge, router);
        List<String> args = new ArrayList<>(List.of(ofctl, "add-flows", target(bridge), "-"));
        run(args, String.join("\n", flows(router, ip, mac, vlan, nextHop, floating, HostPlumbing.providerEnd(bridge)))
                + "\n");
    }

    /** Asks for {@code nextHop}'s MAC (an ARP request out of every port of {@code bridge}). */
    void resolve(String bridge, String ip, String mac, String nextHop, Integer vlan) throws IOException {
        run(List.of(ofctl, "packet-out", target(bridge), "in_port=LOCAL packet=" + arpRequest(ip, mac, nextHop, vlan)
                + " actions=FLOOD"), null);
    }

    /** Removes the router's flows from {@code bridge} (none there is fine). */
    void remove(String bridge, String router) throws IOException {
        run(List.of(ofctl, "del-flows", target(bridge), String.format("cookie=0x%x/-1", cookie(router))), null);
    }

    /**
     * Removes every gateway responder from {@code bridge}: what a previous agent process left when it was killed
     * (a flow outlives the agent; the cluster may have given the router to another host meanwhile).
     */
    void removeAll(String bridge) throws IOException {
        run(List.of(ofctl, "del-flows", target(bridge), String.format("cookie=0x%x/0x%x", COOKIE_KIND,
                0xffffL << 48)), null);
    }

    /** Sends one gratuitous ARP out of every port of {@code bridge}. */
    void announce(String bridge, String ip, String mac, Integer vlan) throws IOException {
        run(List.of(ofctl, "packet-out", target(bridge), "in_port=LOCAL packet=" + garp(ip, mac, vlan)
                + " actions=FLOOD"), null);
    }

    private static void run(List<String> command, String stdin) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command.subList(0, 3)) + " did not finish in 5 s");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command.subList(0, 3)) + " failed (" + p.exitValue() + "): "
                    + output);
        }
    }
}
