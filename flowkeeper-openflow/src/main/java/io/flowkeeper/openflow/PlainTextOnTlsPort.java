package io.flowkeeper.openflow;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslHandler;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.projectfloodlight.openflow.protocol.OFFactories;
import org.projectfloodlight.openflow.protocol.OFHelloFailedCode;
import org.projectfloodlight.openflow.protocol.OFVersion;
import org.projectfloodlight.openflow.types.OFErrorCauseData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First on a TLS port, before the TLS handler: looks at the first bytes a client sends. A TLS record goes on to the
 * TLS handler (this one steps aside). Anything else is a plain-text client: an OpenFlow HELLO gets one OpenFlow
 * error (HELLO_FAILED, EPERM, "TLS required...") so the switch's log says why, everything else nothing; then the
 * connection is closed. Nothing of the controller's own (its HELLO waits in the TLS handler until a handshake
 * completes) ever reaches a plain-text client.
 */
final class PlainTextOnTlsPort extends ByteToMessageDecoder {
    private static final Logger LOG = LoggerFactory.getLogger(PlainTextOnTlsPort.class);
    static final String WHY = "TLS required: this controller accepts switches over TLS only (use an ssl: target"
            + " and ovs-vsctl set-ssl)";
    /** TLS record header (5 bytes) or OpenFlow header (8): enough to tell them apart. */
    private static final int PEEK = 5;

    private final LongAdder refused;

    PlainTextOnTlsPort(LongAdder refused) {
        this.refused = refused;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.readableBytes() < PEEK) {
            return;
        }
        if (SslHandler.isEncrypted(in, false)) {
            ctx.pipeline().remove(this); // the buffered bytes go on to the TLS handler
            return;
        }
        refused.increment();
        LOG.warn("closing {}: plain text on the TLS OpenFlow port (a switch without an ssl: target, or not a switch)",
                ctx.channel().remoteAddress());
        OFVersion version = versionOf(in.getByte(in.readerIndex()));
        boolean hello = in.getByte(in.readerIndex() + 1) == 0; // OFPT_HELLO is type 0 in every version
        in.skipBytes(in.readableBytes());
        if (version == null || !hello) {
            ctx.close();
            return;
        }
        // Encoded here: this handler sits before the encoder, so what it writes goes straight to the socket.
        ByteBuf error = ctx.alloc().buffer();
        OFFactories.getFactory(version).errorMsgs().buildHelloFailedErrorMsg()
                .setCode(OFHelloFailedCode.EPERM)
                .setData(OFErrorCauseData.of(WHY.getBytes(StandardCharsets.US_ASCII), version)).build()
                .writeTo(error);
        ctx.writeAndFlush(error).addListener(ChannelFutureListener.CLOSE);
    }

    private static OFVersion versionOf(byte wire) {
        for (OFVersion v : OFVersion.values()) {
            if (v.getWireVersion() == wire) {
                return v;
            }
        }
        return null;
    }
}
