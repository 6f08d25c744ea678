package io.flowkeeper.openflow;

import io.flowkeeper.api.switches.SwitchException;
import io.flowkeeper.openflow.wire.BundleWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import org.projectfloodlight.openflow.protocol.OFBadRequestCode;
import org.projectfloodlight.openflow.protocol.OFErrorMsg;
import org.projectfloodlight.openflow.protocol.OFFactory;
import org.projectfloodlight.openflow.protocol.OFMessage;
import org.projectfloodlight.openflow.protocol.OFRoleRequestFailedCode;
import org.projectfloodlight.openflow.protocol.OFStatsReply;
import org.projectfloodlight.openflow.protocol.OFStatsReplyFlags;
import org.projectfloodlight.openflow.protocol.errormsg.OFBadRequestErrorMsg;
import org.projectfloodlight.openflow.protocol.errormsg.OFRoleRequestFailedErrorMsg;

/**
 * The request/reply layer of one ACTIVE TCP session: transaction ids, replies matched to waiting callers,
 * multipart collection, errors of pipelined messages kept by xid, and the write path's flow control. The focused
 * parts of a {@link SwitchConnection} (programmer, statistics, monitor) are built on it.
 *
 * <p>Every blocking method may be called from any thread except Netty's event loop, which delivers the replies
 * they wait for; the {@code on*} methods run on the event loop.
 */
final class SwitchSession {
    /** Replies to a barrier or a statistics request; the switch answers in milliseconds unless overloaded. */
    static final Duration REPLY_TIMEOUT = Duration.ofSeconds(60);
    /**
     * Large pushes are encoded on the caller's thread into buffers of about this size, one channel write each: one
     * event-loop task per 64 KB instead of one per message keeps Netty's loop (one of two cores here) free.
     */
    static final int BATCH_BYTES = 64 << 10;

    private final Channel channel;
    private final OFFactory factory;
    private final String name;
    private final AtomicLong xids = new AtomicLong(0x10000);
    private final Map<Long, CompletableFuture<OFMessage>> pending = new ConcurrentHashMap<>();
    private final Map<Long, List<OFStatsReply>> multipart = new ConcurrentHashMap<>();
    /** Flow dumps in progress: their raw reply frames, by xid. */
    private final Map<Long, BlockingQueue<byte[]>> streams = new ConcurrentHashMap<>();
    /** Errors for messages of a batch or bundle in flight, by xid; drained by that operation. */
    private final Map<Long, OFErrorMsg> batchErrors = new ConcurrentHashMap<>();
    private final Object writability = new Object();

    SwitchSession(Channel channel, OFFactory factory, String name) {
        this.channel = channel;
        this.factory = factory;
        this.name = name;
    }

    OFFactory factory() {
        return factory;
    }

    /** The switch's name in messages: its dpid. */
    String name() {
        return name;
    }

    long nextXid() {
        return xids.getAndIncrement();
    }

    /** Reserves {@code count} consecutive xids and returns the first. */
    long reserveXids(int count) {
        return xids.getAndAdd(count);
    }

    boolean isActive() {
        return channel.isActive();
    }

    String remoteAddress() {
        return String.valueOf(channel.remoteAddress());
    }

    void close() {
        channel.close();
    }

    /** Bytes written and not yet handed to the socket. */
    long queuedBytes() {
        io.netty.channel.ChannelOutboundBuffer out = channel.unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }

    // ---- requests -----------------------------------------------------------------------------------------

    /** Sends {@code message} and waits for the reply with {@code xid}; the switch's refusal is thrown, typed. */
    OFMessage request(OFMessage message, long xid) {
        CompletableFuture<OFMessage> f = new CompletableFuture<>();
        pending.put(xid, f);
        send(message);
        return await(f, xid, message.getType().toString(), REPLY_TIMEOUT);
    }

    /** Sends every part of a multipart request and returns the replies once the last is in. */
    List<OFStatsReply> multipartRequest(OFMessage message, long xid) {
        multipart.put(xid, Collections.synchronizedList(new ArrayList<>()));
        try {
            request(message, xid);
            return multipart.remove(xid);
        } finally {
            multipart.remove(xid);
        }
    }

    /** Waits until the switch has processed everything sent before. */
    void barrier() {
        long xid = nextXid();
        request(factory.buildBarrierRequest().setXid(xid).build(), xid);
    }

    /** An ECHO_REQUEST's round trip, through everything queued ahead of it. */
    Duration echo() {
        long xid = nextXid();
        long t0 = System.nanoTime();
        request(factory.buildEchoRequest().setXid(xid).setData(new byte[0]).build(), xid);
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    /** Registers a waiter for {@code xid} before its request is sent by hand (a raw frame). */
    CompletableFuture<OFMessage> expect(long xid) {
        CompletableFuture<OFMessage> f = new CompletableFuture<>();
        pending.put(xid, f);
        return f;
    }

    void forget(long xid) {
        pending.remove(xid);
    }

    OFMessage await(CompletableFuture<OFMessage> f, long xid, String what, Duration timeout) {
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SwitchException se) {
                throw se;
            }
            throw new OpenFlowException(what + " to switch " + name + " failed: " + e.getCause().getMessage(),
                    e.getCause());
        } catch (TimeoutException e) {
            throw new OpenFlowException("switch " + name + " did not answer " + what + " within "
                    + timeout.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OpenFlowException("interrupted", e);
        } finally {
            pending.remove(xid);
        }
    }

    /** A dump in progress: its reply frames arrive on the returned queue (see {@link #onRawFlowStats}). */
    BlockingQueue<byte[]> openStream(long xid) {
        BlockingQueue<byte[]> parts = new java.util.concurrent.LinkedBlockingQueue<>();
        streams.put(xid, parts);
        return parts;
    }

    void closeStream(long xid) {
        streams.remove(xid);
    }

    /**
     * Throws if the switch refused any of the {@code count} pipelined messages from xid {@code first} (call after a
     * barrier), naming how many and the first.
     */
    void checkBatchErrors(long first, int count, IntFunction<String> describeItem) {
        if (batchErrors.isEmpty()) {
            return;
        }
        OFErrorMsg firstError = null;
        int firstIndex = -1;
        int refused = 0;
        for (int i = 0; i < count; i++) {
            OFErrorMsg e = batchErrors.remove(first + i);
            if (e != null) {
                refused++;
                if (firstError == null) {
                    firstError = e;
                    firstIndex = i;
                }
            }
        }
        if (firstError != null) {
            SwitchException typed = typed(firstError);
            String what = refused + " of " + count + " refused by switch " + name + "; first: #" + firstIndex
                    + " " + describeItem.apply(firstIndex) + ": " + describe(firstError);
            if (typed instanceof SwitchException.NotMaster) {
                throw new SwitchException.NotMaster(what);
            }
            throw new OpenFlowException(what);
        }
    }

    /** The switch's error for a pipelined message (call after a barrier), described, or null: it was accepted. */
    String takeError(long xid) {
        OFErrorMsg e = batchErrors.remove(xid);
        return e == null ? null : describe(e);
    }

    /** This session under the shared bundle algorithm. */
    BundleWriter bundleWriter() {
        return new BundleWriter(new BundleWriter.Transport() {
            @Override
            public int nextXid() {
                return (int) SwitchSession.this.nextXid();
            }

            @Override
            public void request(ByteBuffer message, Duration timeout) {
                long xid = Integer.toUnsignedLong(message.getInt(4));
                CompletableFuture<OFMessage> f = expect(xid);
                send(Unpooled.wrappedBuffer(message));
                await(f, xid, "bundle request", timeout);
            }

            @Override
            public void write(ByteBuffer messages) {
                ByteBuf copy = channel.alloc().buffer(messages.remaining());
                copy.writeBytes(messages);
                send(copy);
            }

            @Override
            public String takeError(int xid) {
                return SwitchSession.this.takeError(Integer.toUnsignedLong(xid));
            }

            @Override
            public boolean isOpen() {
                return channel.isActive();
            }
        }, BATCH_BYTES, REPLY_TIMEOUT, REPLY_TIMEOUT);
    }

    // ---- writing ------------------------------------------------------------------------------------------

    /** Messages encoded here into large buffers, each written once full and at {@link #finish} (BATCH_BYTES). */
    final class Batch {
        private ByteBuf buf = channel.alloc().buffer(BATCH_BYTES + 1024);

        void add(OFMessage m) {
            m.writeTo(buf);
            if (buf.readableBytes() >= BATCH_BYTES) {
                ByteBuf full = buf;
                buf = null;
                send(full);
                buf = channel.alloc().buffer(BATCH_BYTES + 1024);
            }
        }

        /** Writes what is left. */
        void finish() {
            ByteBuf last = buf;
            buf = null;
            if (last.isReadable()) {
                send(last);
            } else {
                last.release();
            }
        }

        /** Frees the buffer of a batch that failed before {@link #finish}; nothing of it is sent. */
        void release() {
            if (buf != null) {
                buf.release();
                buf = null;
            }
        }
    }

    /**
     * Writes one message (or an encoded batch), waiting first while the outbound buffer is above its high-water
     * mark: the bound that keeps memory flat and echoes from queuing behind more than that much of a push.
     */
    void send(Object m) {
        try {
            awaitWritable();
        } catch (RuntimeException e) {
            io.netty.util.ReferenceCountUtil.release(m);
            throw e;
        }
        channel.writeAndFlush(m, channel.voidPromise());
    }

    private void awaitWritable() {
        if (!channel.isWritable()) {
            channel.flush();
            synchronized (writability) {
                long deadline = System.nanoTime() + REPLY_TIMEOUT.toNanos();
                while (!channel.isWritable() && channel.isActive()) {
                    if (System.nanoTime() > deadline) {
                        throw new OpenFlowException("switch " + name + " stopped reading");
                    }
                    try {
                        writability.wait(10);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new OpenFlowException("interrupted", e);
                    }
                }
            }
        }
        if (!channel.isActive()) {
            throw new OpenFlowException("connection to switch " + name + " is closed");
        }
    }

    // ---- the event loop -----------------------------------------------------------------------------------

    void writabilityChanged() {
        synchronized (writability) {
            writability.notifyAll();
        }
    }

    /** An error: fails the waiting request, or is kept for the batch or bundle the message belonged to. */
    void onError(OFErrorMsg e) {
        CompletableFuture<OFMessage> f = pending.remove(e.getXid());
        if (f != null) {
            f.completeExceptionally(typed(e));
        } else {
            batchErrors.put(e.getXid(), e);
        }
    }

    void onStatsReply(OFStatsReply r) {
        List<OFStatsReply> parts = multipart.get(r.getXid());
        if (parts != null) {
            parts.add(r);
        }
        if (!r.getFlags().contains(OFStatsReplyFlags.REPLY_MORE)) {
            complete(r.getXid(), r);
        }
    }

    /** A FLOW_STATS reply frame for a dump in progress. */
    void onRawFlowStats(byte[] frame) {
        BlockingQueue<byte[]> parts = streams.get(Integer.toUnsignedLong(ByteBuffer.wrap(frame).getInt(4)));
        if (parts != null) {
            parts.add(frame);
        }
    }

    void complete(long xid, OFMessage m) {
        CompletableFuture<OFMessage> f = pending.remove(xid);
        if (f != null) {
            f.complete(m);
        }
    }

    void closed() {
        OpenFlowException gone = new OpenFlowException("connection to switch " + name + " closed");
        pending.values().forEach(f -> f.completeExceptionally(gone));
        pending.clear();
        writabilityChanged();
    }

    private SwitchException typed(OFErrorMsg e) {
        if (e instanceof OFRoleRequestFailedErrorMsg r && r.getCode() == OFRoleRequestFailedCode.STALE) {
            return new SwitchException.StaleGeneration("switch " + name
                    + " refused the role request: stale generation id (another controller holds a newer one)");
        }
        if (e instanceof OFBadRequestErrorMsg b && b.getCode() == OFBadRequestCode.IS_SLAVE) {
            return new SwitchException.NotMaster("switch " + name + " refused a write: this connection is SLAVE");
        }
        return new OpenFlowException("switch " + name + " refused: " + describe(e));
    }

    static String describe(OFErrorMsg e) {
        String s = e.toString();
        int code = s.indexOf("code=");
        return e.getErrType() + (code >= 0 ? " " + s.substring(code, Math.min(s.length(), s.indexOf(',', code) < 0
                ? s.length() : s.indexOf(',', code))) : "");
    }
}
