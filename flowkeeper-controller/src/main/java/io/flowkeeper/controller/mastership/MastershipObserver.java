package io.flowkeeper.controller.mastership;

/**
 * Told what this node's switch masters do, for the operator's view (metrics and the dashboard's timeline). Called on
 * the switch's serial thread: an observer must return quickly and never call back into the switch master.
 */
public interface MastershipObserver {
    /** Observes nothing: what a node without metrics gets. */
    MastershipObserver NONE = new MastershipObserver() {
    };

    /**
     * The switch granted this node MASTER at {@code generation}; {@code nanos} from the ownership change that made
     * this node the owner (as delivered here) to the switch's ROLE_REPLY.
     */
    default void masterGranted(long dpid, long generation, long nanos) {
    }

    /** A takeover's reconcile ended: {@code flows} desired flows, {@code changes} of them written, in {@code nanos}. */
    default void reconciled(long dpid, long generation, int flows, int changes, long nanos) {
    }

    /** One bundle of changes was written and committed by the switch in {@code nanos} (failed or not). */
    default void bundleWritten(long dpid, long nanos, boolean ok) {
    }
}
