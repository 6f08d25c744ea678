package io.flowkeeper.openflow;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.projectfloodlight.openflow.protocol.OFFactories;
import org.projectfloodlight.openflow.protocol.OFMessage;
import org.projectfloodlight.openflow.protocol.OFMessageReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Frames OpenFlow messages by their header length and parses each with Loxi. A frame Loxi cannot parse is skipped
 * and counted, never fatal (OVS's 1.3 role status, which Loxi rejects, is read by hand instead); a stream that is not
 * OpenFlow at all (bad version byte, a length under 8) closes this connection only, with one log line. No frame
 * can be oversized: the header's length is 16 bits, so a connection buffers at most one 64 KB frame while it
 * arrives, and a peer that stops mid-frame is closed by the read or handshake timeout.
 */
final class OFFrameDecoder extends ByteToMessageDecoder {
    private static final Logger LOG = LoggerFactory.getLogger(OFFrameDecoder.class);
    private static final OFMessageReader<OFMessage> READER = OFFactories.getGenericReader();

    /** Counters shared by every connection of one server. */
    static final class Counters {
        final LongAdder unparsed = new LongAdder();
        final LongAdder garbageConnections = new LongAdder();
        /** Plain-text connections to a TLS port ({@link PlainTextOnTlsPort}). */
        final LongAdder plainText = new LongAdder();
        /** OpenFlow messages received, and sent (counted by {@link OutboundCounter}), for /metrics. */
        final LongAdder messagesIn = new LongAdder();
        final LongAdder messagesOut = new LongAdder();
    }

    /** A frame handed on unparsed, for the hand-written flow monitor. */
    record RawMonitorReply(byte[] frame) {
    }

    /** A flow statistics reply handed on undecoded. */
    record RawFlowStats(byte[] frame) {
    }

    /**
     * OVS's OpenFlow 1.3 ROLE_STATUS: the ONF extension (experimenter 0x4f4e4600, type 1911) carrying the 1.4 body.
     * Loxi throws on it, so it is read here by hand and tracked like a 1.4 ROLE_STATUS.
     */
    record OnfRoleStatus(int role, int reason, long generationId) {
        static final int ONF_EXPERIMENTER = 0x4f4e4600;
        static final int ROLE_STATUS = 1911;
    }

    private final Counters counters;

    OFFrameDecoder(Counters counters) {
        this.counters = counters;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.readableBytes() >= 8) {
            int start = in.readerIndex();
            int version = in.getUnsignedByte(start);
            int length = in.getUnsignedShort(start + 2);
            if (version < 1 || version > 6 || length < 8) {
                counters.garbageConnections.increment();
                LOG.warn("closing {}: not OpenFlow (version byte {}, length {})", ctx.channel().remoteAddress(),
                        version, length);
                in.skipBytes(in.readableBytes());
                ctx.close();
                return;
            }
            if (in.readableBytes() < length) {
                return;
            }
            counters.messagesIn.increment();
            if (version == 5 && in.getUnsignedByte(start + 1) == 19 && length >= 16
                    && in.getUnsignedShort(start + 8) == 16) {
                // An OpenFlow 1.4 flow monitor reply: Loxi cannot parse it, we read it by hand (FlowMonitorWire)
                byte[] raw = new byte[length];
                in.getBytes(start, raw);
                in.skipBytes(length);
                out.add(new RawMonitorReply(raw));
                continue;
            }
            if (version >= 4 && in.getUnsignedByte(start + 1) == 19 && length >= 16
                    && in.getUnsignedShort(start + 8) == 1) {
                // A FLOW_STATS reply: decoded by hand (WireFlows) on the thread that asked, not by Loxi here,
                // so the event loop only frames while a 200,000-flow dump is decoded beside it.
                byte[] raw = new byte[length];
                in.getBytes(start, raw);
                in.skipBytes(length);
                out.add(new RawFlowStats(raw));
                continue;
            }
            if (version == 4 && in.getUnsignedByte(start + 1) == 4 && length >= 32
                    && in.getInt(start + 8) == OnfRoleStatus.ONF_EXPERIMENTER
                    && in.getInt(start + 12) == OnfRoleStatus.ROLE_STATUS) {
                out.add(new OnfRoleStatus(in.getInt(start + 16), in.getUnsignedByte(start + 20),
                        in.getLong(start + 24)));
                in.skipBytes(length);
                continue;
            }
            ByteBuf frame = in.retainedSlice(start, length);
            in.skipBytes(length);
            try {
                OFMessage message = READER.readFrom(frame);
                if (message == null) {
                    counters.unparsed.increment();
                } else {
                    out.add(message);
                }
            } catch (Exception e) {
                counters.unparsed.increment();
                LOG.debug("skipped an OpenFlow message Loxi cannot parse (type {}): {}", in.getUnsignedByte(start + 1),
                        e.getMessage());
            } finally {
                frame.release();
            }
        }
    }
}
