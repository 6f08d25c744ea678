package io.flowkeeper.openflow;

import io.flowkeeper.api.flow.Action;
import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.FlowFlag;
import io.flowkeeper.api.flow.Instructions;
import io.flowkeeper.api.flow.Match;
import io.flowkeeper.api.flow.MatchField;
import io.flowkeeper.api.flow.MatchValue;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import io.flowkeeper.openflow.wire.NiciraWire;
import org.projectfloodlight.openflow.protocol.OFFactory;
import org.projectfloodlight.openflow.protocol.OFMatchV3;
import org.projectfloodlight.openflow.protocol.OFOxmList;
import org.projectfloodlight.openflow.protocol.OFFlowMod;
import org.projectfloodlight.openflow.protocol.OFFlowModFlags;
import org.projectfloodlight.openflow.protocol.OFVersion;
import org.projectfloodlight.openflow.protocol.action.OFAction;
import org.projectfloodlight.openflow.protocol.instruction.OFInstruction;
import org.projectfloodlight.openflow.protocol.oxm.OFOxm;
import org.projectfloodlight.openflow.types.ArpOpcode;
import org.projectfloodlight.openflow.types.EthType;
import org.projectfloodlight.openflow.types.ICMPv4Code;
import org.projectfloodlight.openflow.types.ICMPv4Type;
import org.projectfloodlight.openflow.types.IPv4Address;
import org.projectfloodlight.openflow.types.IpProtocol;
import org.projectfloodlight.openflow.types.MacAddress;
import org.projectfloodlight.openflow.types.OFBufferId;
import org.projectfloodlight.openflow.types.OFGroup;
import org.projectfloodlight.openflow.types.OFMetadata;
import org.projectfloodlight.openflow.types.OFPort;
import org.projectfloodlight.openflow.types.OFValueType;
import org.projectfloodlight.openflow.types.OFVlanVidMatch;
import org.projectfloodlight.openflow.types.TableId;
import org.projectfloodlight.openflow.types.TransportPort;
import org.projectfloodlight.openflow.types.U64;

/**
 * The one translation from the neutral {@link Flow} model to Loxi messages. Nothing outside this module sees a
 * Loxi type; nothing here decides what a flow should be. The way back (dumps, snapshots) is read straight from the
 * wire by {@code local.WireFlows}, which is faster than Loxi's object tree.
 */
final class LoxiFlows {
    private LoxiFlows() {
    }

    /** Which kind of FLOW_MOD to build. */
    enum Command { ADD, MODIFY_STRICT, DELETE_STRICT, DELETE_BY_COOKIE }

    /** A FLOW_MOD in the factory's version; for OpenFlow 1.0, see {@link LoxiFlows10} (it may refuse the flow). */
    static OFFlowMod flowMod(OFFactory f, Flow flow, Command command, long xid) {
        if (f.getVersion() == OFVersion.OF_10) {
            return LoxiFlows10.flowMod(f, flow, command, xid);
        }
        if (command == Command.DELETE_BY_COOKIE) {
            return f.buildFlowDelete().setXid(xid).setTableId(TableId.of(flow.tableId()))
                    .setMatch(f.buildMatch().build()).setCookie(U64.of(flow.cookie())).setCookieMask(U64.of(-1L))
                    .setBufferId(OFBufferId.NO_BUFFER).setOutPort(OFPort.ANY).setOutGroup(OFGroup.ANY).build();
        }
        OFFlowMod.Builder b = strict(f, flow, command, xid, match(f, flow.match()))
                .setTableId(TableId.of(flow.tableId()))
                .setOutGroup(OFGroup.ANY)
                .setFlags(flags(flow.flags()));
        if (command != Command.DELETE_STRICT) {
            b.setInstructions(instructions(f, flow.instructions()));
        }
        return b.build();
    }

    /**
     * What an ADD, MODIFY_STRICT or DELETE_STRICT has in every version: the flow's identity (priority, match),
     * cookie and timeouts; the caller adds what its version has (table, flags, instructions or actions).
     */
    static OFFlowMod.Builder strict(OFFactory f, Flow flow, Command command,
            long xid, org.projectfloodlight.openflow.protocol.match.Match match) {
        OFFlowMod.Builder b = switch (command) {
            case ADD -> f.buildFlowAdd();
            case MODIFY_STRICT -> f.buildFlowModifyStrict();
            case DELETE_STRICT -> f.buildFlowDeleteStrict();
            default -> throw new IllegalStateException(command.toString());
        };
        return b.setXid(xid)
                .setPriority(flow.priority())
                .setMatch(match)
                .setCookie(U64.of(flow.cookie()))
                .setIdleTimeout(flow.idleTimeout())
                .setHardTimeout(flow.hardTimeout())
                .setBufferId(OFBufferId.NO_BUFFER)
                .setOutPort(OFPort.ANY);
    }

    private static Set<OFFlowModFlags> flags(Set<FlowFlag> flags) {
        Set<OFFlowModFlags> out = EnumSet.noneOf(OFFlowModFlags.class);
        for (FlowFlag flag : flags) {
            out.add(switch (flag) {
                case SEND_FLOW_REM -> OFFlowModFlags.SEND_FLOW_REM;
                case CHECK_OVERLAP -> OFFlowModFlags.CHECK_OVERLAP;
                case RESET_COUNTS -> OFFlowModFlags.RESET_COUNTS;
                case NO_PACKET_COUNTS -> OFFlowModFlags.NO_PKT_COUNTS;
                case NO_BYTE_COUNTS -> OFFlowModFlags.NO_BYT_COUNTS;
            });
        }
        return out;
    }

    // ---- match ------------------------------------------------------------------------------------------

    static org.projectfloodlight.openflow.protocol.match.Match match(OFFactory f, Match match) {
        org.projectfloodlight.openflow.protocol.match.Match.Builder b = f.buildMatch();
        List<OFOxm<?>> nicira = new ArrayList<>(0);
        for (Map.Entry<MatchField, MatchValue> e : match.fields().entrySet()) {
            MatchValue v = e.getValue();
            if (NiciraWire.nxmField(e.getKey()) >= 0) {
                nicira.add(new RawNicira.Oxm(f.getVersion(), niciraKey(e.getKey()),
                        NiciraWire.matchEntry(e.getKey(), v.value(), v.mask())));
                continue;
            }
            switch (e.getKey()) {
                case IN_PORT -> b.setExact(org.projectfloodlight.openflow.protocol.match.MatchField.IN_PORT,
                        OFPort.ofInt((int) v.value()));
                case METADATA -> set(b, org.projectfloodlight.openflow.protocol.match.MatchField.METADATA,
                        OFMetadata.of(U64.of(v.value())), v.isMasked() ? OFMetadata.of(U64.of(v.mask())) : null);
                case ETH_SRC -> set(b, org.projectfloodlight.openflow.protocol.match.MatchField.ETH_SRC,
                        MacAddress.of(v.value()), v.isMasked() ? MacAddress.of(v.mask()) : null);
                case ETH_DST -> set(b, org.projectfloodlight.openflow.protocol.match.MatchField.ETH_DST,
                        MacAddress.of(v.value()), v.isMasked() ? MacAddress.of(v.mask()) : null);
                case ETH_TYPE -> b.setExact(org.projectfloodlight.openflow.protocol.match.MatchField.ETH_TYPE,
                        EthType.of((int) v.value()));
                case VLAN_VID -> b.setExact(org.projectfloodlight.openflow.protocol.match.MatchField.VLAN_VID,
                        OFVlanVidMatch.ofRawVid((short) v.value()));
                case IP_PROTO -> b.setExact(org.projectfloodlight.openflow.protocol.match.MatchField.IP_PROTO,
                        IpProtocol.of((short) v.value()));
                case IPV4_SRC -> set(b, org.projectfloodlight.openflow.protocol.match.MatchField.IPV4_SRC,
                        IPv4Address.of((int) v.value()), v.isMasked() ? IPv4Address.of((int) (long) v.mask()) : null);
                case IPV4_DST -> set(b, org.projectfloodlight.openflow.protocol.match.MatchField.IPV4_DST,
                        IPv4Address.of((int) v.value()), v.isMasked() ? IPv4Address.of((int) (long) v.mask()) : null);
                case TCP_SRC -> set(b, org.projectfloodlight.openflow.protocol.match.MatchField.TCP_SRC,
                        TransportPort.of((int) v.value()), v.isMasked() ? TransportPort.of((int) (long) v.mask()) : null);
                case TCP_DST -> set(b, org.projectfloodlight.openflow.protocol.match.MatchField.TCP_DST,
                        TransportPort.of((int) v.value()), v.isMasked() ? TransportPort.of((int) (long) v.mask()) : null);
                case UDP_SRC -> set(b, org.projectfloodlight.openflow.protocol.match.MatchField.UDP_SRC,
                        TransportPort.of((int) v.value()), v.isMasked() ? TransportPort.of((int) (long) v.mask()) : null);
                case UDP_DST -> set(b, org.projectfloodlight.openflow.protocol.match.MatchField.UDP_DST,
                        TransportPort.of((int) v.value()), v.isMasked() ? TransportPort.of((int) (long) v.mask()) : null);
                case ICMPV4_TYPE -> b.setExact(org.projectfloodlight.openflow.protocol.match.MatchField.ICMPV4_TYPE,
                        ICMPv4Type.of((short) v.value()));
                case ICMPV4_CODE -> b.setExact(org.projectfloodlight.openflow.protocol.match.MatchField.ICMPV4_CODE,
                        ICMPv4Code.of((short) v.value()));
                case ARP_OP -> b.setExact(org.projectfloodlight.openflow.protocol.match.MatchField.ARP_OP,
                        ArpOpcode.of((int) v.value()));
                case ARP_SPA -> set(b, org.projectfloodlight.openflow.protocol.match.MatchField.ARP_SPA,
                        IPv4Address.of((int) v.value()), v.isMasked() ? IPv4Address.of((int) (long) v.mask()) : null);
                case ARP_TPA -> set(b, org.projectfloodlight.openflow.protocol.match.MatchField.ARP_TPA,
                        IPv4Address.of((int) v.value()), v.isMasked() ? IPv4Address.of((int) (long) v.mask()) : null);
                case TUNNEL_ID -> set(b, org.projectfloodlight.openflow.protocol.match.MatchField.TUNNEL_ID,
                        U64.of(v.value()), v.isMasked() ? U64.of(v.mask()) : null);
                case ARP_SHA -> set(b, org.projectfloodlight.openflow.protocol.match.MatchField.ARP_SHA,
                        MacAddress.of(v.value()), v.isMasked() ? MacAddress.of(v.mask()) : null);
                case ARP_THA -> set(b, org.projectfloodlight.openflow.protocol.match.MatchField.ARP_THA,
                        MacAddress.of(v.value()), v.isMasked() ? MacAddress.of(v.mask()) : null);
                default -> throw new IllegalArgumentException("no OXM for " + e.getKey());
            }
        }
        org.projectfloodlight.openflow.protocol.match.Match built = b.build();
        if (nicira.isEmpty()) {
            return built;
        }
        List<OFOxm<?>> all = new ArrayList<>();
        ((OFMatchV3) built).getOxmList().forEach(all::add);
        all.addAll(nicira);
        return ((OFMatchV3) built).createBuilder().setOxmList(OFOxmList.ofList(all)).build();
    }

    /**
     * The Loxi field a Nicira entry is filed under in Loxi's OXM list (one entry per Loxi field): the connection
     * tracking fields under Loxi's own names for them, conj_id (which Loxi lacks) under ct_label, which Flowkeeper
     * never matches. Only the key is Loxi's; the bytes are {@link NiciraWire}'s.
     */
    private static org.projectfloodlight.openflow.protocol.match.MatchField<?> niciraKey(MatchField field) {
        return switch (field) {
            case CT_STATE -> org.projectfloodlight.openflow.protocol.match.MatchField.CONN_TRACKING_STATE;
            case CT_ZONE -> org.projectfloodlight.openflow.protocol.match.MatchField.CONN_TRACKING_ZONE;
            case CT_MARK -> org.projectfloodlight.openflow.protocol.match.MatchField.CONN_TRACKING_MARK;
            case CONJ_ID -> org.projectfloodlight.openflow.protocol.match.MatchField.CONN_TRACKING_LABEL;
            default -> throw new IllegalArgumentException(field + " is no Nicira field");
        };
    }

    private static <F extends OFValueType<F>> void set(org.projectfloodlight.openflow.protocol.match.Match.Builder b,
            org.projectfloodlight.openflow.protocol.match.MatchField<F> field, F value, F mask) {
        if (mask == null) {
            b.setExact(field, value);
        } else {
            b.setMasked(field, value, mask);
        }
    }

    // ---- instructions and actions -------------------------------------------------------------------------

    static List<OFInstruction> instructions(OFFactory f, Instructions ins) {
        List<OFInstruction> out = new ArrayList<>(3);
        if (!ins.applyActions().isEmpty()) {
            List<OFAction> actions = new ArrayList<>(ins.applyActions().size());
            for (Action a : ins.applyActions()) {
                actions.add(action(f, a));
            }
            out.add(f.instructions().applyActions(actions));
        }
        if (ins.writeMetadata() != null) {
            out.add(f.instructions().writeMetadata(U64.of(ins.writeMetadata()), U64.of(ins.metadataMask())));
        }
        if (ins.gotoTable() != null) {
            out.add(f.instructions().gotoTable(TableId.of(ins.gotoTable())));
        }
        return out;
    }

    static OFAction action(OFFactory f, Action a) {
        if (f.getVersion() == OFVersion.OF_10) {
            return LoxiFlows10.action(f, a);
        }
        if (NiciraWire.isNicira(a)) {
            return new RawNicira.Action(f.getVersion(), NiciraWire.action(a));
        }
        if (a instanceof Action.Output o) {
            return f.actions().output(OFPort.ofInt((int) o.port()), o.maxLength());
        } else if (a instanceof Action.SetField s) {
            return f.actions().setField(oxm(f, s.field(), s.value()));
        } else if (a instanceof Action.DecTtl) {
            return f.actions().decNwTtl();
        } else if (a instanceof Action.PushVlan p) {
            return f.actions().pushVlan(EthType.of(p.ethertype()));
        } else if (a instanceof Action.PopVlan) {
            return f.actions().popVlan();
        } else if (a instanceof Action.Group g) {
            return f.actions().group(OFGroup.of((int) g.groupId()));
        }
        throw new IllegalArgumentException("unsupported action " + a);
    }

    private static OFOxm<?> oxm(OFFactory f, MatchField field, long v) {
        return switch (field) {
            case METADATA -> f.oxms().metadata(OFMetadata.of(U64.of(v)));
            case ETH_SRC -> f.oxms().ethSrc(MacAddress.of(v));
            case ETH_DST -> f.oxms().ethDst(MacAddress.of(v));
            case VLAN_VID -> f.oxms().vlanVid(OFVlanVidMatch.ofRawVid((short) v));
            case IPV4_SRC -> f.oxms().ipv4Src(IPv4Address.of((int) v));
            case IPV4_DST -> f.oxms().ipv4Dst(IPv4Address.of((int) v));
            case TCP_SRC -> f.oxms().tcpSrc(TransportPort.of((int) v));
            case TCP_DST -> f.oxms().tcpDst(TransportPort.of((int) v));
            case UDP_SRC -> f.oxms().udpSrc(TransportPort.of((int) v));
            case UDP_DST -> f.oxms().udpDst(TransportPort.of((int) v));
            case ARP_OP -> f.oxms().arpOp(ArpOpcode.of((int) v));
            case ARP_SPA -> f.oxms().arpSpa(IPv4Address.of((int) v));
            case ARP_TPA -> f.oxms().arpTpa(IPv4Address.of((int) v));
            case TUNNEL_ID -> f.oxms().tunnelId(U64.of(v));
            case ARP_SHA -> f.oxms().arpSha(MacAddress.of(v));
            case ARP_THA -> f.oxms().arpTha(MacAddress.of(v));
            case ICMPV4_TYPE -> f.oxms().icmpv4Type(ICMPv4Type.of((short) v));
            default -> throw new IllegalArgumentException(field.ofctlName() + " cannot be set");
        };
    }
}
