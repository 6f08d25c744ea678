package io.flowkeeper.api.flow.reconcile;

import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.FlowId;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * Desired vs actual, by flow identity (table, priority, match). Flows are "ours" when their cookie carries our
 * prefix under the mask; a flow that is not ours is left alone unless {@code deleteForeign} is set, so an
 * operator's hand-made flow survives reconciliation by default. Never deletes because something is unknown:
 * only what the dump shows and the desired set lacks.
 */
public final class FlowReconciler {
    private final long cookiePrefix;
    private final long cookieMask;
    private final boolean deleteForeign;

    /**
     * @param cookiePrefix the cookie bits that mark our flows (e.g. 0xf1000000_00000000)
     * @param cookieMask which bits of the cookie hold the prefix
     * @param deleteForeign also delete flows that do not carry our prefix
     */
    public FlowReconciler(long cookiePrefix, long cookieMask, boolean deleteForeign) {
        this.cookiePrefix = cookiePrefix & cookieMask;
        this.cookieMask = cookieMask;
        this.deleteForeign = deleteForeign;
    }

    public boolean isOurs(Flow f) {
        return isOurs(f.cookie());
    }

    /** Whether a flow with this cookie carries our prefix. */
    public boolean isOurs(long cookie) {
        return (cookie & cookieMask) == cookiePrefix;
    }

    /** The minimal change from {@code actual} to {@code desired}. */
    public ReconcilePlan diff(Collection<Flow> desired, Collection<Flow> actual) {
        Map<FlowId, Flow> have = new HashMap<>(actual.size() * 2);
        for (Flow f : actual) {
            have.put(f.id(), f);
        }
        ReconcilePlan.Builder plan = ReconcilePlan.builder();
        Map<FlowId, Flow> want = new HashMap<>(desired.size() * 2);
        for (Flow d : desired) {
            if (want.put(d.id(), d) != null) {
                throw new IllegalArgumentException("two desired flows with the same table, priority and match: " + d);
            }
            plan.change(have.get(d.id()), d);
        }
        for (Flow a : actual) {
            if (!want.containsKey(a.id()) && (deleteForeign || isOurs(a))) {
                plan.change(a, null);
            }
        }
        return plan.build();
    }
}
