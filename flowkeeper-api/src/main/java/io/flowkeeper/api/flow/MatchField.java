package io.flowkeeper.api.flow;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The match fields Flowkeeper uses, with their {@code ovs-ofctl} names. Values are held as unsigned numbers
 * (a MAC as 48 bits, an IPv4 address as 32 bits); {@link Kind} says how to print and parse them.
 */
public enum MatchField {
    IN_PORT("in_port", null, Kind.PORT, 32),
    METADATA("metadata", "metadata", Kind.HEX, 64),
    ETH_SRC("dl_src", "eth_src", Kind.MAC, 48),
    ETH_DST("dl_dst", "eth_dst", Kind.MAC, 48),
    ETH_TYPE("dl_type", null, Kind.HEX, 16),
    /** The OXM VLAN id: 0x1000 (present) | vid. {@code dl_vlan=12} matches 0x100c. */
    VLAN_VID("dl_vlan", "vlan_vid", Kind.DECIMAL, 13),
    IP_PROTO("nw_proto", null, Kind.DECIMAL, 8),
    IPV4_SRC("nw_src", "ip_src", Kind.IPV4, 32),
    IPV4_DST("nw_dst", "ip_dst", Kind.IPV4, 32),
    TCP_SRC("tcp_src", "tcp_src", Kind.DECIMAL, 16),
    TCP_DST("tcp_dst", "tcp_dst", Kind.DECIMAL, 16),
    UDP_SRC("udp_src", "udp_src", Kind.DECIMAL, 16),
    UDP_DST("udp_dst", "udp_dst", Kind.DECIMAL, 16),
    ICMPV4_TYPE("icmp_type", "icmp_type", Kind.DECIMAL, 8),
    ICMPV4_CODE("icmp_code", null, Kind.DECIMAL, 8),
    ARP_OP("arp_op", "arp_op", Kind.DECIMAL, 16),
    ARP_SPA("arp_spa", "arp_spa", Kind.IPV4, 32),
    ARP_TPA("arp_tpa", "arp_tpa", Kind.IPV4, 32),
    TUNNEL_ID("tun_id", "tun_id", Kind.HEX, 64),
    // Appended, not grouped with the other ARP fields: a match's canonical form (and so its stored identity key)
    // follows this order.
    ARP_SHA("arp_sha", "arp_sha", Kind.MAC, 48),
    ARP_THA("arp_tha", "arp_tha", Kind.MAC, 48),
    // Nicira extension fields (NXM class 0x0001): connection tracking, filled by the ct action, and the id of the
    // conjunctive match that hit. Not settable by set_field (ct_mark is set inside ct(exec(...)), see Action.Ct).
    CT_STATE("ct_state", null, Kind.CT_STATE, 32),
    CT_ZONE("ct_zone", null, Kind.HEX, 16),
    CT_MARK("ct_mark", null, Kind.HEX, 32),
    CONJ_ID("conj_id", null, Kind.DECIMAL, 32);

    /** {@code ct_state} bits, as {@code ovs-fields(7)} names them: {@code +trk+est-rel}. */
    public static final long CT_NEW = 0x01;
    public static final long CT_EST = 0x02;
    public static final long CT_REL = 0x04;
    public static final long CT_RPL = 0x08;
    public static final long CT_INV = 0x10;
    public static final long CT_TRK = 0x20;
    public static final long CT_SNAT = 0x40;
    public static final long CT_DNAT = 0x80;
    /** The names of the ct_state bits, lowest bit first. */
    public static final java.util.List<String> CT_STATE_NAMES =
            java.util.List.of("new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat");

    /** How a field's value is written. */
    public enum Kind { PORT, HEX, DECIMAL, MAC, IPV4, CT_STATE }

    private final String ofctlName;
    private final String setFieldName;
    private final Kind kind;
    private final int bits;

    MatchField(String ofctlName, String setFieldName, Kind kind, int bits) {
        this.ofctlName = ofctlName;
        this.setFieldName = setFieldName;
        this.kind = kind;
        this.bits = bits;
    }

    /** The name in {@code ovs-ofctl} matches ({@code nw_dst}). */
    public String ofctlName() {
        return ofctlName;
    }

    /** The name in {@code set_field:VALUE->NAME} ({@code ip_dst}), or null when the field cannot be set. */
    public String setFieldName() {
        return setFieldName;
    }

    public Kind kind() {
        return kind;
    }

    /** Width in bits: values and masks must fit. */
    public int bits() {
        return bits;
    }

    public long maxValue() {
        return bits == 64 ? -1L : (1L << bits) - 1;
    }

    private static final Map<String, MatchField> BY_NAME = new HashMap<>();

    static {
        for (MatchField f : values()) {
            BY_NAME.put(f.ofctlName, f);
            if (f.setFieldName != null) {
                BY_NAME.putIfAbsent(f.setFieldName, f);
            }
        }
        BY_NAME.put("eth_type", ETH_TYPE);
        BY_NAME.put("ip_proto", IP_PROTO);
        BY_NAME.put("tunnel_id", TUNNEL_ID);
        BY_NAME.put("icmpv4_type", ICMPV4_TYPE);
        BY_NAME.put("icmpv4_code", ICMPV4_CODE);
    }

    /** The field with this {@code ovs-ofctl} (or {@code set_field}) name, or null. */
    public static MatchField byName(String name) {
        return BY_NAME.get(name.toLowerCase(Locale.ROOT));
    }
}
