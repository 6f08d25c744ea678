package io.flowkeeper.openflow;

import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.switches.FlowStats;
import io.flowkeeper.api.switches.PortStats;
import io.flowkeeper.api.switches.SwitchStatistics;
import io.flowkeeper.openflow.wire.WireFlows;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.projectfloodlight.openflow.protocol.OFAggregateStatsReply;
import org.projectfloodlight.openflow.protocol.OFFactory;
import org.projectfloodlight.openflow.protocol.OFFlowStatsEntry;
import org.projectfloodlight.openflow.protocol.OFFlowStatsReply;
import org.projectfloodlight.openflow.protocol.OFVersion;
import org.projectfloodlight.openflow.protocol.OFMessage;
import org.projectfloodlight.openflow.protocol.OFPortStatsEntry;
import org.projectfloodlight.openflow.protocol.OFPortStatsReply;
import org.projectfloodlight.openflow.protocol.OFStatsReply;
import org.projectfloodlight.openflow.types.OFGroup;
import org.projectfloodlight.openflow.types.OFPort;
import org.projectfloodlight.openflow.types.TableId;
import org.projectfloodlight.openflow.types.U64;

/**
 * Flow and port statistics of one TCP session, and the flow dump the programmer reads tables with. FLOW_STATS
 * replies are decoded by hand ({@link WireFlows}) on the caller's thread while Netty is still reading later ones.
 */
final class StatisticsReader implements SwitchStatistics {
    /** A flow in a dump whose match or actions the neutral model cannot express. */
    record UnreadableFlow(int tableId, int priority, long cookie, String reason) {
    }

    private final SwitchSession session;

    StatisticsReader(SwitchSession session) {
        this.session = session;
    }

    @Override
    public List<FlowStats> flowStats() {
        List<FlowStats> stats = new ArrayList<>();
        streamFlowStats(new WireFlows.EntrySink() {
            @Override
            public void accept(Flow f, long packets, long bytes, long seconds) {
                stats.add(new FlowStats(f, packets, bytes, seconds));
            }

            @Override
            public void unreadable(int tableId, int priority, long cookie, String reason) {
                // statistics of flows the model cannot express are of no use to it: skipped
            }
        });
        return stats;
    }

    @Override
    public List<PortStats> portStats() {
        OFFactory factory = session.factory();
        long xid = session.nextXid();
        List<PortStats> stats = new ArrayList<>();
        for (OFStatsReply r : session.multipartRequest(factory.buildPortStatsRequest().setXid(xid)
                .setPortNo(OFPort.ANY).build(), xid)) {
            for (OFPortStatsEntry e : ((OFPortStatsReply) r).getEntries()) {
                stats.add(new PortStats(Integer.toUnsignedLong(e.getPortNo().getPortNumber()),
                        e.getRxPackets().getValue(), e.getTxPackets().getValue(), e.getRxBytes().getValue(),
                        e.getTxBytes().getValue(), e.getRxDropped().getValue(), e.getTxDropped().getValue()));
            }
        }
        return stats;
    }

    /**
     * An OpenFlow 1.0 flow dump: one table, small in practice, so Loxi's parse on the event loop is fine (the
     * frame decoder hands only 1.3+ dumps on raw).
     */
    private void flowStats10(OFFactory factory, WireFlows.EntrySink sink) {
        long xid = session.nextXid();
        for (OFStatsReply r : session.multipartRequest(factory.buildFlowStatsRequest().setXid(xid)
                .setTableId(TableId.ALL).setOutPort(OFPort.ANY).setMatch(factory.buildMatch().build()).build(), xid)) {
            for (OFFlowStatsEntry e : ((OFFlowStatsReply) r).getEntries()) {
                Flow flow;
                try {
                    flow = LoxiFlows10.flowOf(e);
                } catch (IllegalArgumentException ex) {
                    sink.unreadable(0, e.getPriority(), e.getCookie().getValue(), ex.getMessage());
                    continue;
                }
                sink.accept(flow, e.getPacketCount().getValue(), e.getByteCount().getValue(), e.getDurationSec());
            }
        }
    }

    @Override
    public long flowCount() {
        OFFactory factory = session.factory();
        long xid = session.nextXid();
        long flows = 0;
        org.projectfloodlight.openflow.protocol.OFAggregateStatsRequest.Builder request = factory
                .buildAggregateStatsRequest().setXid(xid).setTableId(TableId.ALL).setOutPort(OFPort.ANY)
                .setMatch(factory.buildMatch().build());
        if (factory.getVersion() != OFVersion.OF_10) { // 1.0 has no groups and no cookie in this request
            request.setOutGroup(OFGroup.ANY).setCookie(U64.ZERO).setCookieMask(U64.ZERO);
        }
        for (OFStatsReply r : session.multipartRequest(request.build(), xid)) {
            flows += ((OFAggregateStatsReply) r).getFlowCount();
        }
        return flows;
    }

    /** Every flow of every table, readable ones and the others apart. */
    void dump(List<Flow> readable, List<UnreadableFlow> unreadable) {
        streamFlowStats(new WireFlows.EntrySink() {
            @Override
            public void accept(Flow flow, long packets, long bytes, long durationSeconds) {
                readable.add(flow);
            }

            @Override
            public void unreadable(int tableId, int priority, long cookie, String reason) {
                unreadable.add(new UnreadableFlow(tableId, priority, cookie, reason));
            }
        });
    }

    private void streamFlowStats(WireFlows.EntrySink sink) {
        OFFactory factory = session.factory();
        if (factory.getVersion() == OFVersion.OF_10) {
            flowStats10(factory, sink);
            return;
        }
        long xid = session.nextXid();
        BlockingQueue<byte[]> parts = session.openStream(xid);
        CompletableFuture<OFMessage> failed = session.expect(xid);
        try {
            session.send(factory.buildFlowStatsRequest().setXid(xid).setTableId(TableId.ALL).setOutPort(OFPort.ANY)
                    .setOutGroup(OFGroup.ANY).setMatch(factory.buildMatch().build()).setCookie(U64.ZERO)
                    .setCookieMask(U64.ZERO).build());
            long deadline = System.nanoTime() + SwitchSession.REPLY_TIMEOUT.toNanos();
            while (true) {
                byte[] part = parts.poll(10, TimeUnit.MILLISECONDS);
                if (part != null) {
                    ByteBuffer frame = ByteBuffer.wrap(part);
                    WireFlows.flowStatsReply(frame, sink);
                    if ((frame.getShort(10) & 1) == 0) {
                        return; // no REPLY_MORE: the last part
                    }
                    deadline = System.nanoTime() + SwitchSession.REPLY_TIMEOUT.toNanos();
                } else if (failed.isCompletedExceptionally()) {
                    // throws the switch's error or the closed connection
                    session.await(failed, xid, "FLOW_STATS", SwitchSession.REPLY_TIMEOUT);
                } else if (System.nanoTime() > deadline) {
                    throw new OpenFlowException("switch " + session.name() + " stopped answering a flow dump");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OpenFlowException("interrupted", e);
        } catch (IllegalArgumentException e) {
            throw new OpenFlowException("switch " + session.name() + " holds a flow Flowkeeper cannot read: "
                    + e.getMessage(), e);
        } finally {
            session.closeStream(xid);
            session.forget(xid);
        }
    }
}
