package io.flowkeeper.openflow.wire;

import java.nio.ByteBuffer;

/**
 * OpenFlow 1.4 messages the agent needs, built and read on the wire (big-endian, OpenFlow 1.4.1 spec). Every
 * builder returns a buffer ready to write (position 0).
 */
public final class OfWire {
    public static final byte VERSION = 0x05;
    public static final int HEADER = 8;

    public static final byte HELLO = 0;
    public static final byte ERROR = 1;
    public static final byte ECHO_REQUEST = 2;
    public static final byte ECHO_REPLY = 3;
    public static final byte FLOW_MOD = 14;
    public static final byte MULTIPART_REQUEST = 18;
    public static final byte MULTIPART_REPLY = 19;
    public static final byte BARRIER_REQUEST = 20;
    public static final byte BARRIER_REPLY = 21;
    public static final byte BUNDLE_CONTROL = 33;
    public static final byte BUNDLE_ADD_MESSAGE = 34;

    public static final short MP_AGGREGATE = 2;
    public static final short MP_FLOW_MONITOR = 16;
    public static final short MP_REPLY_MORE = 1;

    public static final short BUNDLE_OPEN = 0;
    public static final short BUNDLE_OPEN_REPLY = 1;
    public static final short BUNDLE_COMMIT = 4;
    public static final short BUNDLE_COMMIT_REPLY = 5;
    public static final short BUNDLE_DISCARD = 6;
    public static final short BUNDLE_DISCARD_REPLY = 7;
    /** ATOMIC | ORDERED: all or nothing, in order. Every BUNDLE_ADD must carry the same flags as the OPEN. */
    public static final short BUNDLE_FLAGS = 0x3;

    /** Flow monitor flags (OpenFlow 1.4 {@code ofp_flow_monitor_flags}). */
    public static final short FMF_INITIAL = 1;
    public static final short FMF_ADD = 2;
    public static final short FMF_REMOVED = 4;
    public static final short FMF_MODIFY = 8;
    public static final short FMF_INSTRUCTIONS = 16;

    public static final int ANY = 0xffffffff;
    public static final byte TABLE_ALL = (byte) 0xff;
    public static final byte FLOW_DELETE = 3;
    /** An empty OXM match: type 1 (OXM), length 4, padded to 8. */
    private static final byte[] MATCH_ANY = {0, 1, 0, 4, 0, 0, 0, 0};

    private OfWire() {
    }

    public static ByteBuffer header(byte type, int length, int xid) {
        ByteBuffer b = ByteBuffer.allocate(length);
        b.put(VERSION).put(type).putShort((short) length).putInt(xid);
        return b;
    }

    /** HELLO offering only OpenFlow 1.4 (version bitmap element). */
    public static ByteBuffer hello(int xid) {
        ByteBuffer b = header(HELLO, 16, xid);
        b.putShort((short) 1).putShort((short) 8).putInt(1 << VERSION);
        return b.flip();
    }

    public static ByteBuffer echoReply(ByteBuffer request) {
        ByteBuffer reply = ByteBuffer.allocate(request.remaining());
        reply.put(request.duplicate());
        reply.put(1, ECHO_REPLY);
        return reply.flip();
    }

    public static ByteBuffer barrier(int xid) {
        return header(BARRIER_REQUEST, HEADER, xid).flip();
    }

    private static ByteBuffer multipartRequest(short mpType, int bodyLength, int xid) {
        ByteBuffer b = header(MULTIPART_REQUEST, 16 + bodyLength, xid);
        b.putShort(mpType).putShort((short) 0).putInt(0);
        return b;
    }

    /** Aggregate statistics over every flow of every table (reply carries flow_count). */
    public static ByteBuffer aggregateRequest(int xid) {
        ByteBuffer b = multipartRequest(MP_AGGREGATE, 40, xid);
        b.put(TABLE_ALL).put(new byte[3]).putInt(ANY).putInt(ANY).putInt(0).putLong(0).putLong(0).put(MATCH_ANY);
        return b.flip();
    }

    /**
     * A flow monitor on every table and flow. OVS rejects a monitor whose flags are only INITIAL|INSTRUCTIONS
     * (it wants ADD, REMOVED or MODIFY too) and then never answers, hence callers time out their requests.
     */
    public static ByteBuffer flowMonitorRequest(int xid, int monitorId, short flags) {
        ByteBuffer b = multipartRequest(MP_FLOW_MONITOR, 24, xid);
        b.putInt(monitorId).putInt(ANY).putInt(ANY).putShort(flags).put(TABLE_ALL).put((byte) 0 /* ADD */)
                .put(MATCH_ANY);
        return b.flip();
    }

    public static ByteBuffer bundleControl(int xid, int bundleId, short type) {
        ByteBuffer b = header(BUNDLE_CONTROL, 16, xid);
        b.putInt(bundleId).putShort(type).putShort(BUNDLE_FLAGS);
        return b.flip();
    }

    /**
     * Wraps a stored message (a FLOW_MOD) into a BUNDLE_ADD_MESSAGE, into {@code out}. The inner message's xid is
     * rewritten to the outer one: OVS requires them equal.
     */
    public static void bundleAdd(ByteBuffer out, int xid, int bundleId, byte[] inner) {
        int length = 16 + inner.length;
        out.put(VERSION).put(BUNDLE_ADD_MESSAGE).putShort((short) length).putInt(xid);
        out.putInt(bundleId).putShort((short) 0).putShort(BUNDLE_FLAGS);
        int at = out.position();
        out.put(inner);
        out.putInt(at + 4, xid);
    }

    public static int bundleAddLength(byte[] inner) {
        return 16 + inner.length;
    }

    /** FLOW_MOD deleting every flow of every table (the first message of a restore bundle). */
    public static byte[] deleteAllFlows() {
        ByteBuffer b = header(FLOW_MOD, 56, 0);
        b.putLong(0).putLong(0).put(TABLE_ALL).put(FLOW_DELETE).putShort((short) 0).putShort((short) 0)
                .putShort((short) 0).putInt(ANY).putInt(ANY).putInt(ANY).putShort((short) 0).putShort((short) 0)
                .put(MATCH_ANY);
        return b.array();
    }

    public static int length(ByteBuffer message) {
        return Short.toUnsignedInt(message.getShort(message.position() + 2));
    }

    public static byte type(ByteBuffer message) {
        return message.get(message.position() + 1);
    }

    public static int xid(ByteBuffer message) {
        return message.getInt(message.position() + 4);
    }

    /** "type 17 code 3" plus OpenFlow's names for the common ones. */
    public static String describeError(ByteBuffer error) {
        int p = error.position();
        int type = Short.toUnsignedInt(error.getShort(p + 8));
        int code = Short.toUnsignedInt(error.getShort(p + 10));
        String name = switch (type) {
            case 0 -> "HELLO_FAILED";
            case 1 -> "BAD_REQUEST";
            case 2 -> "BAD_ACTION";
            case 3 -> "BAD_INSTRUCTION";
            case 4 -> "BAD_MATCH";
            case 5 -> "FLOW_MOD_FAILED";
            case 11 -> "ROLE_REQUEST_FAILED";
            case 17 -> "BUNDLE_FAILED";
            case 18 -> "FLOW_MONITOR_FAILED";
            default -> "type " + type;
        };
        return name + " code " + code;
    }
}
