/**
 * The reconciler's decision, pure: desired flow set + actual flow set in, the minimal change out
 * ({@link io.flowkeeper.api.flow.reconcile.FlowReconciler}). No I/O and no OpenFlow library here, so the
 * controller, the southbound and tests share one diff; applying the plan in one bundle is the southbound's job.
 */
package io.flowkeeper.api.flow.reconcile;
