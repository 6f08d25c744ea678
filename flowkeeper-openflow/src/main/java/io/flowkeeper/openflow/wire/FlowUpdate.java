package io.flowkeeper.openflow.wire;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * One flow monitor event ({@code ofp_flow_update_full}, or an abbreviated/paused/resumed marker), with the flow
 * kept as wire bytes: its match and instructions are copied, never parsed.
 */
public final class FlowUpdate {
    /** OpenFlow 1.4 {@code ofp_flow_update_event}. */
    public enum Event { INITIAL, ADDED, REMOVED, MODIFIED, ABBREV, PAUSED, RESUMED }

    private static final Event[] EVENTS = Event.values();

    private final Event event;
    private final byte tableId;
    private final short idleTimeout;
    private final short hardTimeout;
    private final short priority;
    private final long cookie;
    /** ofp_match including its padding. */
    private final byte[] match;
    private final byte[] instructions;

    private FlowUpdate(Event event, byte tableId, short idle, short hard, short priority, long cookie, byte[] match,
            byte[] instructions) {
        this.event = event;
        this.tableId = tableId;
        this.idleTimeout = idle;
        this.hardTimeout = hard;
        this.priority = priority;
        this.cookie = cookie;
        this.match = match;
        this.instructions = instructions;
    }

    /** Parses the update at the buffer's position (which is advanced past it); null if malformed. */
    static FlowUpdate parse(ByteBuffer body) {
        int start = body.position();
        if (body.remaining() < 4) {
            return null;
        }
        int length = Short.toUnsignedInt(body.getShort(start));
        int eventCode = Short.toUnsignedInt(body.getShort(start + 2));
        if (length < 8 || length > body.remaining() || eventCode >= EVENTS.length) {
            return null;
        }
        Event event = EVENTS[eventCode];
        body.position(start + length);
        if (event == Event.ABBREV || event == Event.PAUSED || event == Event.RESUMED) {
            return new FlowUpdate(event, (byte) 0, (short) 0, (short) 0, (short) 0, 0, null, null);
        }
        if (length < 32) {
            return null;
        }
        byte table = body.get(start + 4);
        short idle = body.getShort(start + 6);
        short hard = body.getShort(start + 8);
        short prio = body.getShort(start + 10);
        long cookie = body.getLong(start + 16);
        int matchLength = Short.toUnsignedInt(body.getShort(start + 26));
        int matchPadded = (matchLength + 7) / 8 * 8;
        if (24 + matchPadded > length) {
            return null;
        }
        byte[] match = new byte[matchPadded];
        body.get(start + 24, match);
        byte[] instructions = new byte[length - 24 - matchPadded];
        body.get(start + 24 + matchPadded, instructions);
        return new FlowUpdate(event, table, idle, hard, prio, cookie, match, instructions);
    }

    public Event event() {
        return event;
    }

    /** True for events that carry a flow (not ABBREV, PAUSED or RESUMED). */
    public boolean hasFlow() {
        return match != null;
    }

    public int tableId() {
        return Byte.toUnsignedInt(tableId);
    }

    public int priority() {
        return Short.toUnsignedInt(priority);
    }

    public long cookie() {
        return cookie;
    }

    /**
     * The flow's identity in its switch: table, priority and match (OpenFlow's definition of "the same flow"),
     * as bytes. OVS encodes a given match the same way every time, so equal flows give equal keys.
     */
    public byte[] identityKey() {
        byte[] key = new byte[3 + match.length];
        key[0] = tableId;
        key[1] = (byte) (priority >> 8);
        key[2] = (byte) priority;
        System.arraycopy(match, 0, key, 3, match.length);
        return key;
    }

    /**
     * The flow as an OpenFlow 1.4 FLOW_MOD ADD that recreates it (xid 0; flags are not in monitor events, so
     * none are set).
     */
    public byte[] toFlowMod() {
        int length = 48 + match.length + instructions.length;
        ByteBuffer b = OfWire.header(OfWire.FLOW_MOD, length, 0);
        b.putLong(cookie).putLong(0).put(tableId).put((byte) 0 /* ADD */).putShort(idleTimeout)
                .putShort(hardTimeout).putShort(priority).putInt(OfWire.ANY).putInt(OfWire.ANY).putInt(OfWire.ANY)
                .putShort((short) 0).putShort((short) 0).put(match).put(instructions);
        return b.array();
    }

    /** The identity key of a stored FLOW_MOD (as {@link #toFlowMod()} writes it). */
    public static byte[] identityKeyOfFlowMod(byte[] flowMod) {
        ByteBuffer b = ByteBuffer.wrap(flowMod);
        int matchLength = Short.toUnsignedInt(b.getShort(50));
        int matchPadded = (matchLength + 7) / 8 * 8;
        byte[] key = new byte[3 + matchPadded];
        key[0] = flowMod[24];
        key[1] = flowMod[30];
        key[2] = flowMod[31];
        System.arraycopy(flowMod, 48, key, 3, matchPadded);
        return key;
    }

    @Override
    public String toString() {
        return hasFlow() ? event + " table=" + tableId() + " priority=" + priority() + " cookie=0x"
                + Long.toHexString(cookie) + " match=" + Arrays.toString(match) : event.toString();
    }
}
