package io.flowkeeper.openflow;

import io.flowkeeper.api.flow.BundleResult;
import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.FlowChange;
import io.flowkeeper.api.flow.OfctlText;
import io.flowkeeper.api.flow.reconcile.FlowReconciler;
import io.flowkeeper.api.flow.reconcile.ReconcilePlan;
import io.flowkeeper.api.flow.reconcile.ReconcileResult;
import io.flowkeeper.api.switches.ControllerRole;
import io.flowkeeper.api.switches.FlowProgrammer;
import io.flowkeeper.api.switches.SwitchException;
import io.flowkeeper.openflow.wire.BundleWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.projectfloodlight.openflow.protocol.OFFactory;
import org.projectfloodlight.openflow.types.OFBufferId;
import org.projectfloodlight.openflow.types.OFGroup;
import org.projectfloodlight.openflow.types.OFPort;
import org.projectfloodlight.openflow.types.TableId;
import org.projectfloodlight.openflow.types.U64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Programs one TCP session's flow tables: pipelined installs, atomic bundles (the shared {@link BundleWriter},
 * FLOW_MODs encoded by Loxi through {@link LoxiFlows}), reconciliation and deletes by cookie. Every write first
 * passes the role gate: while a role request is outstanding it waits.
 */
final class OpenFlowProgrammer implements FlowProgrammer {
    private static final Logger LOG = LoggerFactory.getLogger(OpenFlowProgrammer.class);

    private final SwitchSession session;
    private final StatisticsReader reader;
    private final RoleHandshake roles;
    private final BundleWriter bundles;

    OpenFlowProgrammer(SwitchSession session, StatisticsReader reader, RoleHandshake roles) {
        this.session = session;
        this.reader = reader;
        this.roles = roles;
        this.bundles = session.bundleWriter();
    }

    @Override
    public void install(Collection<Flow> flows) {
        roles.awaitWritable();
        OFFactory factory = session.factory();
        long first = session.reserveXids(flows.size());
        long xid = first;
        List<Flow> order = new ArrayList<>(flows);
        SwitchSession.Batch batch = session.new Batch();
        try {
            for (Flow f : order) {
                batch.add(LoxiFlows.flowMod(factory, f, LoxiFlows.Command.ADD, xid++));
            }
            batch.finish();
        } catch (LoxiFlows10.Refused e) {
            throw new OpenFlowException("switch " + session.name() + ": " + e.getMessage() + "; nothing sent");
        } finally {
            batch.release();
        }
        session.barrier();
        session.checkBatchErrors(first, order.size(), i -> OfctlText.format(order.get(i)));
    }

    @Override
    public BundleResult applyBundle(List<FlowChange> changes) {
        if (roles.localOnly()) {
            return applyOrdered(changes);
        }
        if (session.factory().getVersion().getWireVersion() < 5) {
            throw new OpenFlowException("bundles need OpenFlow 1.4; switch " + session.name() + " negotiated 1.3");
        }
        roles.awaitWritable();
        try {
            return bundles.apply(flowMods(changes), BundleWriter.OnError.DISCARD,
                    i -> changes.get(i).kind() + " " + OfctlText.format(changes.get(i).flow()), null);
        } catch (IOException e) {
            throw new OpenFlowException("bundle to switch " + session.name() + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * OpenFlow 1.0 has no bundles: the changes go out in two pipelined rounds (the write permit checked before
     * each), adds and modifies first, then a
     * barrier, then the deletes, then a barrier. A packet therefore always meets either the old or the new flow set
     * plus the added flows, never a table without the flows it needs (a delete that an add replaces comes after
     * that add); what it loses against a bundle is atomicity: a change the switch refuses does not undo the others.
     * The result has the bundle's shape (failures by index in {@code changes}, including flows 1.0 cannot express,
     * refused here and never sent); "committed" means nothing was refused, and a caller that retries the rest
     * re-sends changes that already took effect, which is harmless (an add replaces an identical flow, a strict
     * delete of a missing flow does nothing).
     */
    private BundleResult applyOrdered(List<FlowChange> changes) {
        long t0 = System.nanoTime();
        List<BundleResult.Failure> failures = new ArrayList<>();
        List<Integer> writes = new ArrayList<>();
        List<Integer> deletes = new ArrayList<>();
        for (int i = 0; i < changes.size(); i++) {
            (changes.get(i).kind() == FlowChange.Kind.ADD || changes.get(i).kind() == FlowChange.Kind.MODIFY
                    ? writes : deletes).add(i);
        }
        for (List<Integer> round : List.of(writes, deletes)) {
            if (round.isEmpty()) {
                continue;
            }
            // Checked again before each round: an owner that froze during the first round's barrier, and lost its
            // lease meanwhile, sends no deletes after the new owner's writes (1.0 has no generation id to stop them).
            roles.awaitWritable();
            long first = session.reserveXids(round.size());
            List<Integer> sent = new ArrayList<>(round.size());
            SwitchSession.Batch batch = session.new Batch();
            try {
                for (int k = 0; k < round.size(); k++) {
                    int i = round.get(k);
                    try {
                        batch.add(LoxiFlows.flowMod(session.factory(), changes.get(i).flow(),
                                command(changes.get(i).kind()), first + k));
                        sent.add(k);
                    } catch (LoxiFlows10.Refused e) {
                        failures.add(new BundleResult.Failure(i, e.getMessage()));
                    }
                }
                batch.finish();
            } finally {
                batch.release();
            }
            session.barrier();
            for (int k : sent) {
                String error = session.takeError(first + k);
                if (error != null) {
                    failures.add(new BundleResult.Failure(round.get(k), error));
                }
            }
        }
        failures.sort(java.util.Comparator.comparingInt(BundleResult.Failure::index));
        return new BundleResult(changes.size(), failures.isEmpty(), failures,
                java.time.Duration.ofNanos(System.nanoTime() - t0));
    }

    private static LoxiFlows.Command command(FlowChange.Kind kind) {
        return switch (kind) {
            case ADD -> LoxiFlows.Command.ADD;
            case MODIFY -> LoxiFlows.Command.MODIFY_STRICT;
            case DELETE -> LoxiFlows.Command.DELETE_STRICT;
            case DELETE_BY_COOKIE -> LoxiFlows.Command.DELETE_BY_COOKIE;
        };
    }

    /** The changes as FLOW_MOD frames, encoded one at a time as the bundle writer takes them. */
    private Iterator<byte[]> flowMods(List<FlowChange> changes) {
        OFFactory factory = session.factory();
        ByteBuf scratch = Unpooled.buffer(256);
        Iterator<FlowChange> it = changes.iterator();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public byte[] next() {
                FlowChange c = it.next();
                scratch.clear();
                // the xid is the bundle writer's to set
                LoxiFlows.flowMod(factory, c.flow(), command(c.kind()), 0).writeTo(scratch);
                byte[] frame = new byte[scratch.readableBytes()];
                scratch.readBytes(frame);
                return frame;
            }
        };
    }

    @Override
    public ReconcileResult reconcile(Collection<Flow> desired, FlowReconciler reconciler) {
        roles.awaitWritable();
        if (roles.role() == ControllerRole.SLAVE) {
            // checked again here, not only by the switch: a deposed master must not even dump and plan
            throw new SwitchException.NotMaster("switch " + session.name() + ": not reconciling, this connection "
                    + "is SLAVE");
        }
        List<Flow> actual = new ArrayList<>();
        List<StatisticsReader.UnreadableFlow> unreadable = new ArrayList<>();
        reader.dump(actual, unreadable);
        ReconcilePlan plan = reconciler.diff(desired, actual);
        // Flows the model cannot read (a hand-made Nicira action, ...) cannot be compared: ours are deleted by their
        // cookie (unless a readable flow of that table shares it), foreign ones are left alone and logged.
        List<FlowChange> changes = new ArrayList<>();
        Set<String> readableCookies = new HashSet<>();
        for (Flow f : actual) {
            readableCookies.add(f.tableId() + "/" + f.cookie());
        }
        for (StatisticsReader.UnreadableFlow u : unreadable) {
            // (1.0 has no cookie mask, so there such a flow is always left alone)
            if (!roles.localOnly() && reconciler.isOurs(u.cookie())
                    && !readableCookies.contains(u.tableId() + "/" + u.cookie())) {
                changes.add(FlowChange.deleteByCookie(u.tableId(), u.cookie()));
            } else {
                LOG.warn("switch {}: left alone a flow Flowkeeper cannot read (table {}, priority {}, cookie 0x{}): "
                        + "{}", session.name(), u.tableId(), u.priority(), Long.toHexString(u.cookie()), u.reason());
            }
        }
        if (plan.isEmpty() && changes.isEmpty()) {
            return new ReconcileResult(plan, null);
        }
        changes.addAll(plan.changes());
        BundleResult result = applyBundle(changes);
        LOG.info("switch {}: reconciled ({}{}) {}: {}", session.name(), plan,
                changes.size() > plan.size() ? ", " + (changes.size() - plan.size()) + " unreadable deleted by cookie"
                        : "", roles.localOnly() ? "adds and modifies, barrier, then deletes (OpenFlow 1.0)"
                        : "in one bundle", result.committed() ? "committed" : (roles.localOnly() ? "" : "DISCARDED, ")
                        + result.failures().size() + " refused");
        return new ReconcileResult(plan, result);
    }

    @Override
    public List<Flow> dumpFlows() {
        List<Flow> flows = new ArrayList<>();
        List<StatisticsReader.UnreadableFlow> unreadable = new ArrayList<>();
        reader.dump(flows, unreadable);
        if (!unreadable.isEmpty()) {
            // one line per dump, not per flow: a table full of hand-made flows must not flood the log
            LOG.warn("switch {}: dump skipped {} flow(s) Flowkeeper cannot read, first: table {} cookie 0x{}: {}",
                    session.name(), unreadable.size(), unreadable.get(0).tableId(),
                    Long.toHexString(unreadable.get(0).cookie()), unreadable.get(0).reason());
        }
        return flows;
    }

    @Override
    public void deleteByCookie(long cookie, long mask) {
        if (roles.localOnly()) {
            // a 1.0 FLOW_MOD has no cookie mask: the delete would match every flow
            throw new OpenFlowException("switch " + session.name() + " speaks OpenFlow 1.0, which cannot delete by "
                    + "cookie");
        }
        roles.awaitWritable();
        OFFactory factory = session.factory();
        long xid = session.nextXid();
        session.send(factory.buildFlowDelete().setXid(xid).setTableId(TableId.ALL).setCookie(U64.of(cookie))
                .setCookieMask(U64.of(mask)).setOutPort(OFPort.ANY).setOutGroup(OFGroup.ANY)
                .setMatch(factory.buildMatch().build()).setBufferId(OFBufferId.NO_BUFFER).build());
        session.barrier();
        session.checkBatchErrors(xid, 1, i -> "delete cookie=0x" + Long.toHexString(cookie));
    }
}
