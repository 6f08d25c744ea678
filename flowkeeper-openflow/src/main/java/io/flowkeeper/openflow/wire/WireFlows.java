package io.flowkeeper.openflow.wire;

import io.flowkeeper.api.flow.Action;
import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.FlowFlag;
import io.flowkeeper.api.flow.Instructions;
import io.flowkeeper.api.flow.Match;
import io.flowkeeper.api.flow.MatchField;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Reads flows straight from OpenFlow 1.3/1.4 wire bytes into the neutral model: flow statistics entries (dumps)
 * and stored FLOW_MODs (snapshots). Hand-written for speed: a 200,000-flow dump through Loxi's object tree costs
 * more than the switch takes to send it. Only the fields and actions of {@link MatchField} and {@link Action}
 * are understood; anything else is an {@link IllegalArgumentException} naming it.
 */
public final class WireFlows {
    static final int OXM_CLASS_BASIC = 0x8000;

    private WireFlows() {
    }

    /** Receives the entries of a flow statistics reply. */
    @FunctionalInterface
    public interface EntrySink {
        void accept(Flow flow, long packets, long bytes, long durationSeconds);

        /**
         * An entry whose match or instructions the model cannot express (a Nicira action someone added by hand,
         * ...): by default the dump fails naming it; a sink may instead note it and let the dump go on.
         */
        default void unreadable(int tableId, int priority, long cookie, String reason) {
            throw new IllegalArgumentException(reason);
        }
    }

    /** Every flow of one FLOW_STATS multipart reply (a whole frame). */
    public static List<Flow> flowStatsReply(ByteBuffer frame) {
        List<Flow> flows = new ArrayList<>();
        flowStatsReply(frame, (f, packets, bytes, seconds) -> flows.add(f));
        return flows;
    }

    /** Every entry of one FLOW_STATS multipart reply (a whole frame), with its counters. */
    public static void flowStatsReply(ByteBuffer frame, EntrySink sink) {
        int p = frame.position();
        int end = p + Short.toUnsignedInt(frame.getShort(p + 2));
        int at = p + 16;
        while (at + 48 <= end) {
            int length = Short.toUnsignedInt(frame.getShort(at));
            if (length < 56 || at + length > end) {
                throw new IllegalArgumentException("malformed flow statistics entry (length " + length + ")");
            }
            int table = Byte.toUnsignedInt(frame.get(at + 2));
            int priority = Short.toUnsignedInt(frame.getShort(at + 12));
            int idle = Short.toUnsignedInt(frame.getShort(at + 14));
            int hard = Short.toUnsignedInt(frame.getShort(at + 16));
            int flags = Short.toUnsignedInt(frame.getShort(at + 18));
            long cookie = frame.getLong(at + 24);
            int matchLength = Short.toUnsignedInt(frame.getShort(at + 50));
            int instructionsAt = at + 48 + (matchLength + 7) / 8 * 8;
            Flow flow;
            try {
                flow = new Flow(table, priority, match(frame, at + 48, matchLength),
                        instructions(frame, instructionsAt, at + length), cookie, idle, hard, flags(flags));
            } catch (IllegalArgumentException e) {
                sink.unreadable(table, priority, cookie, e.getMessage());
                at += length; // framed by its length: the next entry is still readable
                continue;
            }
            sink.accept(flow, frame.getLong(at + 32), frame.getLong(at + 40),
                    Integer.toUnsignedLong(frame.getInt(at + 4)));
            at += length;
        }
    }

    /** A stored OpenFlow 1.3/1.4 FLOW_MOD (as the agent's snapshot holds them) as a flow. */
    public static Flow flowMod(byte[] message) {
        ByteBuffer b = ByteBuffer.wrap(message);
        if (b.get(1) != OfWire.FLOW_MOD) {
            throw new IllegalArgumentException("not a FLOW_MOD (type " + b.get(1) + ")");
        }
        int matchLength = Short.toUnsignedInt(b.getShort(50));
        int instructionsAt = 48 + (matchLength + 7) / 8 * 8;
        return new Flow(Byte.toUnsignedInt(b.get(24)), Short.toUnsignedInt(b.getShort(30)),
                match(b, 48, matchLength), instructions(b, instructionsAt, message.length), b.getLong(8),
                Short.toUnsignedInt(b.getShort(26)), Short.toUnsignedInt(b.getShort(28)),
                flags(Short.toUnsignedInt(b.getShort(44))));
    }

    private static Set<FlowFlag> flags(int bits) {
        if (bits == 0) {
            return Set.of();
        }
        Set<FlowFlag> flags = EnumSet.noneOf(FlowFlag.class);
        FlowFlag[] order = {FlowFlag.SEND_FLOW_REM, FlowFlag.CHECK_OVERLAP, FlowFlag.RESET_COUNTS,
            FlowFlag.NO_PACKET_COUNTS, FlowFlag.NO_BYTE_COUNTS};
        for (int i = 0; i < order.length; i++) {
            if ((bits & (1 << i)) != 0) {
                flags.add(order[i]);
            }
        }
        return flags;
    }

    /** An {@code ofp_match} (type OXM) at {@code at}, {@code length} bytes without padding. */
    static Match match(ByteBuffer b, int at, int length) {
        if (Short.toUnsignedInt(b.getShort(at)) != 1) {
            throw new IllegalArgumentException("only OXM matches are supported");
        }
        Match.Builder m = Match.builder();
        int p = at + 4;
        int end = at + length;
        while (p + 4 <= end) {
            int oxmClass = Short.toUnsignedInt(b.getShort(p));
            int fieldAndMask = Byte.toUnsignedInt(b.get(p + 2));
            int len = Byte.toUnsignedInt(b.get(p + 3));
            boolean masked = (fieldAndMask & 1) != 0;
            MatchField field = oxmClass == OXM_CLASS_BASIC ? field(fieldAndMask >> 1)
                    : oxmClass == NiciraWire.NXM_CLASS ? NiciraWire.field(fieldAndMask >> 1) : null;
            if (field == null) {
                throw new IllegalArgumentException("match field not supported by Flowkeeper: class 0x"
                        + Integer.toHexString(oxmClass) + " field " + (fieldAndMask >> 1));
            }
            int size = masked ? len / 2 : len;
            long value = number(b, p + 4, size);
            if (masked) {
                m.masked(field, value, number(b, p + 4 + size, size));
            } else {
                m.exact(field, value);
            }
            p += 4 + len;
        }
        return m.build();
    }

    /** The OXM basic field number of a field, or -1 (a Nicira field, see {@link NiciraWire#nxmField}). */
    static int oxmId(MatchField f) {
        for (int id = 0; id < 64; id++) {
            if (field(id) == f) {
                return id;
            }
        }
        return -1;
    }

    static MatchField field(int id) {
        return switch (id) {
            case 0 -> MatchField.IN_PORT;
            case 2 -> MatchField.METADATA;
            case 3 -> MatchField.ETH_DST;
            case 4 -> MatchField.ETH_SRC;
            case 5 -> MatchField.ETH_TYPE;
            case 6 -> MatchField.VLAN_VID;
            case 10 -> MatchField.IP_PROTO;
            case 11 -> MatchField.IPV4_SRC;
            case 12 -> MatchField.IPV4_DST;
            case 13 -> MatchField.TCP_SRC;
            case 14 -> MatchField.TCP_DST;
            case 15 -> MatchField.UDP_SRC;
            case 16 -> MatchField.UDP_DST;
            case 19 -> MatchField.ICMPV4_TYPE;
            case 20 -> MatchField.ICMPV4_CODE;
            case 21 -> MatchField.ARP_OP;
            case 22 -> MatchField.ARP_SPA;
            case 23 -> MatchField.ARP_TPA;
            case 24 -> MatchField.ARP_SHA;
            case 25 -> MatchField.ARP_THA;
            case 38 -> MatchField.TUNNEL_ID;
            default -> null;
        };
    }

    private static long number(ByteBuffer b, int at, int size) {
        long v = 0;
        for (int i = 0; i < size; i++) {
            v = v << 8 | Byte.toUnsignedInt(b.get(at + i));
        }
        return v;
    }

    static Instructions instructions(ByteBuffer b, int at, int end) {
        List<Action> actions = new ArrayList<>();
        Long metadata = null;
        long mask = -1L;
        Integer gotoTable = null;
        int p = at;
        while (p + 4 <= end) {
            int type = Short.toUnsignedInt(b.getShort(p));
            int len = Short.toUnsignedInt(b.getShort(p + 2));
            if (len < 8 || p + len > end) {
                throw new IllegalArgumentException("malformed instruction (length " + len + ")");
            }
            switch (type) {
                case 1 -> gotoTable = Byte.toUnsignedInt(b.get(p + 4));
                case 2 -> {
                    metadata = b.getLong(p + 8);
                    mask = b.getLong(p + 16);
                }
                case 4 -> actions(b, p + 8, p + len, actions);
                default -> throw new IllegalArgumentException("instruction type " + type
                        + " not supported by Flowkeeper");
            }
            p += len;
        }
        return new Instructions(actions, metadata, mask, gotoTable);
    }

    private static void actions(ByteBuffer b, int at, int end, List<Action> out) {
        int p = at;
        while (p + 4 <= end) {
            int type = Short.toUnsignedInt(b.getShort(p));
            int len = Short.toUnsignedInt(b.getShort(p + 2));
            if (len < 8 || p + len > end) {
                throw new IllegalArgumentException("malformed action (length " + len + ")");
            }
            switch (type) {
                case 0 -> out.add(new Action.Output(Integer.toUnsignedLong(b.getInt(p + 4)),
                        Short.toUnsignedInt(b.getShort(p + 8))));
                case 17 -> out.add(new Action.PushVlan(Short.toUnsignedInt(b.getShort(p + 4))));
                case 18 -> out.add(new Action.PopVlan());
                case 22 -> out.add(new Action.Group(Integer.toUnsignedLong(b.getInt(p + 4))));
                case 24 -> out.add(new Action.DecTtl());
                case 25 -> {
                    int fieldId = Byte.toUnsignedInt(b.get(p + 6)) >> 1;
                    int size = Byte.toUnsignedInt(b.get(p + 7));
                    MatchField field = Short.toUnsignedInt(b.getShort(p + 4)) == OXM_CLASS_BASIC ? field(fieldId)
                            : null;
                    if (field == null) {
                        throw new IllegalArgumentException("set_field of field " + fieldId + " not supported");
                    }
                    out.add(new Action.SetField(field, number(b, p + 8, size)));
                }
                case NiciraWire.VENDOR_ACTION -> out.add(NiciraWire.readAction(b, p, len));
                default -> throw new IllegalArgumentException("action type " + type + " not supported by Flowkeeper");
            }
            p += len;
        }
    }
}
