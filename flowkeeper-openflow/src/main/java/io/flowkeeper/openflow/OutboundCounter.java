package io.flowkeeper.openflow;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import java.util.concurrent.atomic.LongAdder;
import org.projectfloodlight.openflow.protocol.OFMessage;

/**
 * Counts the OpenFlow messages a connection sends. It sits above the encoder, so it sees both Loxi messages (one
 * each) and the buffers that batches and bundles encode themselves, whose messages it counts by walking their
 * 8-byte headers (every OpenFlow message starts with its length): no message is decoded again.
 */
final class OutboundCounter extends ChannelOutboundHandlerAdapter {
    private final LongAdder sent;

    OutboundCounter(LongAdder sent) {
        this.sent = sent;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof OFMessage) {
            sent.increment();
        } else if (msg instanceof ByteBuf buf) {
            sent.add(count(buf));
        }
        super.write(ctx, msg, promise);
    }

    /** Messages in a buffer of whole OpenFlow messages (a malformed tail counts as one and stops the walk). */
    static int count(ByteBuf buf) {
        int n = 0;
        int at = buf.readerIndex();
        int end = buf.writerIndex();
        while (end - at >= 8) {
            int length = buf.getUnsignedShort(at + 2);
            n++;
            if (length < 8) {
                break;
            }
            at += length;
        }
        return n;
    }
}
