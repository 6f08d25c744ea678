package io.flowkeeper.api.switches;

import java.util.Map;

/**
 * One connected switch, as seen through this controller's session with it: identity, ports, features, negotiated
 * version and this controller's role; it programs flows ({@link FlowProgrammer}) and reads counters
 * ({@link SwitchStatistics}). A new session after a reconnect is a new {@code Switch} with the same dpid.
 *
 * <p>Accessors read state kept current by the session and never block. {@link #requestRole} and the programmer
 * and statistics methods block (see {@link FlowProgrammer} for the threads they must not run on).
 */
public interface Switch extends FlowProgrammer, SwitchStatistics {
    /** The datapath id. */
    long dpid();

    /** The datapath id as 16 hex digits, as OVS prints it. */
    default String dpidString() {
        return String.format("%016x", dpid());
    }

    /** Where the session comes from (the switch's address and port), for logs and the API. */
    String remoteAddress();

    /** The negotiated OpenFlow wire version: 0x01 for OpenFlow 1.0, 0x04 for 1.3, 0x05 for 1.4. */
    int version();

    /** What the switch said of itself at the handshake. */
    SwitchFeatures features();

    /** The switch's ports by number, kept current from its port-status messages. */
    Map<Long, PortInfo> ports();

    /** Whether the session is still up; once false it stays false. */
    boolean isActive();

    /**
     * Whether the session ended because the switch closed it (EOF or a reset): its {@code ovs-vswitchd} exited or
     * dropped this controller. False while the session is up, and when it ended on this side (a dead-peer timeout, a
     * close by this controller, a protocol error): a cut link gives no EOF, only a timeout, so this tells a dead
     * switch process from a partition.
     */
    default boolean closedByPeer() {
        return false;
    }

    /** The role the switch last confirmed for this controller: in a role reply, or since in a role status. */
    ControllerRole role();

    /** The role the switch last announced on its own (another controller took over, ...), or null. */
    ControllerRole lastRoleStatus();

    /** The generation id of the last role request the switch granted, or -1. */
    long generationId();

    /**
     * Asks the switch for a role with a generation id from an ever-growing counter (the switch keeps the highest
     * it saw, across sessions). Writes issued meanwhile wait for the answer.
     *
     * @return the role the switch granted
     * @throws SwitchException.StaleGeneration when the switch has seen a newer generation id: this controller is
     *     deposed
     */
    ControllerRole requestRole(ControllerRole wanted, long generation);

    /**
     * A check run right before every write (each install, batch or reconcile, and each round of a batch that goes
     * out in rounds): when it fails the write is refused with {@link SwitchException.NotMaster} and nothing is sent.
     * The cluster passes "this node still holds its lease and the switch's entity at the generation it is master
     * at". On OpenFlow 1.3/1.4 the switch fences a deposed master by the role's generation id as well; OpenFlow 1.0
     * has none, so there this check is the only fence. Default: no check.
     */
    default void writePermit(java.util.function.BooleanSupplier permit) {
    }

    /** Ends the session; the switch reconnects on its own. */
    void close();
}
