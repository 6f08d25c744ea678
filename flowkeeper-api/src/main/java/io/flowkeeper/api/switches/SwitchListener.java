package io.flowkeeper.api.switches;

/**
 * Hears switches come and go. Called on the southbound's I/O threads, one switch's events in order: hand anything
 * that blocks (every {@link FlowProgrammer} call) to another thread.
 */
public interface SwitchListener {
    /** A listener that only cares about switches connecting. */
    static SwitchListener onConnect(java.util.function.Consumer<Switch> action) {
        return action::accept;
    }

    /** The handshake completed: the switch is usable. */
    void switchConnected(Switch sw);

    /** The session closed (switch gone, dead peer, or closed by us). */
    default void switchDisconnected(Switch sw) {
    }

    /** A port was added, removed or changed; {@code reason} is ADD, DELETE or MODIFY. */
    default void portChanged(Switch sw, PortInfo port, String reason) {
    }

    /**
     * The switch announced a role change for this controller on its own: typically another controller became
     * MASTER with a newer generation id and this one is now SLAVE. Act on it at once rather than wait for the next
     * write to be refused.
     */
    default void roleChanged(Switch sw, ControllerRole role, String reason, long generationId) {
    }
}
