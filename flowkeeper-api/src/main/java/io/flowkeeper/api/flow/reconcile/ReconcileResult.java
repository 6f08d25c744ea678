package io.flowkeeper.api.flow.reconcile;

import io.flowkeeper.api.flow.BundleResult;

/** A reconciliation: what was planned and how the bundle went (null bundle: nothing to do). */
public record ReconcileResult(ReconcilePlan plan, BundleResult bundle) {
    public boolean applied() {
        return bundle == null || bundle.committed();
    }
}
