package io.flowkeeper.openflow.unix;

import io.flowkeeper.api.util.Threads;
import io.flowkeeper.openflow.wire.BundleWriter;
import io.flowkeeper.openflow.wire.FlowMonitorListener;
import io.flowkeeper.openflow.wire.FlowMonitorWire;
import io.flowkeeper.openflow.wire.FlowUpdate;
import io.flowkeeper.openflow.wire.OfWire;
import io.flowkeeper.api.flow.BundleResult;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.projectfloodlight.openflow.exceptions.OFParseError;
import org.projectfloodlight.openflow.protocol.OFConfigFlags;
import org.projectfloodlight.openflow.protocol.OFFactories;
import org.projectfloodlight.openflow.protocol.OFFactory;
import org.projectfloodlight.openflow.protocol.OFMessage;
import org.projectfloodlight.openflow.protocol.OFPacketIn;
import org.projectfloodlight.openflow.protocol.OFVersion;
import org.projectfloodlight.openflow.protocol.match.MatchField;
import org.projectfloodlight.openflow.types.OFBufferId;
import org.projectfloodlight.openflow.types.OFPort;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An OpenFlow 1.4 session on a bridge's management socket. Thread-safe: requests from any thread; one reader
 * thread answers echo requests, completes requests by xid and feeds the flow monitor's and packet-in listeners.
 * Flow monitor and bundles are the hand-written {@link OfWire}; packet-in, packet-out and SET_CONFIG go through
 * Loxi, as on the controller's connections.
 */
public final class UnixSwitchConnection implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(UnixSwitchConnection.class);

    /** OVS answers HELLO at once on a local socket; this only bounds a wedged switch. */
    static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(5);
    /** Ordinary requests (barrier, statistics, bundle open). */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /** Committing a 200,000-flow bundle takes about 2 s on 2 cores; leave room for a loaded machine. */
    static final Duration COMMIT_TIMEOUT = Duration.ofSeconds(120);
    private static final int READ_BUFFER = 1 << 20;
    private static final int WRITE_CHUNK = 256 << 10;

    private final String name;
    private final SocketChannel channel;
    private final Object writeLock = new Object();
    private final AtomicInteger xids = new AtomicInteger(1);
    private final Map<Integer, CompletableFuture<ByteBuffer>> pending = new ConcurrentHashMap<>();
    private final CompletableFuture<Void> helloReceived = new CompletableFuture<>();
    private final CompletableFuture<Throwable> closedFuture = new CompletableFuture<>();
    private final Thread reader;
    /** Errors for messages inside a bundle being built, by xid. */
    private final Map<Integer, String> bundleErrors = new ConcurrentHashMap<>();
    private final BundleWriter bundles = new BundleWriter(new BundleWriter.Transport() {
        @Override
        public int nextXid() {
            return xids.getAndIncrement();
        }

        @Override
        public void request(ByteBuffer message, Duration timeout) throws IOException {
            UnixSwitchConnection.this.request(message, timeout);
        }

        @Override
        public void write(ByteBuffer messages) throws IOException {
            UnixSwitchConnection.this.write(messages);
        }

        @Override
        public String takeError(int xid) {
            return bundleErrors.remove(xid);
        }

        @Override
        public boolean isOpen() {
            return UnixSwitchConnection.this.isOpen();
        }
    }, WRITE_CHUNK, REQUEST_TIMEOUT, COMMIT_TIMEOUT);
    private static final OFFactory OF14 = OFFactories.getFactory(OFVersion.OF_14);
    private static final byte PACKET_IN = 10;

    /** A packet the bridge sends up to this session (a flow's {@code controller} action). */
    @FunctionalInterface
    public interface PacketInListener {
        /**
         * Called on the reader thread: hand slow work to another thread.
         *
         * @param inPort the OpenFlow port the packet came in on
         * @param cookie the cookie of the flow that sent it up
         */
        void onPacketIn(int inPort, long cookie, byte[] frame);
    }

    private volatile PacketInListener packetInListener;
    private volatile FlowMonitorListener monitorListener;
    private volatile int monitorXid = -1;
    private volatile boolean initialDumpDone;
    private volatile boolean closing;

    private UnixSwitchConnection(SocketChannel channel, String name) {
        this.channel = channel;
        this.name = name;
        this.reader = Threads.daemon("of-unix-" + name).newThread(this::readLoop);
    }

    /**
     * Connects to {@code <rundir>/<bridge>.mgmt} and negotiates OpenFlow 1.4.
     *
     * @throws IOException when the socket is absent ({@code ovs-vswitchd} down) or the bridge does not allow 1.4
     */
    public static UnixSwitchConnection connect(Path managementSocket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(managementSocket));
        } catch (IOException e) {
            ch.close();
            throw new IOException("cannot connect to " + managementSocket + ": " + e.getMessage(), e);
        }
        String bridge = managementSocket.getFileName().toString().replaceFirst("\\.mgmt$", "");
        UnixSwitchConnection c = new UnixSwitchConnection(ch, bridge);
        c.reader.start();
        try {
            c.write(OfWire.hello(c.xids.getAndIncrement()));
            c.helloReceived.get(HANDSHAKE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            c.close();
            throw new IOException(bridge + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            c.close();
            throw new IOException(bridge + ": no OpenFlow HELLO within " + HANDSHAKE_TIMEOUT.toSeconds() + " s");
        } catch (InterruptedException e) {
            c.close();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return c;
    }

    // ---- reading ----------------------------------------------------------------------------------------

    private void readLoop() {
        ByteBuffer buf = ByteBuffer.allocate(READ_BUFFER);
        Throwable cause = null;
        try {
            while (true) {
                if (channel.read(buf) < 0) {
                    cause = new IOException(name + ": switch closed the connection");
                    break;
                }
                buf.flip();
                while (buf.remaining() >= OfWire.HEADER) {
                    int length = OfWire.length(buf);
                    if (length < OfWire.HEADER) {
                        throw new IOException(name + ": malformed OpenFlow frame (length " + length + ")");
                    }
                    if (buf.remaining() < length) {
                        break;
                    }
                    ByteBuffer message = buf.slice(buf.position(), length);
                    buf.position(buf.position() + length);
                    dispatch(message);
                }
                buf.compact();
            }
        } catch (IOException | RuntimeException e) {
            cause = e;
        } finally {
            Throwable reason = cause == null ? new IOException(name + ": closed") : cause;
            if (!closing) {
                LOG.debug("{}: session ended: {}", name, reason.getMessage());
            }
            helloReceived.completeExceptionally(reason);
            pending.values().forEach(f -> f.completeExceptionally(reason));
            pending.clear();
            closedFuture.complete(reason);
            FlowMonitorListener l = monitorListener;
            if (l != null && !closing) {
                l.onDisconnect(reason);
            }
        }
    }

    /** {@code message} is a view into the read buffer: copy what must outlive this call. */
    private void dispatch(ByteBuffer message) throws IOException {
        byte type = OfWire.type(message);
        int xid = OfWire.xid(message);
        switch (type) {
            case OfWire.HELLO -> {
                if (message.get(0) != OfWire.VERSION) {
                    helloReceived.completeExceptionally(new IOException("bridge does not speak OpenFlow 1.4 "
                            + "(it offered version 0x" + Integer.toHexString(message.get(0)) + "); add OpenFlow14 "
                            + "to the bridge's protocols"));
                } else {
                    helloReceived.complete(null);
                }
            }
            case OfWire.ECHO_REQUEST -> write(OfWire.echoReply(message));
            case OfWire.ERROR -> onError(xid, message);
            case OfWire.MULTIPART_REPLY -> onMultipart(xid, message);
            case PACKET_IN -> onPacketIn(message);
            default -> complete(xid, message);
        }
    }

    private void onError(int xid, ByteBuffer message) {
        String description = OfWire.describeError(message);
        if (!helloReceived.isDone() && message.getShort(8) == 0) {
            helloReceived.completeExceptionally(new IOException("OpenFlow version negotiation failed ("
                    + description + "): the bridge must allow OpenFlow14"));
            return;
        }
        CompletableFuture<ByteBuffer> f = pending.remove(xid);
        if (f != null) {
            f.completeExceptionally(new IOException(name + ": switch refused request: " + description));
        } else {
            bundleErrors.put(xid, description);
        }
    }

    private void onPacketIn(ByteBuffer message) {
        PacketInListener l = packetInListener;
        if (l == null) {
            return;
        }
        byte[] bytes = new byte[message.remaining()];
        message.duplicate().get(bytes);
        OFPacketIn packet;
        try {
            packet = (OFPacketIn) OFFactories.getGenericReader().readFrom(Unpooled.wrappedBuffer(bytes));
        } catch (OFParseError | ClassCastException e) {
            LOG.debug("{}: unreadable packet-in dropped: {}", name, e.getMessage());
            return;
        }
        OFPort in = packet.getMatch().get(MatchField.IN_PORT);
        if (in != null) {
            l.onPacketIn(in.getPortNumber(), packet.getCookie().getValue(), packet.getData());
        }
    }

    private void onMultipart(int xid, ByteBuffer message) {
        short mpType = message.getShort(8);
        boolean more = (message.getShort(10) & OfWire.MP_REPLY_MORE) != 0;
        if (mpType == OfWire.MP_FLOW_MONITOR) {
            List<FlowUpdate> updates = FlowMonitorWire.updates(message);
            boolean initialComplete = xid == monitorXid && !more && !initialDumpDone;
            FlowMonitorListener l = monitorListener;
            if (l != null) {
                l.onUpdates(updates, initialComplete);
            }
            if (initialComplete) {
                // only after the listener has every INITIAL event: startMonitor() returns on this
                initialDumpDone = true;
                complete(xid, message);
            }
            return;
        }
        complete(xid, message);
    }

    private void complete(int xid, ByteBuffer message) {
        CompletableFuture<ByteBuffer> f = pending.remove(xid);
        if (f != null) {
            ByteBuffer copy = ByteBuffer.allocate(message.remaining());
            copy.put(message.duplicate()).flip();
            f.complete(copy);
        }
    }

    // ---- writing ----------------------------------------------------------------------------------------

    private void write(ByteBuffer b) throws IOException {
        synchronized (writeLock) {
            while (b.hasRemaining()) {
                channel.write(b);
            }
        }
    }

    private ByteBuffer request(ByteBuffer message, Duration timeout) throws IOException {
        int xid = message.getInt(4);
        CompletableFuture<ByteBuffer> f = new CompletableFuture<>();
        pending.put(xid, f);
        write(message);
        return await(f, timeout, "reply to xid " + xid);
    }

    private ByteBuffer await(CompletableFuture<ByteBuffer> f, Duration timeout, String what) throws IOException {
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (TimeoutException e) {
            throw new IOException(name + ": no " + what + " within " + timeout.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Number of flows in all of the bridge's tables. */
    public long flowCount() throws IOException {
        ByteBuffer reply = request(OfWire.aggregateRequest(xids.getAndIncrement()), REQUEST_TIMEOUT);
        return Integer.toUnsignedLong(reply.getInt(16 + 16));
    }

    /** Waits until the switch has processed everything sent before. */
    public void barrier() throws IOException {
        request(OfWire.barrier(xids.getAndIncrement()), REQUEST_TIMEOUT);
    }

    /**
     * Installs stored FLOW_MODs in one atomic bundle ({@link BundleWriter}: the messages are copied, not parsed).
     *
     * @param replaceAll first delete every flow, so the table ends up exactly the given set
     * @param progress hears the number of messages sent so far, every few thousand
     */
    public BundleResult installBundle(Iterator<byte[]> flowMods, boolean replaceAll, BundleWriter.OnError onError,
            IntConsumer progress) throws IOException {
        if (!replaceAll) {
            return bundles.apply(flowMods, onError, null, progress);
        }
        // the leading delete-all is message 0 on the wire: report the caller's messages by their own index
        BundleResult r = bundles.apply(prepend(OfWire.deleteAllFlows(), flowMods), onError,
                i -> i == 0 ? "the delete-all that starts a restore" : null,
                progress == null ? null : sent -> progress.accept(Math.max(0, sent - 1)));
        List<BundleResult.Failure> failures = new ArrayList<>();
        for (BundleResult.Failure f : r.failures()) {
            failures.add(new BundleResult.Failure(f.index() - 1, f.error()));
        }
        return new BundleResult(r.messages() - 1, r.committed(), failures, r.elapsed());
    }

    /**
     * Sends stored FLOW_MODs into one bundle and leaves it open, to be committed later in one short message
     * ({@link BundleWriter#stage}): the switch holds them unapplied meanwhile. Only adds to the table.
     */
    public BundleWriter.Staged stageBundle(Iterator<byte[]> flowMods, IntConsumer progress) throws IOException {
        return bundles.stage(flowMods, null, progress);
    }

    private static Iterator<byte[]> prepend(byte[] first, Iterator<byte[]> rest) {
        return new Iterator<>() {
            boolean firstDone;

            @Override
            public boolean hasNext() {
                return !firstDone || rest.hasNext();
            }

            @Override
            public byte[] next() {
                if (!firstDone) {
                    firstDone = true;
                    return first;
                }
                return rest.next();
            }
        };
    }

    /**
     * Starts a flow monitor on every table: the listener first gets every flow (INITIAL events), then every
     * add, modify and delete by anyone. Returns once the initial dump is complete.
     */
    public void startMonitor(FlowMonitorListener listener, Duration initialDumpTimeout) throws IOException {
        if (monitorListener != null) {
            throw new IllegalStateException("a monitor is already running on this session");
        }
        monitorListener = listener;
        int xid = xids.getAndIncrement();
        monitorXid = xid;
        CompletableFuture<ByteBuffer> f = new CompletableFuture<>();
        pending.put(xid, f);
        write(FlowMonitorWire.request(xid, 1));
        await(f, initialDumpTimeout, "flow monitor initial dump");
    }

    /**
     * Has the bridge send this session its packet-ins from now on, to {@code listener}. OVS sends a management-socket
     * (service) session none until it sets a non-zero {@code miss_send_len}: this sets the largest, so whole packets
     * come up unbuffered. Every session that asked gets each packet-in, the controllers' too.
     */
    public void receivePacketIns(PacketInListener listener) throws IOException {
        packetInListener = listener;
        write(encode(OF14.buildSetConfig().setXid(xids.getAndIncrement())
                .setFlags(java.util.EnumSet.noneOf(OFConfigFlags.class)).setMissSendLen(0xffff).build()));
        barrier();
    }

    /** Sends {@code frame} out of OpenFlow port {@code outPort}, as from the controller. */
    public void packetOut(int outPort, byte[] frame) throws IOException {
        write(encode(OF14.buildPacketOut().setXid(xids.getAndIncrement()).setBufferId(OFBufferId.NO_BUFFER)
                .setInPort(OFPort.CONTROLLER).setActions(List.of(OF14.actions().output(OFPort.of(outPort), 0xffff)))
                .setData(frame).build()));
    }

    private static ByteBuffer encode(OFMessage m) {
        ByteBuf buf = Unpooled.buffer();
        m.writeTo(buf);
        byte[] out = new byte[buf.readableBytes()];
        buf.readBytes(out);
        return ByteBuffer.wrap(out);
    }

    /** Completes with the reason when the session ends. */
    public CompletableFuture<Throwable> closed() {
        return closedFuture;
    }

    public boolean isOpen() {
        return !closedFuture.isDone();
    }

    public String bridge() {
        return name;
    }

    @Override
    public void close() {
        closing = true;
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("{}: close: {}", name, e.getMessage());
        }
        try {
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
