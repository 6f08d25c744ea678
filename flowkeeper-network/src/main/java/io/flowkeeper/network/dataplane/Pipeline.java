package io.flowkeeper.network.dataplane;

import io.flowkeeper.api.flow.Action;
import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.MatchField;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumSet;
import java.util.Set;

/**
 * The integration bridge's tables, declared as data: what each is for, which fields its flows may match, which
 * fields they may set, whether they may write metadata, and which tables they may jump to. {@link #check} holds a
 * flow set to it, so a compiler change that jumps backwards or matches a field a table does not own fails in tests,
 * not on a switch.
 *
 * <p>Metadata carries the packet's context between tables (see {@link FlowCompiler} for the layout): the network's
 * local tag, the VM port it came from, the sender address it used, and whether it came from another host.
 */
public enum Pipeline {
    /** Who sent the packet: a VM port, a tunnel (by VNI) or a provider bridge (by VLAN); its network's tag. */
    CLASSIFY(0, "port classification: VM port, tunnel by VNI or provider bridge by VLAN -> network tag",
            EnumSet.of(MatchField.IN_PORT, MatchField.TUNNEL_ID, MatchField.VLAN_VID, MatchField.ETH_DST),
            EnumSet.noneOf(MatchField.class), true, 2, 10, 29, 30),
    /**
     * On a router's active gateway host, IPv4 from the external network: to one of its floating IPs, translated
     * statelessly (destination set to the fixed IP, TTL decremented, the router interface's MAC as source and the
     * port's as destination, the port's network tag) and on to {@link #L2_LOOKUP}, with no connection state, so a
     * failover keeps established connections; to the router's external IP, looked up (and un-NATed) in the router's
     * conntrack zone, recirculated to {@link #UNSNAT}. See {@link RouterFlows}.
     */
    UNSNAT_CT(2, "gateway, from outside: to a floating IP -> stateless nat to the fixed IP, routed to the port; to "
            + "the external IP -> conntrack lookup with nat in the router's zone",
            EnumSet.of(MatchField.METADATA, MatchField.ETH_TYPE, MatchField.IPV4_DST),
            EnumSet.of(MatchField.IPV4_DST, MatchField.ETH_SRC, MatchField.ETH_DST), true, 3, 30),
    /** Routes replies of SNAT connections (translated back to the VM's address by the lookup) by destination subnet. */
    UNSNAT(3, "gateway, from outside: un-SNATed by the lookup -> routed to the subnet (dec_ttl, router MAC as "
            + "source)",
            EnumSet.of(MatchField.METADATA, MatchField.ETH_TYPE, MatchField.CT_STATE, MatchField.CT_ZONE,
                    MatchField.IPV4_DST),
            EnumSet.of(MatchField.ETH_SRC), true, 28),
    /** A VM may send only from its own MAC and addresses (fixed IPs, allowed address pairs); DHCP is punted. */
    PORT_SECURITY(10, "anti-spoofing: own MAC and IPs (and allowed address pairs) only; DHCP to the controller",
            EnumSet.of(MatchField.METADATA, MatchField.ETH_SRC, MatchField.ETH_TYPE, MatchField.IPV4_SRC,
                    MatchField.IP_PROTO, MatchField.UDP_SRC, MatchField.UDP_DST, MatchField.ARP_SHA,
                    MatchField.ARP_SPA),
            EnumSet.noneOf(MatchField.class), true, 12, 20, 30),
    /**
     * A secured port's IPv4 (port security on): looked up in the connection tracker, in the port's own zone, and
     * recirculated to {@link #SG_EGRESS}. See {@link SecurityGroupFlows}.
     */
    SG_EGRESS_CT(12, "security groups, egress: conntrack lookup in the sending port's zone",
            EnumSet.of(MatchField.METADATA, MatchField.ETH_TYPE), EnumSet.noneOf(MatchField.class), false, 13),
    /**
     * The sending port's egress rules: established and related traffic of a connection committed under the port's
     * current rule set passes, invalid is dropped, new (or committed under an older rule set) is checked against
     * the rules and committed; allowed traffic goes on to {@link #ARP_RESPONDER} (so routed traffic is filtered too).
     */
    SG_EGRESS(13, "security groups, egress rules: est/rel of the current rule set pass, invalid dropped, new "
            + "checked against the rules (conjunctive for remote groups) and committed",
            EnumSet.of(MatchField.METADATA, MatchField.ETH_TYPE, MatchField.CT_STATE, MatchField.CT_MARK,
                    MatchField.CONJ_ID, MatchField.IP_PROTO, MatchField.IPV4_DST, MatchField.TCP_DST,
                    MatchField.UDP_DST, MatchField.ICMPV4_TYPE, MatchField.ICMPV4_CODE),
            EnumSet.noneOf(MatchField.class), false, 20),
    /**
     * ARP requests for a known address of the network: turned into the reply's sender half. IP frames addressed to
     * a router interface's MAC leave here for {@link #ROUTING}: after port security (and whatever checks a VM's
     * egress before this table), so routed traffic is held to the same rules as switched traffic.
     */
    ARP_RESPONDER(20, "ARP responder: a request for a known address of the network becomes a reply from it; "
            + "IP to a router interface's MAC -> routing",
            EnumSet.of(MatchField.METADATA, MatchField.ETH_TYPE, MatchField.ARP_OP, MatchField.ARP_TPA,
                    MatchField.ETH_DST),
            EnumSet.of(MatchField.ETH_SRC, MatchField.ARP_OP, MatchField.ARP_SHA, MatchField.ARP_SPA), false,
            25, 27, 30),
    /** The reply's target half, from the requesting port's metadata; sent back where the request came from. */
    ARP_REPLY(25, "ARP reply: addressed to the requesting port, sent back out of it",
            EnumSet.of(MatchField.METADATA, MatchField.ETH_TYPE),
            EnumSet.of(MatchField.ETH_DST, MatchField.ARP_THA, MatchField.ARP_TPA), false),
    /**
     * Distributed routing on the source VM's host: a frame to a router interface's MAC, by destination prefix
     * (longest first, by priority): TTL decremented, the source MAC set to the router's MAC on the destination
     * subnet, the destination network's tag written to metadata. Static routes also set the next hop's MAC and go
     * straight to {@link #L2_LOOKUP}. ICMP echo requests to a router address are answered here, back out of the
     * port they came in on.
     */
    ROUTING(27, "routing per router interface: longest prefix -> dec_ttl, router MAC as source, destination "
            + "network's tag; static routes to their next hop; echo replies from router addresses",
            EnumSet.of(MatchField.METADATA, MatchField.ETH_DST, MatchField.ETH_TYPE, MatchField.IP_PROTO,
                    MatchField.ICMPV4_TYPE, MatchField.IPV4_SRC, MatchField.IPV4_DST),
            EnumSet.of(MatchField.ETH_SRC, MatchField.ETH_DST, MatchField.IPV4_SRC, MatchField.IPV4_DST,
                    MatchField.ICMPV4_TYPE, MatchField.TUNNEL_ID), true, 28, 29, 30),
    /** A routed packet's destination MAC, by destination address within the destination network. */
    NEXT_HOP(28, "next hop: destination address on the destination network -> its port's MAC",
            EnumSet.of(MatchField.METADATA, MatchField.ETH_TYPE, MatchField.IPV4_DST),
            EnumSet.of(MatchField.ETH_DST), false, 30),
    /**
     * On a router's active gateway host, IPv4 a subnet of the router sends out (to the router interface's MAC, by
     * the default route of the hosts of its subnets): from a port with a floating IP, translated statelessly (source
     * set to the floating IP, TTL decremented, the gateway port's MAC as source) and out of the provider patch port;
     * from any other, looked up (and NATed, if established) in the router's conntrack zone, recirculated to
     * {@link #SNAT}.
     */
    SNAT_CT(29, "gateway, to outside: from a port with a floating IP -> stateless nat to it, out; else conntrack "
            + "lookup with nat in the router's zone",
            EnumSet.of(MatchField.METADATA, MatchField.ETH_DST, MatchField.ETH_TYPE, MatchField.IPV4_SRC),
            EnumSet.of(MatchField.IPV4_SRC, MatchField.ETH_SRC, MatchField.VLAN_VID), false, 31),
    /** Where a frame of a network goes: a local port, a tunnel, the provider bridge, or all of the network's. */
    L2_LOOKUP(30, "L2 lookup per network: local delivery (IPv4 to a secured port via its ingress rules), tunnel "
            + "with the VNI, provider bridge with the VLAN, flood (IPv4 to each secured port via its ingress rules)",
            EnumSet.of(MatchField.METADATA, MatchField.ETH_DST, MatchField.ETH_TYPE),
            EnumSet.of(MatchField.TUNNEL_ID, MatchField.VLAN_VID), true, 39, 40),
    /**
     * A flooded IPv4 packet's copy for one secured local port (broadcast, multicast, unknown unicast): the flood
     * looked it up in the port's conntrack zone and recirculated it here, where the zone names the port; its number
     * goes into metadata's port bits and the copy on through the port's ingress rules ({@link #SG_INGRESS}), as a
     * unicast packet to the port would after {@link #SG_INGRESS_CT}.
     */
    SG_FLOOD(39, "security groups, flooded IPv4: the copy for a secured port (tracked in its zone) -> its "
            + "ingress rules",
            EnumSet.of(MatchField.CT_ZONE, MatchField.ETH_TYPE), EnumSet.noneOf(MatchField.class), true, 41),
    /** IPv4 for a secured local port (its number now in metadata): conntrack lookup in its zone. */
    SG_INGRESS_CT(40, "security groups, ingress: conntrack lookup in the receiving port's zone",
            EnumSet.of(MatchField.METADATA, MatchField.ETH_TYPE), EnumSet.noneOf(MatchField.class), false, 41),
    /** The receiving port's ingress rules, as {@link #SG_EGRESS}; allowed traffic is output to the port. */
    SG_INGRESS(41, "security groups, ingress rules: as egress, by source; allowed -> output to the port",
            EnumSet.of(MatchField.METADATA, MatchField.ETH_TYPE, MatchField.CT_STATE, MatchField.CT_MARK,
                    MatchField.CONJ_ID, MatchField.IP_PROTO, MatchField.IPV4_SRC, MatchField.TCP_DST,
                    MatchField.UDP_DST, MatchField.ICMPV4_TYPE, MatchField.ICMPV4_CODE),
            EnumSet.noneOf(MatchField.class), false),
    /**
     * Out to the external network (ports without a floating IP): a new connection is committed with source NAT to
     * the router's external IP when SNAT is on; TTL decremented and the gateway port's MAC as source before the
     * commit; then out of the provider bridge's patch port, whose bridge picks the next hop's MAC.
     */
    SNAT(31, "gateway, to outside: new -> commit nat(src=external IP); dec_ttl, gateway MAC as source; out to the "
            + "provider bridge",
            EnumSet.of(MatchField.ETH_TYPE, MatchField.CT_STATE, MatchField.CT_ZONE, MatchField.ETH_DST,
                    MatchField.IPV4_SRC),
            EnumSet.of(MatchField.ETH_SRC, MatchField.VLAN_VID), false);

    private final int id;
    private final String purpose;
    private final Set<MatchField> matches;
    private final Set<MatchField> sets;
    private final boolean writesMetadata;
    private final int[] next;

    Pipeline(int id, String purpose, Set<MatchField> matches, Set<MatchField> sets, boolean writesMetadata,
             int... next) {
        this.id = id;
        this.purpose = purpose;
        this.matches = matches;
        this.sets = sets;
        this.writesMetadata = writesMetadata;
        this.next = next;
    }

    public int id() {
        return id;
    }

    public String purpose() {
        return purpose;
    }

    /** The tables a flow of this table may jump to. */
    public boolean mayGoTo(int table) {
        return Arrays.stream(next).anyMatch(t -> t == table);
    }

    public static Pipeline byId(int id) {
        for (Pipeline t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        return null;
    }

    /**
     * Checks flows against the pipeline: a known table, only its match fields and set-fields, metadata written
     * only where allowed, and only its legal (and so forward) {@code goto_table} and conntrack recirculation targets.
     *
     * @throws IllegalArgumentException naming the first flow that breaks a rule, and the rule
     */
    public static void check(Collection<Flow> flows) {
        for (Flow f : flows) {
            Pipeline t = byId(f.tableId());
            if (t == null) {
                throw new IllegalArgumentException("table " + f.tableId() + " is not in the pipeline: " + f);
            }
            for (MatchField m : f.match().fields().keySet()) {
                if (!t.matches.contains(m)) {
                    throw new IllegalArgumentException(t + " does not match " + m.ofctlName() + ": " + f);
                }
            }
            for (Action a : f.instructions().applyActions()) {
                if (a instanceof Action.SetField s && !t.sets.contains(s.field())) {
                    throw new IllegalArgumentException(t + " does not set " + s.field().ofctlName() + ": " + f);
                }
            }
            if (f.instructions().writeMetadata() != null && !t.writesMetadata) {
                throw new IllegalArgumentException(t + " does not write metadata: " + f);
            }
            Integer to = f.instructions().gotoTable();
            if (to != null && (!t.mayGoTo(to) || to <= t.id)) {
                throw new IllegalArgumentException(t + " may not go to table " + to + ": " + f);
            }
            for (Action a : f.instructions().applyActions()) {
                // a conntrack recirculation is a jump too: to a table this one may go to, forward
                if (a instanceof Action.Ct ct && ct.table() != Action.CT_NO_TABLE
                        && (!t.mayGoTo(ct.table()) || ct.table() <= t.id)) {
                    throw new IllegalArgumentException(t + " may not recirculate to table " + ct.table() + ": " + f);
                }
            }
        }
    }
}
