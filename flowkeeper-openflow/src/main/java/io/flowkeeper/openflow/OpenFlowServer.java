package io.flowkeeper.openflow;

import io.flowkeeper.api.flow.Action;
import io.flowkeeper.api.switches.PacketProcessor;
import io.flowkeeper.api.switches.PacketService;
import io.flowkeeper.api.switches.Switch;
import io.flowkeeper.api.switches.SwitchException;
import io.flowkeeper.api.switches.SwitchListener;
import io.flowkeeper.api.switches.SwitchService;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listens for switches on one configured address (TCP, or TLS when configured) and runs each connection through
 * the pipeline below; the OpenFlow implementation of the neutral {@link SwitchService} and {@link PacketService}.
 * Pipeline stage names are constants so tests and tools can find them. Listeners and packet processors are called
 * on Netty's event-loop threads.
 */
public final class OpenFlowServer implements SwitchService, PacketService, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OpenFlowServer.class);

    /** On a TLS port, first: a plain-text client gets an OpenFlow error saying TLS is required, then is closed. */
    public static final String PLAIN_TEXT_CHECK = "plainTextCheck";
    /** TLS (switch certificates required), when configured. */
    public static final String TLS = "tls";
    /** Frames by OpenFlow header length, parses with Loxi; garbage closes the connection. */
    public static final String FRAME_DECODER = "ofFrameDecoder";
    /** Writes Loxi messages; pre-encoded batches (ByteBufs) pass through untouched. */
    public static final String ENCODER = "ofEncoder";
    /** Counts messages sent, above the encoder: sees Loxi messages and pre-encoded batches alike. */
    public static final String OUT_COUNTER = "ofOutCounter";
    /** Fires an idle event after {@code echoInterval} without reads: we then send an echo request. */
    public static final String ECHO_TIMER = "echoTimer";
    /** Closes the connection after {@code deadPeerTimeout} without reads (a dead switch or network). */
    public static final String READ_TIMEOUT = "readTimeout";
    /** Handshake states, then hand-over to the SwitchConnection. */
    public static final String HANDLER = "switchHandler";

    private final OpenFlowConfig config;
    private final SwitchEvents events = new SwitchEvents();
    private final OFFrameDecoder.Counters counters = new OFFrameDecoder.Counters();
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private final List<Channel> serverChannels = new ArrayList<>();
    private boolean closed;

    public OpenFlowServer(OpenFlowConfig config) {
        this.config = config;
    }

    /** A server whose first listener is {@code listener} (it hears every switch, from the first). */
    public OpenFlowServer(OpenFlowConfig config, SwitchListener listener) {
        this(config);
        addListener(listener);
    }

    @Override
    public Collection<Switch> switches() {
        return events.switches();
    }

    @Override
    public Optional<Switch> getSwitch(long dpid) {
        return events.get(dpid).map(Switch.class::cast);
    }

    @Override
    public void addListener(SwitchListener listener) {
        events.addListener(listener);
    }

    @Override
    public void removeListener(SwitchListener listener) {
        events.removeListener(listener);
    }

    @Override
    public void addProcessor(PacketProcessor processor, int priority) {
        events.addProcessor(processor, priority);
    }

    @Override
    public void removeProcessor(PacketProcessor processor) {
        events.removeProcessor(processor);
    }

    @Override
    public void packetOut(long dpid, long inPort, List<Action> actions, byte[] data) {
        events.get(dpid).orElseThrow(() -> new SwitchException("switch " + String.format("%016x", dpid)
                + " is not connected to this node")).packetOut(inPort, actions, data);
    }

    /**
     * Binds every configured address and starts accepting switches; returns the bound port. If one address cannot
     * be bound, the ones already bound are released and the error is thrown.
     */
    public int start() throws InterruptedException {
        SslContext ssl = sslContext();
        boss = new NioEventLoopGroup(1);
        workers = new NioEventLoopGroup(2);
        ServerBootstrap b = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                // The kernel's send buffer is queue too (autotuned up to megabytes): cap it like ours, so the
                // bytes ahead of an echo, and thus its delay behind a large push, stay bounded.
                .childOption(ChannelOption.SO_SNDBUF, Math.max(64 << 10, config.writeHighWaterMark()))
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(config.writeHighWaterMark() / 4, config.writeHighWaterMark()))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (ssl != null) {
                            ch.pipeline().addLast(PLAIN_TEXT_CHECK, new PlainTextOnTlsPort(counters.plainText));
                            ch.pipeline().addLast(TLS, ssl.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(FRAME_DECODER, new OFFrameDecoder(counters));
                        ch.pipeline().addLast(ENCODER, new OFMessageEncoder());
                        ch.pipeline().addLast(OUT_COUNTER, new OutboundCounter(counters.messagesOut));
                        ch.pipeline().addLast(ECHO_TIMER, new IdleStateHandler(config.echoInterval().toMillis(), 0, 0,
                                TimeUnit.MILLISECONDS));
                        ch.pipeline().addLast(READ_TIMEOUT, new ReadTimeoutHandler(
                                config.deadPeerTimeout().toMillis(), TimeUnit.MILLISECONDS));
                        ch.pipeline().addLast(HANDLER, new SwitchChannelHandler(config, events));
                    }
                });
        int port = config.port();
        try {
            for (String address : config.bindAddresses()) {
                Channel ch = b.bind(new InetSocketAddress(address, port)).sync().channel();
                serverChannels.add(ch);
                port = ((InetSocketAddress) ch.localAddress()).getPort(); // a picked port is then shared by the rest
                LOG.info("OpenFlow listening on {}:{} ({})", address, port, ssl == null ? "tcp" : "tls");
            }
        } catch (Exception e) {
            close();
            throw e;
        }
        return port;
    }

    private SslContext sslContext() {
        if (config.tls() == null) {
            return null;
        }
        try {
            return SslContextBuilder.forServer(config.tls().certificateChain().toFile(),
                    config.tls().privateKey().toFile()).trustManager(config.tls().trustedCa().toFile())
                    .clientAuth(ClientAuth.REQUIRE).build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalStateException("cannot load TLS material: " + e.getMessage(), e);
        }
    }

    /** Frames that Loxi could not parse and were skipped, over all connections. */
    public long unparsedMessages() {
        return counters.unparsed.sum();
    }

    /** Plain-text connections closed on a TLS port. */
    public long plainTextConnections() {
        return counters.plainText.sum();
    }

    /**
     * Connections closed at the handshake for the dpid they claimed: held by another connection ({@link DpidClaim})
     * or not bound by their certificate.
     */
    public long refusedClaims() {
        return events.refusedClaims();
    }

    /** OpenFlow messages received from switches, over all connections since start. */
    public long messagesIn() {
        return counters.messagesIn.sum();
    }

    /** OpenFlow messages sent to switches, over all connections since start. */
    public long messagesOut() {
        return counters.messagesOut.sum();
    }

    /** Connections closed because they did not speak OpenFlow. */
    public long garbageConnections() {
        return counters.garbageConnections.sum();
    }

    /** Stops listening and closes every connection. Safe to call twice. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Channel ch : serverChannels) {
            ch.close().syncUninterruptibly();
        }
        if (workers != null) {
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
