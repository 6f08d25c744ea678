package io.flowkeeper.openflow;

import io.flowkeeper.api.flow.FlowChange;
import io.flowkeeper.api.flow.BundleResult;
import io.flowkeeper.api.flow.Action;
import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.OfctlText;
import io.flowkeeper.api.flow.BundleResult;
import io.flowkeeper.openflow.local.FlowMonitorListener;
import io.flowkeeper.openflow.local.FlowMonitorWire;
import io.flowkeeper.openflow.local.WireFlows;
import io.flowkeeper.api.flow.reconcile.FlowReconciler;
import io.flowkeeper.api.flow.reconcile.ReconcilePlan;
import io.flowkeeper.api.flow.reconcile.ReconcileResult;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.projectfloodlight.openflow.protocol.OFBadRequestCode;
import org.projectfloodlight.openflow.protocol.OFBundleCtrlMsg;
import org.projectfloodlight.openflow.protocol.OFBundleCtrlType;
import org.projectfloodlight.openflow.protocol.OFBundleFlags;
import org.projectfloodlight.openflow.protocol.OFControllerRole;
import org.projectfloodlight.openflow.protocol.OFErrorMsg;
import org.projectfloodlight.openflow.protocol.OFFactory;
import org.projectfloodlight.openflow.protocol.OFFlowMod;
import org.projectfloodlight.openflow.protocol.OFMessage;
import org.projectfloodlight.openflow.protocol.OFPacketIn;
import org.projectfloodlight.openflow.protocol.OFPortDesc;
import org.projectfloodlight.openflow.protocol.OFPortState;
import org.projectfloodlight.openflow.protocol.OFPortConfig;
import org.projectfloodlight.openflow.protocol.OFPortStatsEntry;
import org.projectfloodlight.openflow.protocol.OFPortStatsReply;
import org.projectfloodlight.openflow.protocol.OFPortStatus;
import org.projectfloodlight.openflow.protocol.OFRoleReply;
import org.projectfloodlight.openflow.protocol.OFRoleRequestFailedCode;
import org.projectfloodlight.openflow.protocol.OFRoleStatus;
import org.projectfloodlight.openflow.protocol.OFStatsReply;
import org.projectfloodlight.openflow.protocol.OFStatsReplyFlags;
import org.projectfloodlight.openflow.protocol.OFType;
import org.projectfloodlight.openflow.protocol.action.OFAction;
import org.projectfloodlight.openflow.protocol.errormsg.OFBadRequestErrorMsg;
import org.projectfloodlight.openflow.protocol.errormsg.OFRoleRequestFailedErrorMsg;
import org.projectfloodlight.openflow.protocol.match.MatchField;
import org.projectfloodlight.openflow.types.BundleId;
import org.projectfloodlight.openflow.types.OFBufferId;
import org.projectfloodlight.openflow.types.OFGroup;
import org.projectfloodlight.openflow.types.OFPort;
import org.projectfloodlight.openflow.types.TableId;
import org.projectfloodlight.openflow.types.U64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ACTIVE switch session. Every operation is synchronous with a timeout and may be called from any thread
 * except Netty's event loop (they wait for replies and for the outbound buffer to drain).
 *
 * <p>Roles: while a ROLE_REQUEST is outstanding, writes wait (they are queued, never dropped) and go out once the
 * switch answered; a refused write then fails with a typed {@link OpenFlowException}.
 */
public final class SwitchConnection {
    private static final Logger LOG = LoggerFactory.getLogger(SwitchConnection.class);
    /** Replies to a barrier or a statistics request; the switch answers in milliseconds unless overloaded. */
    static final Duration REPLY_TIMEOUT = Duration.ofSeconds(60);
    /**
     * Large pushes are encoded on the caller's thread into buffers of about this size, one channel write each: one
     * event-loop task per 64 KB instead of one per message keeps Netty's loop (one of two cores here) free.
     */
    private static final int BATCH_BYTES = 64 << 10;

    private final Channel channel;
    private final OFFactory factory;
    private final long dpid;
    private final Map<Long, PortInfo> ports = new ConcurrentHashMap<>();
    private final AtomicLong xids = new AtomicLong(0x10000);
    private final Map<Long, CompletableFuture<OFMessage>> pending = new ConcurrentHashMap<>();
    private final Map<Long, List<OFStatsReply>> multipart = new ConcurrentHashMap<>();
    /** Flow dumps in progress: their raw reply frames, by xid. */
    private final Map<Long, java.util.concurrent.BlockingQueue<byte[]>> streams = new ConcurrentHashMap<>();
    /** Errors for messages of a batch or bundle in flight, by xid; drained by that operation. */
    private final Map<Long, OFErrorMsg> batchErrors = new ConcurrentHashMap<>();
    private final Object writability = new Object();
    private final RoleHandshake roles;
    private volatile FlowMonitorListener monitorListener;
    private volatile long monitorXid = -1;
    private final SwitchListener listener;

    SwitchConnection(Channel channel, OFFactory factory, long dpid, List<OFPortDesc> portDescs,
            SwitchListener listener) {
        this.channel = channel;
        this.factory = factory;
        this.dpid = dpid;
        this.listener = listener;
        this.roles = new RoleHandshake(dpidString(), REPLY_TIMEOUT);
        for (OFPortDesc p : portDescs) {
            PortInfo info = portInfo(p);
            ports.put(info.number(), info);
        }
    }

    // ---- identity and state -----------------------------------------------------------------------------

    public long dpid() {
        return dpid;
    }

    /** The datapath id as 16 hex digits, as OVS prints it. */
    public String dpidString() {
        return String.format("%016x", dpid);
    }

    /** 0x04 for OpenFlow 1.3, 0x05 for 1.4. */
    public int version() {
        return factory.getVersion().getWireVersion();
    }

    public Map<Long, PortInfo> ports() {
        return Collections.unmodifiableMap(ports);
    }

    /** The role the switch last confirmed for this connection: in a ROLE_REPLY, or since in a ROLE_STATUS. */
    public ControllerRole role() {
        return roles.role();
    }

    /** The role the switch last announced in a ROLE_STATUS (another controller took over, ...), or null. */
    public ControllerRole lastRoleStatus() {
        RoleHandshake.Status status = roles.lastStatus();
        return status == null ? null : status.role();
    }

    /**
     * Bytes written to this session and not yet handed to the socket: bounded by the configured high-water mark
     * plus one batch, however large the push, because writers wait while it is above the mark.
     */
    public long queuedBytes() {
        io.netty.channel.ChannelOutboundBuffer out = channel.unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }

    public boolean isActive() {
        return channel.isActive();
    }

    public String remoteAddress() {
        return String.valueOf(channel.remoteAddress());
    }

    public void close() {
        channel.close();
    }

    // ---- roles ------------------------------------------------------------------------------------------

    /**
     * Asks the switch for a role. Writes issued meanwhile wait for the answer.
     *
     * @throws OpenFlowException.StaleGeneration when the switch has seen a newer generation id: we are deposed
     */
    public ControllerRole requestRole(ControllerRole wanted, long generation) {
        return roles.request(wanted, generation, () -> {
            long xid = xids.getAndIncrement();
            OFMessage reply = request(factory.buildRoleRequest().setXid(xid).setRole(ofRole(wanted))
                    .setGenerationId(U64.of(generation)).build(), xid);
            return ourRole(((OFRoleReply) reply).getRole());
        });
    }

    /** The generation id of the last role request the switch granted, or -1. */
    public long generationId() {
        return roles.generationId();
    }

    private static OFControllerRole ofRole(ControllerRole r) {
        return switch (r) {
            case MASTER -> OFControllerRole.ROLE_MASTER;
            case SLAVE -> OFControllerRole.ROLE_SLAVE;
            case EQUAL -> OFControllerRole.ROLE_EQUAL;
        };
    }

    private static ControllerRole ourRole(OFControllerRole r) {
        return switch (r) {
            case ROLE_MASTER -> ControllerRole.MASTER;
            case ROLE_SLAVE -> ControllerRole.SLAVE;
            default -> ControllerRole.EQUAL;
        };
    }

    private void awaitRoleGate() {
        roles.awaitWritable();
    }

    // ---- flows ------------------------------------------------------------------------------------------

    /**
     * Installs flows as pipelined FLOW_MOD ADDs ended by a barrier. Not atomic (use {@link #applyBundle} for
     * that); fails naming the first flow the switch refused.
     */
    public void install(Collection<Flow> flows) {
        awaitRoleGate();
        long first = xids.getAndAdd(flows.size());
        long xid = first;
        List<Flow> order = new ArrayList<>(flows);
        Batch batch = new Batch();
        try {
            for (Flow f : order) {
                batch.add(LoxiFlows.flowMod(factory, f, LoxiFlows.Command.ADD, xid++));
            }
            batch.finish();
        } finally {
            batch.release();
        }
        barrier();
        checkBatchErrors(first, order.size(), i -> OfctlText.format(order.get(i)));
    }

    /**
     * Applies changes in one OpenFlow 1.4 bundle (ATOMIC, ORDERED): all or nothing. If the switch refuses any
     * message, the bundle is discarded (OVS would otherwise commit the rest) and the result names the refused
     * changes.
     */
    public BundleResult applyBundle(List<FlowChange> changes) {
        if (factory.getVersion().getWireVersion() < 5) {
            throw new OpenFlowException("bundles need OpenFlow 1.4; switch " + dpidString() + " negotiated 1.3");
        }
        awaitRoleGate();
        long t0 = System.nanoTime();
        BundleId bundleId = BundleId.of((int) (xids.getAndIncrement() & 0x7fffffff));
        Set<OFBundleFlags> flags = EnumSet.of(OFBundleFlags.ATOMIC, OFBundleFlags.ORDERED);
        bundleControl(bundleId, OFBundleCtrlType.OPEN_REQUEST, flags);
        long first = xids.getAndAdd(changes.size());
        long xid = first;
        Batch batch = new Batch();
        try {
            for (FlowChange c : changes) {
                LoxiFlows.Command command = switch (c.kind()) {
                    case ADD -> LoxiFlows.Command.ADD;
                    case MODIFY -> LoxiFlows.Command.MODIFY_STRICT;
                    case DELETE -> LoxiFlows.Command.DELETE_STRICT;
                    case DELETE_BY_COOKIE -> LoxiFlows.Command.DELETE_BY_COOKIE;
                };
                OFFlowMod mod = LoxiFlows.flowMod(factory, c.flow(), command, xid);
                // BUNDLE_ADD: only setData works in Loxi 1.4; flags must equal the OPEN's or OVS drops the bundle.
                batch.add(factory.buildBundleAddMsg().setXid(xid).setBundleId(bundleId).setFlags(flags).setData(mod)
                        .build());
                xid++;
            }
            batch.finish();
        } catch (RuntimeException e) {
            // a flow we could not encode, or the connection failed: do not leave the bundle open on the switch
            if (channel.isActive()) {
                try {
                    bundleControl(bundleId, OFBundleCtrlType.DISCARD_REQUEST, flags);
                } catch (OpenFlowException ignored) {
                    // the original failure is the one to report
                }
            }
            throw e;
        } finally {
            batch.release();
        }
        barrier();
        List<BundleResult.Failure> failures = new ArrayList<>();
        for (int i = 0; i < changes.size(); i++) {
            OFErrorMsg e = batchErrors.remove(first + i);
            if (e != null) {
                // name the flow, not just its position: the caller logs this line as it is
                failures.add(new BundleResult.Failure(i, describe(e) + " for " + changes.get(i).kind() + " "
                        + OfctlText.format(changes.get(i).flow())));
            }
        }
        boolean commit = failures.isEmpty();
        bundleControl(bundleId, commit ? OFBundleCtrlType.COMMIT_REQUEST : OFBundleCtrlType.DISCARD_REQUEST, flags);
        return new BundleResult(changes.size(), commit, failures, Duration.ofNanos(System.nanoTime() - t0));
    }

    private void bundleControl(BundleId id, OFBundleCtrlType type, Set<OFBundleFlags> flags) {
        long xid = xids.getAndIncrement();
        OFBundleCtrlMsg msg = factory.buildBundleCtrlMsg().setXid(xid).setBundleId(id).setBundleCtrlType(type)
                .setFlags(flags).build();
        request(msg, xid);
    }

    /**
     * Makes the switch hold exactly {@code desired} (among the flows the reconciler owns) with the minimal change,
     * in one atomic bundle: traffic never sees a partial table.
     */
    public ReconcileResult reconcile(Collection<Flow> desired, FlowReconciler reconciler) {
        awaitRoleGate();
        if (roles.role() == ControllerRole.SLAVE) {
            // checked again here, not only by the switch: a deposed master must not even dump and plan
            throw new OpenFlowException.NotMaster("switch " + dpidString() + ": not reconciling, this connection is "
                    + "SLAVE");
        }
        List<Flow> actual = new ArrayList<>();
        List<UnreadableFlow> unreadable = new ArrayList<>();
        streamFlowStats(sinkOf(actual, unreadable));
        ReconcilePlan plan = reconciler.diff(desired, actual);
        // Flows the model cannot read (a hand-made Nicira action, ...) cannot be compared: ours are deleted by their
        // cookie (unless a readable flow of that table shares it), foreign ones are left alone and logged.
        List<FlowChange> changes = new ArrayList<>();
        Set<String> readableCookies = new java.util.HashSet<>();
        for (Flow f : actual) {
            readableCookies.add(f.tableId() + "/" + f.cookie());
        }
        for (UnreadableFlow u : unreadable) {
            if (reconciler.isOurs(u.cookie()) && !readableCookies.contains(u.tableId() + "/" + u.cookie())) {
                changes.add(FlowChange.deleteByCookie(u.tableId(), u.cookie()));
            } else {
                LOG.warn("switch {}: left alone a flow Flowkeeper cannot read (table {}, priority {}, cookie 0x{}): "
                        + "{}", dpidString(), u.tableId(), u.priority(), Long.toHexString(u.cookie()), u.reason());
            }
        }
        if (plan.isEmpty() && changes.isEmpty()) {
            return new ReconcileResult(plan, null);
        }
        changes.addAll(plan.changes());
        BundleResult result = applyBundle(changes);
        LOG.info("switch {}: reconciled ({}{}) in one bundle: {}", dpidString(), plan,
                changes.size() > plan.size() ? ", " + (changes.size() - plan.size()) + " unreadable deleted by cookie"
                        : "", result.committed() ? "committed" : "DISCARDED, " + result.failures().size() + " refused");
        return new ReconcileResult(plan, result);
    }

    /** A flow in a dump whose match or actions the neutral model cannot express. */
    record UnreadableFlow(int tableId, int priority, long cookie, String reason) {
    }

    private static WireFlows.EntrySink sinkOf(List<Flow> readable, List<UnreadableFlow> unreadable) {
        return new WireFlows.EntrySink() {
            @Override
            public void accept(Flow flow, long packets, long bytes, long durationSeconds) {
                readable.add(flow);
            }

            @Override
            public void unreadable(int tableId, int priority, long cookie, String reason) {
                unreadable.add(new UnreadableFlow(tableId, priority, cookie, reason));
            }
        };
    }

    /** Deletes every flow whose cookie matches {@code cookie} under {@code mask}, in every table. */
    public void deleteByCookie(long cookie, long mask) {
        awaitRoleGate();
        long xid = xids.getAndIncrement();
        send(factory.buildFlowDelete().setXid(xid).setTableId(TableId.ALL).setCookie(U64.of(cookie))
                .setCookieMask(U64.of(mask)).setOutPort(OFPort.ANY).setOutGroup(OFGroup.ANY)
                .setMatch(factory.buildMatch().build()).setBufferId(OFBufferId.NO_BUFFER).build(), true);
        barrier();
        checkBatchErrors(xid, 1, i -> "delete cookie=0x" + Long.toHexString(cookie));
    }

    /**
     * Every flow of every table, from a multipart FLOW_STATS exchange. Replies are decoded (by hand, see
     * {@link WireFlows}) on this thread while Netty is still reading later ones. Flows the neutral model cannot
     * express (someone's Nicira actions) are skipped, with one warning per dump: a dump never fails over them.
     */
    public List<Flow> dumpFlows() {
        List<Flow> flows = new ArrayList<>();
        List<UnreadableFlow> unreadable = new ArrayList<>();
        streamFlowStats(sinkOf(flows, unreadable));
        if (!unreadable.isEmpty()) {
            // one line per dump, not per flow: a table full of hand-made flows must not flood the log
            LOG.warn("switch {}: dump skipped {} flow(s) Flowkeeper cannot read, first: table {} cookie 0x{}: {}",
                    dpidString(), unreadable.size(), unreadable.get(0).tableId(),
                    Long.toHexString(unreadable.get(0).cookie()), unreadable.get(0).reason());
        }
        return flows;
    }

    /** Every flow with its counters. */
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

    private void streamFlowStats(WireFlows.EntrySink sink) {
        long xid = xids.getAndIncrement();
        java.util.concurrent.BlockingQueue<byte[]> parts = new java.util.concurrent.LinkedBlockingQueue<>();
        streams.put(xid, parts);
        CompletableFuture<OFMessage> failed = new CompletableFuture<>();
        pending.put(xid, failed);
        try {
            send(factory.buildFlowStatsRequest().setXid(xid).setTableId(TableId.ALL).setOutPort(OFPort.ANY)
                    .setOutGroup(OFGroup.ANY).setMatch(factory.buildMatch().build()).setCookie(U64.ZERO)
                    .setCookieMask(U64.ZERO).build(), true);
            long deadline = System.nanoTime() + REPLY_TIMEOUT.toNanos();
            while (true) {
                byte[] part = parts.poll(10, TimeUnit.MILLISECONDS);
                if (part != null) {
                    java.nio.ByteBuffer frame = java.nio.ByteBuffer.wrap(part);
                    WireFlows.flowStatsReply(frame, sink);
                    if ((frame.getShort(10) & 1) == 0) {
                        return; // no REPLY_MORE: the last part
                    }
                    deadline = System.nanoTime() + REPLY_TIMEOUT.toNanos();
                } else if (failed.isCompletedExceptionally()) {
                    await(failed, xid, "FLOW_STATS"); // throws the switch's error or the closed connection
                } else if (System.nanoTime() > deadline) {
                    throw new OpenFlowException("switch " + dpidString() + " stopped answering a flow dump");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OpenFlowException("interrupted", e);
        } catch (IllegalArgumentException e) {
            throw new OpenFlowException("switch " + dpidString() + " holds a flow Flowkeeper cannot read: "
                    + e.getMessage(), e);
        } finally {
            streams.remove(xid);
            pending.remove(xid);
        }
    }

    /** On the event loop: OVS's OpenFlow 1.3 role status (an ONF experimenter message), read by hand. */
    void onOnfRoleStatus(OFFrameDecoder.OnfRoleStatus status) {
        ControllerRole r = switch (status.role()) {
            case 2 -> ControllerRole.MASTER;
            case 3 -> ControllerRole.SLAVE;
            default -> ControllerRole.EQUAL;
        };
        String reason = switch (status.reason()) {
            case 0 -> "MASTER_REQUEST";
            case 1 -> "CONFIG";
            default -> "EXPERIMENTER";
        };
        onRoleStatus(r, reason, status.generationId());
    }

    private void onRoleStatus(ControllerRole r, String reason, long generation) {
        roles.onStatus(r, reason, generation);
        listener.roleChanged(this, r, reason, generation);
    }

    /** On the event loop: a FLOW_STATS reply frame for a dump in progress. */
    void onRawFlowStats(byte[] frame) {
        java.util.concurrent.BlockingQueue<byte[]> parts =
                streams.get(Integer.toUnsignedLong(java.nio.ByteBuffer.wrap(frame).getInt(4)));
        if (parts != null) {
            parts.add(frame);
        }
    }

    /** Per-port counters. */
    public List<PortStats> portStats() {
        long xid = xids.getAndIncrement();
        List<PortStats> stats = new ArrayList<>();
        for (OFStatsReply r : multipartRequest(factory.buildPortStatsRequest().setXid(xid).setPortNo(OFPort.ANY)
                .build(), xid)) {
            for (OFPortStatsEntry e : ((OFPortStatsReply) r).getEntries()) {
                stats.add(new PortStats(Integer.toUnsignedLong(e.getPortNo().getPortNumber()),
                        e.getRxPackets().getValue(), e.getTxPackets().getValue(), e.getRxBytes().getValue(),
                        e.getTxBytes().getValue(), e.getRxDropped().getValue(), e.getTxDropped().getValue()));
            }
        }
        return stats;
    }

    /** Sends a packet through the switch: {@code actions} applied as if it came in on {@code inPort}. */
    public void packetOut(long inPort, List<Action> actions, byte[] data) {
        awaitRoleGate();
        List<OFAction> ofActions = new ArrayList<>();
        for (Action a : actions) {
            ofActions.add(LoxiFlows.action(factory, a));
        }
        long xid = xids.getAndIncrement();
        send(factory.buildPacketOut().setXid(xid).setBufferId(OFBufferId.NO_BUFFER)
                .setInPort(OFPort.ofInt((int) inPort)).setActions(ofActions).setData(data).build(), true);
        barrier();
        checkBatchErrors(xid, 1, i -> "packet-out");
    }

    /**
     * Starts an OpenFlow 1.4 flow monitor on every table (hand-written on the wire: Loxi has none). The listener
     * gets every flow (INITIAL), then every change by anyone, on the event loop. Changes made through this very
     * connection arrive abbreviated (ABBREV, xid only), as OVS sends them. Returns once the initial dump is in.
     */
    public void startMonitor(FlowMonitorListener listener, Duration initialDumpTimeout) {
        if (factory.getVersion().getWireVersion() < 5) {
            throw new OpenFlowException("the flow monitor needs OpenFlow 1.4; switch " + dpidString()
                    + " negotiated 1.3");
        }
        long xid = xids.getAndIncrement();
        CompletableFuture<OFMessage> initial = new CompletableFuture<>();
        monitorListener = listener;
        monitorXid = xid;
        pending.put(xid, initial);
        channel.writeAndFlush(io.netty.buffer.Unpooled.wrappedBuffer(FlowMonitorWire.request((int) xid, 1)));
        try {
            initial.get(initialDumpTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // OVS never answers a monitor request it dislikes (it fails to encode its own error): bound the wait
            throw new OpenFlowException("switch " + dpidString() + " did not answer the flow monitor request within "
                    + initialDumpTimeout.toSeconds() + " s");
        } catch (ExecutionException e) {
            throw new OpenFlowException("flow monitor failed: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OpenFlowException("interrupted", e);
        } finally {
            pending.remove(xid);
        }
    }

    void onMonitorReply(java.nio.ByteBuffer frame) {
        FlowMonitorListener l = monitorListener;
        boolean initialComplete = FlowMonitorWire.xid(frame) == (int) monitorXid && !FlowMonitorWire.hasMore(frame);
        if (l != null) {
            l.onUpdates(FlowMonitorWire.updates(frame), initialComplete);
        }
        if (initialComplete) {
            CompletableFuture<OFMessage> f = pending.remove(monitorXid);
            if (f != null) {
                f.complete(null);
            }
        }
    }

    /**
     * Sends an ECHO_REQUEST and waits for the reply: the round trip through everything queued ahead of it (our
     * outbound buffer, the sockets, the switch's input). Used to show that keepalives are not starved behind a
     * large push.
     */
    public Duration echo() {
        long xid = xids.getAndIncrement();
        long t0 = System.nanoTime();
        request(factory.buildEchoRequest().setXid(xid).setData(new byte[0]).build(), xid);
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    /** Waits until the switch has processed everything sent before. */
    public void barrier() {
        long xid = xids.getAndIncrement();
        request(factory.buildBarrierRequest().setXid(xid).build(), xid);
    }

    // ---- plumbing ---------------------------------------------------------------------------------------

    private void checkBatchErrors(long first, int count, java.util.function.IntFunction<String> describeItem) {
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
            OpenFlowException typed = typed(firstError);
            String what = refused + " of " + count + " refused by switch " + dpidString() + "; first: #" + firstIndex
                    + " " + describeItem.apply(firstIndex) + ": " + describe(firstError);
            if (typed instanceof OpenFlowException.NotMaster) {
                throw new OpenFlowException.NotMaster(what);
            }
            throw new OpenFlowException(what);
        }
    }

    private OFMessage request(OFMessage message, long xid) {
        CompletableFuture<OFMessage> f = new CompletableFuture<>();
        pending.put(xid, f);
        send(message, true);
        return await(f, xid, message.getType().toString());
    }

    private List<OFStatsReply> multipartRequest(OFMessage message, long xid) {
        multipart.put(xid, Collections.synchronizedList(new ArrayList<>()));
        try {
            request(message, xid);
            return multipart.remove(xid);
        } finally {
            multipart.remove(xid);
        }
    }

    private OFMessage await(CompletableFuture<OFMessage> f, long xid, String what) {
        try {
            return f.get(REPLY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof OpenFlowException ofe) {
                throw ofe;
            }
            throw new OpenFlowException(what + " to switch " + dpidString() + " failed: " + e.getCause().getMessage(),
                    e.getCause());
        } catch (TimeoutException e) {
            throw new OpenFlowException("switch " + dpidString() + " did not answer " + what + " within "
                    + REPLY_TIMEOUT.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OpenFlowException("interrupted", e);
        } finally {
            pending.remove(xid);
        }
    }

    /** Writes one message, waiting first while the outbound buffer is above its high-water mark. */
    /** Messages encoded here into large buffers, each written once full and at {@link #finish} (BATCH_BYTES). */
    private final class Batch {
        private ByteBuf buf = channel.alloc().buffer(BATCH_BYTES + 1024);

        void add(OFMessage m) {
            m.writeTo(buf);
            if (buf.readableBytes() >= BATCH_BYTES) {
                ByteBuf full = buf;
                buf = null;
                send(full, true);
                buf = channel.alloc().buffer(BATCH_BYTES + 1024);
            }
        }

        /** Writes what is left. */
        void finish() {
            ByteBuf last = buf;
            buf = null;
            if (last.isReadable()) {
                send(last, true);
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
    private void send(Object m, boolean flush) {
        try {
            awaitWritable();
        } catch (RuntimeException e) {
            io.netty.util.ReferenceCountUtil.release(m);
            throw e;
        }
        if (flush) {
            channel.writeAndFlush(m, channel.voidPromise());
        } else {
            channel.write(m, channel.voidPromise());
        }
    }

    private void awaitWritable() {
        if (!channel.isWritable()) {
            channel.flush();
            synchronized (writability) {
                long deadline = System.nanoTime() + REPLY_TIMEOUT.toNanos();
                while (!channel.isWritable() && channel.isActive()) {
                    if (System.nanoTime() > deadline) {
                        throw new OpenFlowException("switch " + dpidString() + " stopped reading");
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
            throw new OpenFlowException("connection to switch " + dpidString() + " is closed");
        }
    }

    void writabilityChanged() {
        synchronized (writability) {
            writability.notifyAll();
        }
    }

    /** Messages of an ACTIVE connection, on the event loop. */
    void onMessage(OFMessage m) {
        long xid = m.getXid();
        OFType type = m.getType();
        switch (type) {
            case ERROR -> {
                OFErrorMsg e = (OFErrorMsg) m;
                CompletableFuture<OFMessage> f = pending.remove(xid);
                if (f != null) {
                    f.completeExceptionally(typed(e));
                } else {
                    batchErrors.put(xid, e);
                }
            }
            case STATS_REPLY -> {
                OFStatsReply r = (OFStatsReply) m;
                List<OFStatsReply> parts = multipart.get(xid);
                if (parts != null) {
                    parts.add(r);
                }
                if (!r.getFlags().contains(OFStatsReplyFlags.REPLY_MORE)) {
                    complete(xid, m);
                }
            }
            case PORT_STATUS -> {
                OFPortStatus s = (OFPortStatus) m;
                PortInfo info = portInfo(s.getDesc());
                if (s.getReason().toString().equals("DELETE")) {
                    ports.remove(info.number());
                } else {
                    ports.put(info.number(), info);
                }
                LOG.info("switch {}: port {} ({}) {}", dpidString(), info.number(), info.name(), s.getReason());
                listener.portChanged(this, info, s.getReason().toString());
            }
            case ROLE_STATUS -> {
                OFRoleStatus status = (OFRoleStatus) m;
                onRoleStatus(ourRole(status.getRole()), String.valueOf(status.getReason()),
                        status.getGenerationId().getValue());
            }
            case PACKET_IN -> {
                OFPacketIn p = (OFPacketIn) m;
                OFPort in = p.getMatch().get(MatchField.IN_PORT);
                listener.packetIn(this, new PacketIn(in == null ? 0 : Integer.toUnsignedLong(in.getPortNumber()),
                        p.getTableId().getValue(), p.getCookie().getValue(), p.getData()));
            }
            default -> complete(xid, m);
        }
    }

    private void complete(long xid, OFMessage m) {
        CompletableFuture<OFMessage> f = pending.remove(xid);
        if (f != null) {
            f.complete(m);
        }
    }

    void closed() {
        OpenFlowException gone = new OpenFlowException("connection to switch " + dpidString() + " closed");
        pending.values().forEach(f -> f.completeExceptionally(gone));
        pending.clear();
        writabilityChanged();
    }

    private OpenFlowException typed(OFErrorMsg e) {
        if (e instanceof OFRoleRequestFailedErrorMsg r && r.getCode() == OFRoleRequestFailedCode.STALE) {
            return new OpenFlowException.StaleGeneration("switch " + dpidString()
                    + " refused the role request: stale generation id (another controller holds a newer one)");
        }
        if (e instanceof OFBadRequestErrorMsg b && b.getCode() == OFBadRequestCode.IS_SLAVE) {
            return new OpenFlowException.NotMaster("switch " + dpidString() + " refused a write: this connection is "
                    + "SLAVE");
        }
        return new OpenFlowException("switch " + dpidString() + " refused: " + describe(e));
    }

    private static String describe(OFErrorMsg e) {
        String s = e.toString();
        int code = s.indexOf("code=");
        return e.getErrType() + (code >= 0 ? " " + s.substring(code, Math.min(s.length(), s.indexOf(',', code) < 0
                ? s.length() : s.indexOf(',', code))) : "");
    }

    private static PortInfo portInfo(OFPortDesc p) {
        return new PortInfo(Integer.toUnsignedLong(p.getPortNo().getPortNumber()), p.getName(),
                p.getHwAddr().getLong(), p.getState().contains(OFPortState.LINK_DOWN),
                p.getConfig().contains(OFPortConfig.PORT_DOWN));
    }

    @Override
    public String toString() {
        return "switch " + dpidString() + " (OpenFlow 0x" + Integer.toHexString(version()) + ", " + remoteAddress()
                + ")";
    }
}
