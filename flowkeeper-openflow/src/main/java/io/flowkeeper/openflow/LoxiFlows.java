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
import org.projectfloodlight.openflow.protocol.OFFactory;
import org.projectfloodlight.openflow.protocol.OFFlowMod;
import org.projectfloodlight.openflow.protocol.OFFlowModFlags;
import org.projectfloodlight.openflow.protocol.OFFlowStatsEntry;
import org.projectfloodlight.openflow.protocol.action.OFAction;
import org.projectfloodlight.openflow.protocol.action.OFActionDecNwTtl;
import org.projectfloodlight.openflow.protocol.action.OFActionGroup;
import org.projectfloodlight.openflow.protocol.action.OFActionOutput;
import org.projectfloodlight.openflow.protocol.action.OFActionPopVlan;
import org.projectfloodlight.openflow.protocol.action.OFActionPushVlan;
import org.projectfloodlight.openflow.protocol.action.OFActionSetField;
import org.projectfloodlight.openflow.protocol.instruction.OFInstruction;
import org.projectfloodlight.openflow.protocol.instruction.OFInstructionApplyActions;
import org.projectfloodlight.openflow.protocol.instruction.OFInstructionGotoTable;
import org.projectfloodlight.openflow.protocol.instruction.OFInstructionWriteMetadata;
import org.projectfloodlight.openflow.protocol.oxm.OFOxm;
import org.projectfloodlight.openflow.types.ArpOpcode;
import org.projectfloodlight.openflow.types.EthType;
import org.projectfloodlight.openflow.types.ICMPv4Code;
import org.projectfloodlight.openflow.types.ICMPv4Type;
import org.projectfloodlight.openflow.types.IPv4Address;
import org.projectfloodlight.openflow.types.IpProtocol;
import org.projectfloodlight.openflow.types.MacAddress;
import org.projectfloodlight.openflow.types.Masked;
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
 * The one translation between the neutral {@link Flow} model and Loxi. Nothing outside this module sees a Loxi
 * type; nothing here decides what a flow should be.
 */
final class LoxiFlows {
    private LoxiFlows() {
    }

    /** Which kind of FLOW_MOD to build. */
    enum Command { ADD, MODIFY_STRICT, DELETE_STRICT, DELETE_BY_COOKIE }

    static OFFlowMod flowMod(OFFactory f, Flow flow, Command command, long xid) {
        if (command == Command.DELETE_BY_COOKIE) {
            return f.buildFlowDelete().setXid(xid).setTableId(TableId.of(flow.tableId()))
                    .setMatch(f.buildMatch().build()).setCookie(U64.of(flow.cookie())).setCookieMask(U64.of(-1L))
                    .setBufferId(OFBufferId.NO_BUFFER).setOutPort(OFPort.ANY).setOutGroup(OFGroup.ANY).build();
        }
        OFFlowMod.Builder b = switch (command) {
            case ADD -> f.buildFlowAdd();
            case MODIFY_STRICT -> f.buildFlowModifyStrict();
            case DELETE_STRICT -> f.buildFlowDeleteStrict();
            default -> throw new IllegalStateException(command.toString());
        };
        b.setXid(xid)
                .setTableId(TableId.of(flow.tableId()))
                .setPriority(flow.priority())
                .setMatch(match(f, flow.match()))
                .setCookie(U64.of(flow.cookie()))
                .setIdleTimeout(flow.idleTimeout())
                .setHardTimeout(flow.hardTimeout())
                .setBufferId(OFBufferId.NO_BUFFER)
                .setOutPort(OFPort.ANY)
                .setOutGroup(OFGroup.ANY)
                .setFlags(flags(flow.flags()));
        if (command != Command.DELETE_STRICT) {
            b.setInstructions(instructions(f, flow.instructions()));
        }
        return b.build();
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

    private static Set<FlowFlag> flags(Set<OFFlowModFlags> flags, boolean unused) {
        Set<FlowFlag> out = EnumSet.noneOf(FlowFlag.class);
        for (OFFlowModFlags flag : flags) {
            switch (flag) {
                case SEND_FLOW_REM -> out.add(FlowFlag.SEND_FLOW_REM);
                case CHECK_OVERLAP -> out.add(FlowFlag.CHECK_OVERLAP);
                case RESET_COUNTS -> out.add(FlowFlag.RESET_COUNTS);
                case NO_PKT_COUNTS -> out.add(FlowFlag.NO_PACKET_COUNTS);
                case NO_BYT_COUNTS -> out.add(FlowFlag.NO_BYTE_COUNTS);
                default -> { }
            }
        }
        return out;
    }

    // ---- match ------------------------------------------------------------------------------------------

    static org.projectfloodlight.openflow.protocol.match.Match match(OFFactory f, Match match) {
        org.projectfloodlight.openflow.protocol.match.Match.Builder b = f.buildMatch();
        for (Map.Entry<MatchField, MatchValue> e : match.fields().entrySet()) {
            MatchValue v = e.getValue();
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
                case TCP_SRC -> b.setExact(org.projectfloodlight.openflow.protocol.match.MatchField.TCP_SRC,
                        TransportPort.of((int) v.value()));
                case TCP_DST -> b.setExact(org.projectfloodlight.openflow.protocol.match.MatchField.TCP_DST,
                        TransportPort.of((int) v.value()));
                case UDP_SRC -> b.setExact(org.projectfloodlight.openflow.protocol.match.MatchField.UDP_SRC,
                        TransportPort.of((int) v.value()));
                case UDP_DST -> b.setExact(org.projectfloodlight.openflow.protocol.match.MatchField.UDP_DST,
                        TransportPort.of((int) v.value()));
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
            }
        }
        return b.build();
    }

    private static <F extends OFValueType<F>> void set(org.projectfloodlight.openflow.protocol.match.Match.Builder b,
            org.projectfloodlight.openflow.protocol.match.MatchField<F> field, F value, F mask) {
        if (mask == null) {
            b.setExact(field, value);
        } else {
            b.setMasked(field, value, mask);
        }
    }

    static Match match(org.projectfloodlight.openflow.protocol.match.Match m) {
        Match.Builder b = Match.builder();
        if (m instanceof org.projectfloodlight.openflow.protocol.OFMatchV3 v3) {
            // One pass over the OXM list: Loxi's per-field lookups scan the list each time, which a 200,000-flow
            // dump pays for several times per flow.
            for (OFOxm<?> oxm : v3.getOxmList()) {
                MatchField ours = ourField(oxm.getMatchField());
                if (ours == null) {
                    throw new IllegalArgumentException("match field not supported by Flowkeeper: "
                            + oxm.getMatchField().getName());
                }
                if (oxm.isMasked()) {
                    b.masked(ours, value(ours, oxm.getValue()), value(ours, oxm.getMask()));
                } else {
                    b.exact(ours, value(ours, oxm.getValue()));
                }
            }
            return b.build();
        }
        for (org.projectfloodlight.openflow.protocol.match.MatchField<?> field : m.getMatchFields()) {
            MatchField ours = ourField(field);
            if (ours == null) {
                throw new IllegalArgumentException("match field not supported by Flowkeeper: " + field.getName());
            }
            if (m.isExact(field)) {
                b.exact(ours, value(ours, m.get(field)));
            } else {
                @SuppressWarnings({"unchecked", "rawtypes"})
                Masked<?> masked = m.getMasked((org.projectfloodlight.openflow.protocol.match.MatchField) field);
                b.masked(ours, value(ours, masked.getValue()), value(ours, masked.getMask()));
            }
        }
        return b.build();
    }

    private static MatchField ourField(org.projectfloodlight.openflow.protocol.match.MatchField<?> field) {
        return switch (field.id) {
            case IN_PORT -> MatchField.IN_PORT;
            case METADATA -> MatchField.METADATA;
            case ETH_SRC -> MatchField.ETH_SRC;
            case ETH_DST -> MatchField.ETH_DST;
            case ETH_TYPE -> MatchField.ETH_TYPE;
            case VLAN_VID -> MatchField.VLAN_VID;
            case IP_PROTO -> MatchField.IP_PROTO;
            case IPV4_SRC -> MatchField.IPV4_SRC;
            case IPV4_DST -> MatchField.IPV4_DST;
            case TCP_SRC -> MatchField.TCP_SRC;
            case TCP_DST -> MatchField.TCP_DST;
            case UDP_SRC -> MatchField.UDP_SRC;
            case UDP_DST -> MatchField.UDP_DST;
            case ICMPV4_TYPE -> MatchField.ICMPV4_TYPE;
            case ICMPV4_CODE -> MatchField.ICMPV4_CODE;
            case ARP_OP -> MatchField.ARP_OP;
            case ARP_SPA -> MatchField.ARP_SPA;
            case ARP_TPA -> MatchField.ARP_TPA;
            case TUNNEL_ID -> MatchField.TUNNEL_ID;
            default -> null;
        };
    }

    /** A Loxi value as the unsigned number the neutral model holds. */
    private static long value(MatchField field, Object v) {
        if (v instanceof OFPort p) {
            return Integer.toUnsignedLong(p.getPortNumber());
        } else if (v instanceof OFMetadata md) {
            return md.getValue().getValue();
        } else if (v instanceof MacAddress mac) {
            return mac.getLong();
        } else if (v instanceof EthType t) {
            return t.getValue();
        } else if (v instanceof OFVlanVidMatch vid) {
            return Short.toUnsignedLong(vid.getRawVid());
        } else if (v instanceof IpProtocol p) {
            return p.getIpProtocolNumber();
        } else if (v instanceof IPv4Address ip) {
            return Integer.toUnsignedLong(ip.getInt());
        } else if (v instanceof TransportPort tp) {
            return tp.getPort();
        } else if (v instanceof ICMPv4Type t) {
            return t.getType();
        } else if (v instanceof ICMPv4Code c) {
            return c.getCode();
        } else if (v instanceof ArpOpcode op) {
            return op.getOpcode();
        } else if (v instanceof U64 u) {
            return u.getValue();
        }
        throw new IllegalArgumentException("value of " + field + " not supported: " + v);
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
            default -> throw new IllegalArgumentException(field.ofctlName() + " cannot be set");
        };
    }

    static Instructions instructions(List<OFInstruction> ins) {
        List<Action> actions = new ArrayList<>();
        Long metadata = null;
        long mask = -1L;
        Integer gotoTable = null;
        for (OFInstruction i : ins) {
            if (i instanceof OFInstructionApplyActions apply) {
                for (OFAction a : apply.getActions()) {
                    actions.add(action(a));
                }
            } else if (i instanceof OFInstructionWriteMetadata wm) {
                metadata = wm.getMetadata().getValue();
                mask = wm.getMetadataMask().getValue();
            } else if (i instanceof OFInstructionGotoTable g) {
                gotoTable = (int) g.getTableId().getValue();
            } else {
                throw new IllegalArgumentException("instruction not supported by Flowkeeper: " + i.getType());
            }
        }
        return new Instructions(actions, metadata, mask, gotoTable);
    }

    private static Action action(OFAction a) {
        if (a instanceof OFActionOutput o) {
            return new Action.Output(Integer.toUnsignedLong(o.getPort().getPortNumber()), o.getMaxLen());
        } else if (a instanceof OFActionSetField s) {
            OFOxm<?> oxm = s.getField();
            MatchField field = ourField(oxm.getMatchField());
            if (field == null) {
                throw new IllegalArgumentException("set_field of " + oxm.getMatchField().getName() + " not supported");
            }
            return new Action.SetField(field, value(field, oxm.getValue()));
        } else if (a instanceof OFActionDecNwTtl) {
            return new Action.DecTtl();
        } else if (a instanceof OFActionPushVlan p) {
            return new Action.PushVlan(p.getEthertype().getValue());
        } else if (a instanceof OFActionPopVlan) {
            return new Action.PopVlan();
        } else if (a instanceof OFActionGroup g) {
            return new Action.Group(Integer.toUnsignedLong(g.getGroup().getGroupNumber()));
        }
        throw new IllegalArgumentException("action not supported by Flowkeeper: " + a.getType());
    }

    /** A flow statistics entry (from a dump) as a neutral flow. */
    static Flow flow(OFFlowStatsEntry e) {
        return new Flow(e.getTableId().getValue(), e.getPriority(), match(e.getMatch()),
                instructions(e.getInstructions()), e.getCookie().getValue(), e.getIdleTimeout(), e.getHardTimeout(),
                flags(e.getFlags(), true));
    }
}
