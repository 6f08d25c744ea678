package io.flowkeeper.openflow;

import io.flowkeeper.openflow.wire.FlowMonitorListener;
import io.flowkeeper.openflow.wire.FlowMonitorWire;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.projectfloodlight.openflow.protocol.OFMessage;

/**
 * The OpenFlow 1.4 flow monitor of one TCP session, on the shared hand-written wire ({@link FlowMonitorWire}:
 * Loxi has none). One monitor per session.
 */
final class FlowMonitor {
    private final SwitchSession session;
    private volatile FlowMonitorListener listener;
    private volatile long monitorXid = -1;

    FlowMonitor(SwitchSession session) {
        this.session = session;
    }

    /**
     * Starts the monitor on every table; returns once the initial dump is in. The listener gets every flow
     * (INITIAL), then every change by anyone, on the event loop; changes made through this very session arrive
     * abbreviated (ABBREV, xid only), as OVS sends them.
     */
    void start(FlowMonitorListener l, Duration initialDumpTimeout) {
        if (session.factory().getVersion().getWireVersion() < 5) {
            throw new OpenFlowException("the flow monitor needs OpenFlow 1.4; switch " + session.name()
                    + " negotiated 1.3");
        }
        long xid = session.nextXid();
        listener = l;
        monitorXid = xid;
        CompletableFuture<OFMessage> initial = session.expect(xid);
        session.send(Unpooled.wrappedBuffer(FlowMonitorWire.request((int) xid, 1)));
        try {
            initial.get(initialDumpTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // OVS never answers a monitor request it dislikes (it fails to encode its own error): bound the wait
            throw new OpenFlowException("switch " + session.name() + " did not answer the flow monitor request "
                    + "within " + initialDumpTimeout.toSeconds() + " s");
        } catch (ExecutionException e) {
            throw new OpenFlowException("flow monitor failed: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OpenFlowException("interrupted", e);
        } finally {
            session.forget(xid);
        }
    }

    /** On the event loop: one monitor reply frame. */
    void onReply(ByteBuffer frame) {
        FlowMonitorListener l = listener;
        boolean initialComplete = FlowMonitorWire.xid(frame) == (int) monitorXid && !FlowMonitorWire.hasMore(frame);
        if (l != null) {
            l.onUpdates(FlowMonitorWire.updates(frame), initialComplete);
        }
        if (initialComplete) {
            session.complete(monitorXid, null);
        }
    }
}
