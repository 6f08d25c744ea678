package io.flowkeeper.openflow;

/** Hears switches come and go. Called on Netty event-loop threads: hand long work to another thread. */
public interface SwitchListener {
    /** A listener that only cares about switches connecting. */
    static SwitchListener onConnect(java.util.function.Consumer<SwitchConnection> action) {
        return action::accept;
    }

    /** The handshake completed: the connection is ACTIVE and usable. */
    void switchConnected(SwitchConnection connection);

    /** The connection closed (switch gone, dead peer, or closed by us). */
    default void switchDisconnected(SwitchConnection connection) {
    }

    /** A port was added, removed or changed. */
    default void portChanged(SwitchConnection connection, PortInfo port, String reason) {
    }

    /**
     * The switch announced a role change for this connection (ROLE_STATUS; on OpenFlow 1.3 OVS's ONF extension):
     * typically another controller became MASTER with a newer generation id and this one is now SLAVE. Mastership
     * should act on this at once rather than wait for its next write to be refused.
     */
    default void roleChanged(SwitchConnection connection, ControllerRole role, String reason, long generationId) {
    }

    /** A packet the switch sent to the controller (master and equal connections only). */
    default void packetIn(SwitchConnection connection, PacketIn packet) {
    }
}
