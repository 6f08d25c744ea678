package io.flowkeeper.openflow;

import io.flowkeeper.api.security.PeerIdentity;
import io.flowkeeper.api.switches.SwitchFeatures;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.ReadTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.projectfloodlight.openflow.protocol.OFEchoRequest;
import org.projectfloodlight.openflow.protocol.OFFactories;
import org.projectfloodlight.openflow.protocol.OFFactory;
import org.projectfloodlight.openflow.protocol.OFFeaturesReply;
import org.projectfloodlight.openflow.protocol.OFHello;
import org.projectfloodlight.openflow.protocol.OFHelloElem;
import org.projectfloodlight.openflow.protocol.OFHelloElemVersionbitmap;
import org.projectfloodlight.openflow.protocol.OFMessage;
import org.projectfloodlight.openflow.protocol.OFPortDesc;
import org.projectfloodlight.openflow.protocol.OFPortDescStatsReply;
import org.projectfloodlight.openflow.protocol.OFStatsReplyFlags;
import org.projectfloodlight.openflow.protocol.OFType;
import org.projectfloodlight.openflow.protocol.OFVersion;
import org.projectfloodlight.openflow.types.U32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection handshake as explicit states (HELLO, FEATURES, PORT_DESC, ACTIVE), echo keepalive, and the hand
 * over to a {@link SwitchConnection} once ACTIVE. One instance per channel.
 */
final class SwitchChannelHandler extends SimpleChannelInboundHandler<Object> {
    private static final Logger LOG = LoggerFactory.getLogger(SwitchChannelHandler.class);
    private static final OFFactory OF14 = OFFactories.getFactory(OFVersion.OF_14);
    /**
     * We speak 1.0, 1.3 and 1.4 (bits 1, 4 and 5 of the HELLO version bitmap); 1.0 only when the switch speaks
     * neither later one (it has no roles and no bundles: see {@link LoxiFlows10} and the OpenFlow 1.0 section of
     * docs/operations.md).
     */
    private static final long OUR_VERSIONS = (1L << 1) | (1L << 4) | (1L << 5);

    private final OpenFlowConfig config;
    private final SwitchEvents events;
    private HandshakeState state = HandshakeState.WAIT_HELLO;
    /** This side ended the session (a timeout or an error): not the switch closing it. Event loop only. */
    private boolean closedHere;
    private OFFactory factory;
    private long dpid;
    private SwitchFeatures features;
    private final List<OFPortDesc> ports = new ArrayList<>();
    private SwitchConnection connection;
    /** Over TLS, with a certificate that binds {@link #dpid}. */
    private boolean certified;
    private ScheduledFuture<?> handshakeTimeout;

    SwitchChannelHandler(OpenFlowConfig config, SwitchEvents events) {
        this.config = config;
        this.events = events;
    }

    HandshakeState state() {
        return state;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        OFHelloElemVersionbitmap bitmap = OF14.buildHelloElemVersionbitmap()
                .setBitmaps(List.of(U32.of(OUR_VERSIONS))).build();
        ctx.writeAndFlush(OF14.buildHello().setXid(1).setElements(List.of(bitmap)).build());
        handshakeTimeout = ctx.executor().schedule(() -> {
            if (state != HandshakeState.ACTIVE && ctx.channel().isActive()) {
                LOG.warn("closing {}: no OpenFlow handshake within {} ms (stuck in {})",
                        ctx.channel().remoteAddress(), config.handshakeTimeout().toMillis(), state);
                ctx.close();
            }
        }, config.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof OFFrameDecoder.RawMonitorReply raw) {
            if (state == HandshakeState.ACTIVE) {
                connection.onMonitorReply(java.nio.ByteBuffer.wrap(raw.frame()));
            }
            return;
        }
        if (msg instanceof OFFrameDecoder.RawFlowStats raw) {
            if (state == HandshakeState.ACTIVE) {
                connection.onRawFlowStats(raw.frame());
            }
            return;
        }
        if (msg instanceof OFFrameDecoder.OnfRoleStatus status) {
            if (state == HandshakeState.ACTIVE) {
                connection.onOnfRoleStatus(status);
            }
            return;
        }
        OFMessage m = (OFMessage) msg;
        if (m.getType() == OFType.ECHO_REQUEST) {
            OFFactory f = OFFactories.getFactory(m.getVersion());
            ctx.writeAndFlush(f.buildEchoReply().setXid(m.getXid()).setData(((OFEchoRequest) m).getData()).build());
            return;
        }
        if (m.getType() == OFType.ECHO_REPLY) {
            // liveness is any read (the read timeout handler saw it); a session may be timing an echo of its own
            if (state == HandshakeState.ACTIVE) {
                connection.onMessage(m);
            }
            return;
        }
        switch (state) {
            case WAIT_HELLO -> onHello(ctx, m);
            case WAIT_FEATURES_REPLY -> onFeatures(ctx, m);
            case WAIT_PORT_DESC -> onPortDesc(ctx, m);
            case ACTIVE -> connection.onMessage(m);
            default -> { }
        }
    }

    private void onHello(ChannelHandlerContext ctx, OFMessage m) {
        if (m.getType() != OFType.HELLO) {
            LOG.warn("closing {}: expected HELLO, got {}", ctx.channel().remoteAddress(), m.getType());
            ctx.close();
            return;
        }
        OFVersion version = negotiate((OFHello) m);
        if (version == null) {
            LOG.warn("closing {}: no common OpenFlow version (we speak 1.0, 1.3 and 1.4, it offered {})",
                    ctx.channel().remoteAddress(), m.getVersion());
            // told in the peer's own version, so an old switch can read why
            ctx.writeAndFlush(OFFactories.getFactory(m.getVersion()).errorMsgs().buildHelloFailedErrorMsg()
                    .setXid(m.getXid())
                    .setCode(org.projectfloodlight.openflow.protocol.OFHelloFailedCode.INCOMPATIBLE).build())
                    .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
            return;
        }
        factory = OFFactories.getFactory(version);
        state = HandshakeState.WAIT_FEATURES_REPLY;
        ctx.writeAndFlush(factory.buildFeaturesRequest().setXid(2).build());
    }

    /** The highest of 1.0/1.3/1.4 both sides speak: from the version bitmap if the switch sent one. */
    private static OFVersion negotiate(OFHello hello) {
        long theirs = 0;
        // HELLO elements exist from 1.3 on; Loxi throws when asked for them in an older HELLO
        for (OFHelloElem e : hello.getVersion().compareTo(OFVersion.OF_13) >= 0 ? hello.getElements()
                : List.<OFHelloElem>of()) {
            if (e instanceof OFHelloElemVersionbitmap b && !b.getBitmaps().isEmpty()) {
                theirs = b.getBitmaps().get(0).getValue();
            }
        }
        if (theirs == 0) {
            int wire = hello.getVersion().getWireVersion();
            theirs = (1L << (Math.min(wire, 5) + 1)) - 1; // a peer without bitmap speaks every version up to its own
        }
        long common = theirs & OUR_VERSIONS;
        if ((common & (1L << 5)) != 0) {
            return OFVersion.OF_14;
        }
        if ((common & (1L << 4)) != 0) {
            return OFVersion.OF_13;
        }
        if ((common & (1L << 1)) != 0) {
            return OFVersion.OF_10;
        }
        return null;
    }

    private void onFeatures(ChannelHandlerContext ctx, OFMessage m) {
        if (m.getType() != OFType.FEATURES_REPLY) {
            return; // e.g. an experimenter message between HELLO and FEATURES: ignore
        }
        OFFeaturesReply reply = (OFFeaturesReply) m;
        dpid = reply.getDatapathId().getLong();
        SslHandler tls = ctx.pipeline().get(SslHandler.class);
        if (tls != null) {
            PeerIdentity id = identity(tls);
            if (!id.mayClaim(dpid)) {
                events.refused();
                LOG.warn("closing {}: claims dpid {} but its certificate is {}: a certificate binds the dpids its"
                        + " holder may claim", ctx.channel().remoteAddress(), String.format("%016x", dpid),
                        id.describe());
                ctx.close();
                return;
            }
            certified = true;
        }
        Set<String> capabilities = new TreeSet<>();
        reply.getCapabilities().forEach(c -> capabilities.add(c.name()));
        features = new SwitchFeatures(reply.getNTables(), reply.getNBuffers(), capabilities);
        if (factory.getVersion() == OFVersion.OF_10) {
            // 1.0 has no PORT_DESC request: the ports come in the FEATURES_REPLY
            ports.addAll(reply.getPorts());
            activate(ctx);
            return;
        }
        state = HandshakeState.WAIT_PORT_DESC;
        ctx.writeAndFlush(factory.buildPortDescStatsRequest().setXid(3).build());
    }

    private void onPortDesc(ChannelHandlerContext ctx, OFMessage m) {
        if (!(m instanceof OFPortDescStatsReply reply)) {
            return;
        }
        ports.addAll(reply.getEntries());
        if (reply.getFlags().contains(OFStatsReplyFlags.REPLY_MORE)) {
            return;
        }
        activate(ctx);
    }

    /** Hands the session to the listener; ACTIVE unless it is refused. */
    private void activate(ChannelHandlerContext ctx) {
        SwitchConnection candidate = new SwitchConnection(ctx.channel(), factory, dpid, features, ports, events);
        if (!events.connected(candidate, certified)) {
            ctx.close(); // refused (logged by SwitchEvents): it never becomes ACTIVE, nothing is sent to it
            return;
        }
        state = HandshakeState.ACTIVE;
        handshakeTimeout.cancel(false);
        connection = candidate;
        LOG.info("switch {} connected from {} (OpenFlow {}, {} ports{})", connection.dpidString(),
                ctx.channel().remoteAddress(), factory.getVersion(), ports.size(),
                certified ? ", certificate binds its dpid" : "");
    }

    /** What the switch's certificate says it is; nothing (no dpid) if the session has none. */
    private static PeerIdentity identity(SslHandler tls) {
        try {
            java.security.cert.Certificate[] chain = tls.engine().getSession().getPeerCertificates();
            return PeerIdentity.of((java.security.cert.X509Certificate) chain[0]);
        } catch (javax.net.ssl.SSLPeerUnverifiedException | RuntimeException e) {
            return new PeerIdentity(java.util.Optional.empty(), java.util.Optional.empty(), Set.of());
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent && factory != null) {
            ctx.writeAndFlush(factory.buildEchoRequest().setXid(4).setData(new byte[0]).build());
        } else {
            super.userEventTriggered(ctx, evt);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (connection != null) {
            connection.writabilityChanged();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        HandshakeState was = state;
        state = HandshakeState.CLOSED;
        if (handshakeTimeout != null) {
            handshakeTimeout.cancel(false);
        }
        if (connection != null) {
            connection.closed(!closedHere);
            if (was == HandshakeState.ACTIVE) {
                LOG.info("switch {} disconnected", connection.dpidString());
                events.disconnected(connection);
            }
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // a reset from the switch (an IOException) is the peer closing; a timeout or an error of ours is not
        closedHere |= !(cause instanceof java.io.IOException);
        if (cause instanceof ReadTimeoutException) {
            LOG.warn("closing {}: dead peer (nothing received for {} ms)", ctx.channel().remoteAddress(),
                    config.deadPeerTimeout().toMillis());
        } else {
            LOG.warn("closing {}: {}", ctx.channel().remoteAddress(), cause.toString());
        }
        ctx.close();
    }
}
