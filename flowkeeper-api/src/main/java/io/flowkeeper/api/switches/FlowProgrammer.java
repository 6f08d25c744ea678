package io.flowkeeper.api.switches;

import io.flowkeeper.api.flow.BundleResult;
import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.FlowChange;
import io.flowkeeper.api.flow.reconcile.FlowReconciler;
import io.flowkeeper.api.flow.reconcile.ReconcileResult;
import java.util.Collection;
import java.util.List;

/**
 * Writes and reads one switch's flow tables. Every method blocks until the switch has answered (or a timeout of
 * the implementation passed) and may be called from any thread except the southbound's own I/O threads (those
 * that deliver {@link SwitchListener} events): it waits for replies that those threads read.
 *
 * <p>Writes issued while a role request is outstanding wait for its answer; a write the switch refuses because
 * this controller is SLAVE fails with {@link SwitchException.NotMaster}.
 */
public interface FlowProgrammer {
    /**
     * Applies {@code changes} in one atomic, ordered bundle: all or nothing. ADD replaces a flow of the same table,
     * priority and match; MODIFY and DELETE are strict (same table, priority and match); DELETE_BY_COOKIE removes
     * every flow of the table with exactly that cookie. If the switch refuses any change, nothing is applied and the
     * result names every refused change ({@link BundleResult#committed()} false).
     *
     * @throws SwitchException when the bundle could not be sent or answered at all
     */
    BundleResult applyBundle(List<FlowChange> changes);

    /**
     * Installs flows as ADDs as fast as the switch takes them, not atomically (use {@link #applyBundle} for that).
     *
     * @throws SwitchException naming the first flow the switch refused, and how many it refused
     */
    void install(Collection<Flow> flows);

    /**
     * Makes the switch hold exactly {@code desired} among the flows {@code reconciler} calls ours, with the
     * reconciler's minimal plan applied in one bundle: traffic never sees a partial table. Flows that are not ours
     * are left alone unless the reconciler deletes foreign flows.
     *
     * @throws SwitchException.NotMaster when this controller is SLAVE on the switch (checked before dumping)
     */
    ReconcileResult reconcile(Collection<Flow> desired, FlowReconciler reconciler);

    /**
     * Every flow of every table the model can express; flows it cannot (someone's vendor actions) are skipped and
     * logged, never a failure.
     */
    List<Flow> dumpFlows();

    /** Deletes every flow, in every table, whose cookie equals {@code cookie} under {@code mask}. */
    void deleteByCookie(long cookie, long mask);
}
