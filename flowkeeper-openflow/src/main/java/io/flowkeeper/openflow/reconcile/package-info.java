/**
 * The reconciler's decision, pure: desired flow set + actual flow set in, the minimal change out
 * ({@link io.flowkeeper.openflow.reconcile.FlowReconciler}). No I/O and no OpenFlow library here; applying the
 * plan in one bundle is {@link io.flowkeeper.openflow.SwitchConnection#reconcile}.
 */
package io.flowkeeper.openflow.reconcile;
