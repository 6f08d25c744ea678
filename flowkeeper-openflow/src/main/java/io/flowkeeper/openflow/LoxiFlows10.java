package io.flowkeeper.openflow;

import io.flowkeeper.api.flow.Action;
import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.Instructions;
import io.flowkeeper.api.flow.Match;
import io.flowkeeper.api.flow.MatchValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.projectfloodlight.openflow.protocol.OFFactory;
import org.projectfloodlight.openflow.protocol.OFFlowMod;
import org.projectfloodlight.openflow.protocol.OFFlowStatsEntry;
import org.projectfloodlight.openflow.protocol.action.OFAction;
import org.projectfloodlight.openflow.protocol.match.MatchField;
import org.projectfloodlight.openflow.protocol.action.OFActionOutput;
import org.projectfloodlight.openflow.protocol.action.OFActionSetDlDst;
import org.projectfloodlight.openflow.protocol.action.OFActionSetDlSrc;
import org.projectfloodlight.openflow.protocol.action.OFActionSetNwDst;
import org.projectfloodlight.openflow.protocol.action.OFActionSetNwSrc;
import org.projectfloodlight.openflow.protocol.action.OFActionSetTpDst;
import org.projectfloodlight.openflow.protocol.action.OFActionSetTpSrc;
import org.projectfloodlight.openflow.protocol.action.OFActionStripVlan;
import org.projectfloodlight.openflow.types.ArpOpcode;
import org.projectfloodlight.openflow.types.EthType;
import org.projectfloodlight.openflow.types.ICMPv4Code;
import org.projectfloodlight.openflow.types.ICMPv4Type;
import org.projectfloodlight.openflow.types.IPv4Address;
import org.projectfloodlight.openflow.types.IpProtocol;
import org.projectfloodlight.openflow.types.MacAddress;
import org.projectfloodlight.openflow.types.Masked;
import org.projectfloodlight.openflow.types.OFBufferId;
import org.projectfloodlight.openflow.types.OFPort;
import org.projectfloodlight.openflow.types.OFValueType;
import org.projectfloodlight.openflow.types.OFVlanVidMatch;
import org.projectfloodlight.openflow.types.TransportPort;
import org.projectfloodlight.openflow.types.U64;

/**
 * The neutral {@link Flow} model to OpenFlow 1.0 messages and back (Loxi's 1.0 factory). OpenFlow 1.0 has one
 * table, no instructions (the actions are the flow's), no cookie mask, no flags in its flow statistics, a fixed
 * match (no metadata, tunnel id, ARP hardware addresses, masks on Ethernet addresses, non-CIDR IPv4 masks) and
 * 16-bit ports. A flow that needs any of that cannot be written as it was meant: it is refused here, per flow, with
 * the reason ({@link Refused}), before anything reaches the switch, because a flow silently written without a part
 * of its match or actions would do something else than the one stored.
 */
final class LoxiFlows10 {
    /** The largest physical port number of OpenFlow 1.0 ({@code OFPP_MAX}); above it are the reserved ports. */
    private static final long MAX_PHYSICAL_PORT = 0xff00L;

    /** The only fields 1.0 matches under a mask (CIDR only). */
    private static final java.util.Set<io.flowkeeper.api.flow.MatchField> MASKABLE = java.util.EnumSet.of(
            io.flowkeeper.api.flow.MatchField.IPV4_SRC, io.flowkeeper.api.flow.MatchField.IPV4_DST,
            io.flowkeeper.api.flow.MatchField.ARP_SPA, io.flowkeeper.api.flow.MatchField.ARP_TPA);

    private LoxiFlows10() {
    }

    /** A flow (or action) OpenFlow 1.0 cannot express; the message is the per-flow refusal reason. */
    static final class Refused extends IllegalArgumentException {
        Refused(String reason) {
            super("OpenFlow 1.0 " + reason);
        }
    }

    static OFFlowMod flowMod(OFFactory f, Flow flow, LoxiFlows.Command command, long xid) {
        if (command == LoxiFlows.Command.DELETE_BY_COOKIE) {
            // a 1.0 FLOW_MOD carries no cookie mask: this delete would match every flow of the switch
            throw new Refused("cannot delete by cookie (no cookie mask)");
        }
        if (flow.tableId() != 0) {
            throw new Refused("has only table 0: cannot write a flow to table " + flow.tableId());
        }
        if (!flow.flags().isEmpty()) {
            throw new Refused("flow statistics do not report flags, so a flow with " + flow.flags()
                    + " could never be compared with the switch's");
        }
        OFFlowMod.Builder b = LoxiFlows.strict(f, flow, command, xid, match(f, flow.match()));
        if (command != LoxiFlows.Command.DELETE_STRICT) {
            b.setActions(actions(f, flow.instructions()));
        }
        return b.build();
    }

    // ---- match ------------------------------------------------------------------------------------------

    static org.projectfloodlight.openflow.protocol.match.Match match(OFFactory f, Match match) {
        org.projectfloodlight.openflow.protocol.match.Match.Builder b = f.buildMatch();
        for (Map.Entry<io.flowkeeper.api.flow.MatchField, MatchValue> e : match.fields().entrySet()) {
            MatchValue v = e.getValue();
            if (v.isMasked() && !MASKABLE.contains(e.getKey())) {
                throw new Refused("cannot mask " + e.getKey().ofctlName());
            }
            try {
                switch (e.getKey()) {
                    case IN_PORT -> b.setExact(MatchField.IN_PORT, port(v.value()));
                    case ETH_SRC -> b.setExact(MatchField.ETH_SRC, MacAddress.of(v.value()));
                    case ETH_DST -> b.setExact(MatchField.ETH_DST, MacAddress.of(v.value()));
                    case ETH_TYPE -> b.setExact(MatchField.ETH_TYPE, EthType.of((int) v.value()));
                    case VLAN_VID -> b.setExact(MatchField.VLAN_VID, OFVlanVidMatch.ofRawVid((short) v.value()));
                    case IP_PROTO -> b.setExact(MatchField.IP_PROTO, IpProtocol.of((short) v.value()));
                    case IPV4_SRC -> ipv4(b, MatchField.IPV4_SRC, v);
                    case IPV4_DST -> ipv4(b, MatchField.IPV4_DST, v);
                    case ARP_SPA -> ipv4(b, MatchField.ARP_SPA, v);
                    case ARP_TPA -> ipv4(b, MatchField.ARP_TPA, v);
                    case TCP_SRC -> b.setExact(MatchField.TCP_SRC, TransportPort.of((int) v.value()));
                    case TCP_DST -> b.setExact(MatchField.TCP_DST, TransportPort.of((int) v.value()));
                    case UDP_SRC -> b.setExact(MatchField.UDP_SRC, TransportPort.of((int) v.value()));
                    case UDP_DST -> b.setExact(MatchField.UDP_DST, TransportPort.of((int) v.value()));
                    case ICMPV4_TYPE -> b.setExact(MatchField.ICMPV4_TYPE, ICMPv4Type.of((short) v.value()));
                    case ICMPV4_CODE -> b.setExact(MatchField.ICMPV4_CODE, ICMPv4Code.of((short) v.value()));
                    case ARP_OP -> b.setExact(MatchField.ARP_OP, ArpOpcode.of((int) v.value()));
                    case METADATA, TUNNEL_ID, ARP_SHA, ARP_THA ->
                            throw new Refused("cannot match " + e.getKey().ofctlName());
                }
            } catch (UnsupportedOperationException ex) {
                throw new Refused("cannot match " + e.getKey().ofctlName() + ": " + ex.getMessage());
            }
        }
        org.projectfloodlight.openflow.protocol.match.Match built = b.build();
        // Loxi's 1.0 match drops, without a word, a field whose prerequisite it does not see (an ICMP type
        // without nw_proto=1, ...): the flow would match more than asked, so it is refused instead.
        if (fieldCount(built) != match.fields().size()) {
            throw new Refused("match lost a field on the way (a field without its prerequisite?): " + match);
        }
        return built;
    }

    private static int fieldCount(org.projectfloodlight.openflow.protocol.match.Match m) {
        int n = 0;
        for (Object ignored : m.getMatchFields()) {
            n++;
        }
        return n;
    }

    private static void ipv4(org.projectfloodlight.openflow.protocol.match.Match.Builder b,
            MatchField<IPv4Address> field, MatchValue v) {
        if (v.isMasked()) {
            IPv4Address mask = IPv4Address.of((int) (long) v.mask());
            if (!mask.isCidrMask()) {
                throw new Refused("takes only CIDR masks on " + field.getName() + ": " + mask);
            }
            b.setMasked(field, IPv4Address.of((int) v.value()), mask);
        } else {
            b.setExact(field, IPv4Address.of((int) v.value()));
        }
    }

    private static OFPort port(long port) {
        if (port > MAX_PHYSICAL_PORT && port < Action.PORT_IN_PORT) {
            throw new Refused("ports are 16 bits: port " + port + " does not fit");
        }
        return OFPort.ofInt((int) port);
    }

    // ---- actions ----------------------------------------------------------------------------------------

    static List<OFAction> actions(OFFactory f, Instructions ins) {
        if (ins.gotoTable() != null) {
            throw new Refused("has no goto_table (one table only)");
        }
        if (ins.writeMetadata() != null) {
            throw new Refused("has no metadata");
        }
        List<OFAction> out = new ArrayList<>(ins.applyActions().size());
        for (Action a : ins.applyActions()) {
            out.add(action(f, a));
        }
        return out;
    }

    static OFAction action(OFFactory f, Action a) {
        if (a instanceof Action.Output o) {
            return f.actions().output(port(o.port()), o.maxLength());
        } else if (a instanceof Action.PopVlan) {
            return f.actions().stripVlan();
        } else if (a instanceof Action.SetField s) {
            long v = s.value();
            return switch (s.field()) {
                case ETH_SRC -> f.actions().setDlSrc(MacAddress.of(v));
                case ETH_DST -> f.actions().setDlDst(MacAddress.of(v));
                case IPV4_SRC -> f.actions().setNwSrc(IPv4Address.of((int) v));
                case IPV4_DST -> f.actions().setNwDst(IPv4Address.of((int) v));
                case TCP_SRC, UDP_SRC -> f.actions().setTpSrc(TransportPort.of((int) v));
                case TCP_DST, UDP_DST -> f.actions().setTpDst(TransportPort.of((int) v));
                default -> throw new Refused("cannot set " + s.field().ofctlName());
            };
        }
        // dec_ttl, push_vlan and groups are later than 1.0 (OVS has Nicira extensions for some; we do not use them)
        throw new Refused("has no action " + a);
    }

    // ---- the way back: flow statistics ------------------------------------------------------------------

    /**
     * One flow of a 1.0 flow dump in the model; throws {@link IllegalArgumentException} (the reason) for a flow the
     * model cannot express, which the dump reports as unreadable.
     */
    static Flow flowOf(OFFlowStatsEntry e) {
        Match.Builder m = Match.builder();
        org.projectfloodlight.openflow.protocol.match.Match match = e.getMatch();
        for (MatchField<?> field : match.getMatchFields()) {
            io.flowkeeper.api.flow.MatchField ours = ourField(field);
            Masked<?> masked = match.isPartiallyMasked(field) ? match.getMasked(field) : null;
            if (masked != null && !(masked.getValue() instanceof IPv4Address)) {
                throw new IllegalArgumentException("masked " + field.getName() + " not supported by Flowkeeper");
            }
            if (masked != null) {
                m.masked(ours, Integer.toUnsignedLong(((IPv4Address) masked.getValue()).getInt()),
                        Integer.toUnsignedLong(((IPv4Address) masked.getMask()).getInt()));
            } else {
                m.exact(ours, value(match.get(field)));
            }
        }
        List<Action> actions = new ArrayList<>();
        for (OFAction a : e.getActions()) {
            actions.add(ourAction(a, e.getMatch()));
        }
        return new Flow(0, e.getPriority(), m.build(), new Instructions(actions, null, -1L, null),
                e.getCookie().getValue(), e.getIdleTimeout(), e.getHardTimeout(), java.util.Set.of());
    }

    private static io.flowkeeper.api.flow.MatchField ourField(MatchField<?> field) {
        return switch (field.id) {
            case IN_PORT -> io.flowkeeper.api.flow.MatchField.IN_PORT;
            case ETH_SRC -> io.flowkeeper.api.flow.MatchField.ETH_SRC;
            case ETH_DST -> io.flowkeeper.api.flow.MatchField.ETH_DST;
            case ETH_TYPE -> io.flowkeeper.api.flow.MatchField.ETH_TYPE;
            case VLAN_VID -> io.flowkeeper.api.flow.MatchField.VLAN_VID;
            case IP_PROTO -> io.flowkeeper.api.flow.MatchField.IP_PROTO;
            case IPV4_SRC -> io.flowkeeper.api.flow.MatchField.IPV4_SRC;
            case IPV4_DST -> io.flowkeeper.api.flow.MatchField.IPV4_DST;
            case ARP_SPA -> io.flowkeeper.api.flow.MatchField.ARP_SPA;
            case ARP_TPA -> io.flowkeeper.api.flow.MatchField.ARP_TPA;
            case ARP_OP -> io.flowkeeper.api.flow.MatchField.ARP_OP;
            case TCP_SRC -> io.flowkeeper.api.flow.MatchField.TCP_SRC;
            case TCP_DST -> io.flowkeeper.api.flow.MatchField.TCP_DST;
            case UDP_SRC -> io.flowkeeper.api.flow.MatchField.UDP_SRC;
            case UDP_DST -> io.flowkeeper.api.flow.MatchField.UDP_DST;
            case ICMPV4_TYPE -> io.flowkeeper.api.flow.MatchField.ICMPV4_TYPE;
            case ICMPV4_CODE -> io.flowkeeper.api.flow.MatchField.ICMPV4_CODE;
            default -> throw new IllegalArgumentException("match field " + field.getName()
                    + " not supported by Flowkeeper");
        };
    }

    private static long value(OFValueType<?> v) {
        if (v instanceof OFPort p) {
            return Integer.toUnsignedLong(p.getPortNumber());
        } else if (v instanceof MacAddress mac) {
            return mac.getLong();
        } else if (v instanceof EthType t) {
            return t.getValue();
        } else if (v instanceof OFVlanVidMatch vid) {
            return vid.getRawVid() & 0xffff;
        } else if (v instanceof IpProtocol p) {
            return p.getIpProtocolNumber();
        } else if (v instanceof IPv4Address a) {
            return Integer.toUnsignedLong(a.getInt());
        } else if (v instanceof TransportPort p) {
            return p.getPort();
        } else if (v instanceof ICMPv4Type t) {
            return t.getType();
        } else if (v instanceof ICMPv4Code c) {
            return c.getCode();
        } else if (v instanceof ArpOpcode op) {
            return op.getOpcode();
        }
        throw new IllegalArgumentException("match value " + v + " not supported by Flowkeeper");
    }

    private static Action ourAction(OFAction a, org.projectfloodlight.openflow.protocol.match.Match match) {
        if (a instanceof OFActionOutput o) {
            return new Action.Output(Integer.toUnsignedLong(o.getPort().getPortNumber()), o.getMaxLen());
        } else if (a instanceof OFActionStripVlan) {
            return new Action.PopVlan();
        } else if (a instanceof OFActionSetDlSrc s) {
            return new Action.SetField(io.flowkeeper.api.flow.MatchField.ETH_SRC, s.getDlAddr().getLong());
        } else if (a instanceof OFActionSetDlDst s) {
            return new Action.SetField(io.flowkeeper.api.flow.MatchField.ETH_DST, s.getDlAddr().getLong());
        } else if (a instanceof OFActionSetNwSrc s) {
            return new Action.SetField(io.flowkeeper.api.flow.MatchField.IPV4_SRC,
                    Integer.toUnsignedLong(s.getNwAddr().getInt()));
        } else if (a instanceof OFActionSetNwDst s) {
            return new Action.SetField(io.flowkeeper.api.flow.MatchField.IPV4_DST,
                    Integer.toUnsignedLong(s.getNwAddr().getInt()));
        } else if (a instanceof OFActionSetTpSrc s) {
            return new Action.SetField(udp(match) ? io.flowkeeper.api.flow.MatchField.UDP_SRC
                    : io.flowkeeper.api.flow.MatchField.TCP_SRC, s.getTpPort().getPort());
        } else if (a instanceof OFActionSetTpDst s) {
            return new Action.SetField(udp(match) ? io.flowkeeper.api.flow.MatchField.UDP_DST
                    : io.flowkeeper.api.flow.MatchField.TCP_DST, s.getTpPort().getPort());
        }
        throw new IllegalArgumentException("action " + a.getType() + " not supported by Flowkeeper");
    }

    /** 1.0 has one transport-port action for TCP and UDP: the flow's nw_proto says which it was. */
    private static boolean udp(org.projectfloodlight.openflow.protocol.match.Match match) {
        IpProtocol p = match.get(MatchField.IP_PROTO);
        return p != null && p.equals(IpProtocol.UDP);
    }
}
