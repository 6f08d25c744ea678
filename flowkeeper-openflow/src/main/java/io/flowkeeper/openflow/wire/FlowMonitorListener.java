package io.flowkeeper.openflow.wire;

import java.util.List;

/**
 * Hears a flow monitor's events, in the order the switch sent them, on the session's reader thread (keep it
 * fast: the switch pauses a monitor whose reader falls behind).
 */
public interface FlowMonitorListener {
    /**
     * One monitor reply's events.
     *
     * @param initialDumpComplete true on the last reply of the initial dump: every INITIAL event has been
     *     delivered, what follows are changes
     */
    void onUpdates(List<FlowUpdate> updates, boolean initialDumpComplete);

    /** The session ended (the switch restarted or closed the socket). */
    default void onDisconnect(Throwable cause) {
    }
}
