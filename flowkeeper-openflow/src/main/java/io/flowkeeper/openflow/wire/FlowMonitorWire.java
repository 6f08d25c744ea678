package io.flowkeeper.openflow.wire;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The hand-written OpenFlow 1.4 flow monitor, for any transport: the controller's Netty connections use it as
 * well as the agent's management-socket session, so there is one encoder and one parser.
 */
public final class FlowMonitorWire {
    /** Every event kind, with instructions: OVS refuses INITIAL|INSTRUCTIONS alone. */
    public static final short ALL_EVENTS = (short) (OfWire.FMF_INITIAL | OfWire.FMF_ADD | OfWire.FMF_REMOVED
            | OfWire.FMF_MODIFY | OfWire.FMF_INSTRUCTIONS);

    private FlowMonitorWire() {
    }

    /** A monitor request on every table and flow. */
    public static ByteBuffer request(int xid, int monitorId) {
        return OfWire.flowMonitorRequest(xid, monitorId, ALL_EVENTS);
    }

    /** True if {@code message} (a whole OpenFlow frame) is an OpenFlow 1.4 flow monitor reply. */
    public static boolean isMonitorReply(ByteBuffer message) {
        int p = message.position();
        return message.remaining() >= 16 && message.get(p) == OfWire.VERSION
                && message.get(p + 1) == OfWire.MULTIPART_REPLY && message.getShort(p + 8) == OfWire.MP_FLOW_MONITOR;
    }

    /** True if more replies of the same request follow. */
    public static boolean hasMore(ByteBuffer message) {
        return (message.getShort(message.position() + 10) & OfWire.MP_REPLY_MORE) != 0;
    }

    public static int xid(ByteBuffer message) {
        return OfWire.xid(message);
    }

    /** The events of one reply, in order; stops at a malformed one. */
    public static List<FlowUpdate> updates(ByteBuffer message) {
        ByteBuffer body = message.duplicate().position(message.position() + 16);
        List<FlowUpdate> updates = new ArrayList<>();
        while (body.hasRemaining()) {
            FlowUpdate u = FlowUpdate.parse(body);
            if (u == null) {
                break;
            }
            updates.add(u);
        }
        return updates;
    }
}
