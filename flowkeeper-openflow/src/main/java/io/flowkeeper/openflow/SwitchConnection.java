package io.flowkeeper.openflow;

import io.flowkeeper.api.flow.Action;
import io.flowkeeper.api.flow.BundleResult;
import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.FlowChange;
import io.flowkeeper.api.flow.reconcile.FlowReconciler;
import io.flowkeeper.api.flow.reconcile.ReconcileResult;
import io.flowkeeper.api.switches.ControllerRole;
import io.flowkeeper.api.switches.FlowStats;
import io.flowkeeper.api.switches.PacketIn;
import io.flowkeeper.api.switches.PortInfo;
import io.flowkeeper.api.switches.PortStats;
import io.flowkeeper.api.switches.Switch;
import io.flowkeeper.api.switches.SwitchFeatures;
import io.flowkeeper.openflow.wire.FlowMonitorListener;
import io.netty.channel.Channel;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.projectfloodlight.openflow.protocol.OFControllerRole;
import org.projectfloodlight.openflow.protocol.OFErrorMsg;
import org.projectfloodlight.openflow.protocol.OFFactory;
import org.projectfloodlight.openflow.protocol.OFMessage;
import org.projectfloodlight.openflow.protocol.OFPacketIn;
import org.projectfloodlight.openflow.protocol.OFPortConfig;
import org.projectfloodlight.openflow.protocol.OFPortDesc;
import org.projectfloodlight.openflow.protocol.OFPortState;
import org.projectfloodlight.openflow.protocol.OFPortStatus;
import org.projectfloodlight.openflow.protocol.OFRoleReply;
import org.projectfloodlight.openflow.protocol.OFRoleStatus;
import org.projectfloodlight.openflow.protocol.OFStatsReply;
import org.projectfloodlight.openflow.protocol.OFVersion;
import org.projectfloodlight.openflow.protocol.action.OFAction;
import org.projectfloodlight.openflow.protocol.match.MatchField;
import org.projectfloodlight.openflow.types.OFBufferId;
import org.projectfloodlight.openflow.types.OFPort;
import org.projectfloodlight.openflow.types.U64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ACTIVE TCP switch session behind the neutral {@link Switch}: identity, ports and role here; the work in
 * focused parts over one {@link SwitchSession} (requests, replies, flow control): {@link OpenFlowProgrammer}
 * (installs, bundles, reconciliation), {@link StatisticsReader}, {@link FlowMonitor}. Every operation is
 * synchronous with a timeout and may be called from any thread except Netty's event loop.
 *
 * <p>Roles ({@link RoleHandshake}): while a ROLE_REQUEST is outstanding, writes wait (queued, never dropped) and go
 * out once the switch answered; a refused write then fails with a typed
 * {@link io.flowkeeper.api.switches.SwitchException}.
 */
public final class SwitchConnection implements Switch {
    /** {@link #close} was called: whatever ends the session then, the switch did not close it. */
    private volatile boolean closedHere;
    private volatile boolean closedByPeer;
    private static final Logger LOG = LoggerFactory.getLogger(SwitchConnection.class);

    private final long dpid;
    private final SwitchFeatures features;
    private final Map<Long, PortInfo> ports = new ConcurrentHashMap<>();
    private final SwitchSession session;
    private final RoleHandshake roles;
    private final StatisticsReader statistics;
    private final OpenFlowProgrammer programmer;
    private final FlowMonitor monitor;
    private final SwitchEvents events;

    SwitchConnection(Channel channel, OFFactory factory, long dpid, SwitchFeatures features,
            List<OFPortDesc> portDescs, SwitchEvents events) {
        this.dpid = dpid;
        this.features = features;
        this.events = events;
        this.session = new SwitchSession(channel, factory, dpidString());
        this.roles = new RoleHandshake(dpidString(), SwitchSession.REPLY_TIMEOUT,
                factory.getVersion() == OFVersion.OF_10);
        this.statistics = new StatisticsReader(session);
        this.programmer = new OpenFlowProgrammer(session, statistics, roles);
        this.monitor = new FlowMonitor(session);
        for (OFPortDesc p : portDescs) {
            PortInfo info = portInfo(p);
            ports.put(info.number(), info);
        }
    }

    // ---- identity and state -----------------------------------------------------------------------------

    @Override
    public long dpid() {
        return dpid;
    }

    @Override
    public int version() {
        return session.factory().getVersion().getWireVersion();
    }

    @Override
    public SwitchFeatures features() {
        return features;
    }

    @Override
    public Map<Long, PortInfo> ports() {
        return Collections.unmodifiableMap(ports);
    }

    @Override
    public ControllerRole role() {
        return roles.role();
    }

    @Override
    public ControllerRole lastRoleStatus() {
        RoleHandshake.Status status = roles.lastStatus();
        return status == null ? null : status.role();
    }

    @Override
    public long generationId() {
        return roles.generationId();
    }

    /**
     * Bytes written to this session and not yet handed to the socket: bounded by the configured high-water mark
     * plus one batch, however large the push, because writers wait while it is above the mark.
     */
    public long queuedBytes() {
        return session.queuedBytes();
    }

    @Override
    public boolean isActive() {
        return session.isActive();
    }

    @Override
    public String remoteAddress() {
        return session.remoteAddress();
    }

    @Override
    public void close() {
        closedHere = true;
        session.close();
    }

    @Override
    public boolean closedByPeer() {
        return closedByPeer;
    }

    // ---- roles ------------------------------------------------------------------------------------------

    /**
     * On OpenFlow 1.0 nothing is sent (1.0 has no roles): the role is recorded here, and only a MASTER connection
     * writes (see {@link RoleHandshake#awaitWritable}); the generation is kept for the API but fences nothing at
     * the switch.
     */
    @Override
    public ControllerRole requestRole(ControllerRole wanted, long generation) {
        if (roles.localOnly()) {
            return roles.request(wanted, generation, () -> wanted);
        }
        return roles.request(wanted, generation, () -> {
            long xid = session.nextXid();
            OFMessage reply = session.request(session.factory().buildRoleRequest().setXid(xid)
                    .setRole(ofRole(wanted)).setGenerationId(U64.of(generation)).build(), xid);
            return ourRole(((OFRoleReply) reply).getRole());
        });
    }

    @Override
    public void writePermit(java.util.function.BooleanSupplier permit) {
        roles.permit(permit);
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

    // ---- flows and statistics: the focused parts ----------------------------------------------------------

    @Override
    public void install(Collection<Flow> flows) {
        programmer.install(flows);
    }

    @Override
    public BundleResult applyBundle(List<FlowChange> changes) {
        return programmer.applyBundle(changes);
    }

    @Override
    public ReconcileResult reconcile(Collection<Flow> desired, FlowReconciler reconciler) {
        return programmer.reconcile(desired, reconciler);
    }

    @Override
    public List<Flow> dumpFlows() {
        return programmer.dumpFlows();
    }

    @Override
    public void deleteByCookie(long cookie, long mask) {
        programmer.deleteByCookie(cookie, mask);
    }

    @Override
    public List<FlowStats> flowStats() {
        return statistics.flowStats();
    }

    @Override
    public List<PortStats> portStats() {
        return statistics.portStats();
    }

    @Override
    public long flowCount() {
        return statistics.flowCount();
    }

    /**
     * Starts an OpenFlow 1.4 flow monitor on every table (see {@link FlowMonitor}); returns once the initial dump
     * is in.
     */
    public void startMonitor(FlowMonitorListener listener, Duration initialDumpTimeout) {
        monitor.start(listener, initialDumpTimeout);
    }

    /** Sends a packet through the switch: {@code actions} applied as if it came in on {@code inPort}. */
    public void packetOut(long inPort, List<Action> actions, byte[] data) {
        roles.awaitWritable();
        OFFactory factory = session.factory();
        List<OFAction> ofActions = new ArrayList<>();
        for (Action a : actions) {
            ofActions.add(LoxiFlows.action(factory, a));
        }
        long xid = session.nextXid();
        session.send(factory.buildPacketOut().setXid(xid).setBufferId(OFBufferId.NO_BUFFER)
                .setInPort(OFPort.ofInt((int) inPort)).setActions(ofActions).setData(data).build());
        session.barrier();
        session.checkBatchErrors(xid, 1, i -> "packet-out");
    }

    /**
     * Sends an ECHO_REQUEST and waits for the reply: the round trip through everything queued ahead of it (our
     * outbound buffer, the sockets, the switch's input). Shows that keepalives are not starved behind a push.
     */
    public Duration echo() {
        return session.echo();
    }

    /** Waits until the switch has processed everything sent before. */
    public void barrier() {
        session.barrier();
    }

    // ---- the event loop ---------------------------------------------------------------------------------

    void writabilityChanged() {
        session.writabilityChanged();
    }

    /** The channel closed; {@code byPeer}: the handler saw no close or error of its own (see {@link #closedByPeer}). */
    void closed(boolean byPeer) {
        closedByPeer = byPeer && !closedHere;
        session.closed();
    }

    void onRawFlowStats(byte[] frame) {
        session.onRawFlowStats(frame);
    }

    void onMonitorReply(ByteBuffer frame) {
        monitor.onReply(frame);
    }

    /** OVS's OpenFlow 1.3 role status (an ONF experimenter message), read by hand. */
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
        events.roleChanged(this, r, reason, generation);
    }

    /** Messages of an ACTIVE connection. */
    void onMessage(OFMessage m) {
        switch (m.getType()) {
            case ERROR -> session.onError((OFErrorMsg) m);
            case STATS_REPLY -> session.onStatsReply((OFStatsReply) m);
            case PORT_STATUS -> {
                OFPortStatus s = (OFPortStatus) m;
                PortInfo info = portInfo(s.getDesc());
                if (s.getReason().toString().equals("DELETE")) {
                    ports.remove(info.number());
                } else {
                    ports.put(info.number(), info);
                }
                LOG.info("switch {}: port {} ({}) {}", dpidString(), info.number(), info.name(), s.getReason());
                events.portChanged(this, info, s.getReason().toString());
            }
            case ROLE_STATUS -> {
                OFRoleStatus status = (OFRoleStatus) m;
                onRoleStatus(ourRole(status.getRole()), String.valueOf(status.getReason()),
                        status.getGenerationId().getValue());
            }
            case PACKET_IN -> {
                OFPacketIn p = (OFPacketIn) m;
                if (roles.localOnly()) {
                    // A 1.0 switch sends its packet-ins to every controller; only the master acts on them (a 1.3
                    // switch sends none to a SLAVE).
                    if (roles.role() == ControllerRole.MASTER) {
                        events.packetIn(this, new PacketIn(Integer.toUnsignedLong(p.getInPort().getPortNumber()),
                                0, 0, p.getData()));
                    }
                    return;
                }
                OFPort in = p.getMatch().get(MatchField.IN_PORT);
                events.packetIn(this, new PacketIn(in == null ? 0 : Integer.toUnsignedLong(in.getPortNumber()),
                        p.getTableId().getValue(), p.getCookie().getValue(), p.getData()));
            }
            default -> session.complete(m.getXid(), m);
        }
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
