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
 * Frames OpenFlow messages by their header length and parses each with Loxi. A frame Loxi cannot parse (OVS sends
 * some experimenter messages on 1.3 that Loxi rejects) is skipped and counted, never fatal; a stream that is not
 * OpenFlow at all (bad version byte, a length under 8) closes this connection only, with one log line.
 */
final class OFFrameDecoder extends ByteToMessageDecoder {
    private static final Logger LOG = LoggerFactory.getLogger(OFFrameDecoder.class);
    private static final OFMessageReader<OFMessage> READER = OFFactories.getGenericReader();

    /** Counters shared by every connection of one server. */
    static final class Counters {
        final LongAdder unparsed = new LongAdder();
        final LongAdder garbageConnections = new LongAdder();
    }

    /** A frame handed on unparsed, for the hand-written flow monitor. */
    record RawMonitorReply(byte[] frame) {
    }

    /** A flow statistics reply handed on undecoded. */
    record RawFlowStats(byte[] frame) {
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
