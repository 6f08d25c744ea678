package io.flowkeeper.api.switches;

import io.flowkeeper.api.flow.Action;
import java.util.List;

/**
 * Packet-in dispatch and packet-out. Thread-safe. Only sessions that are MASTER or EQUAL get packet-ins (the
 * switch sends none to a SLAVE).
 */
public interface PacketService {
    /**
     * Registers a processor. Packet-ins go to processors in descending {@code priority} (equal priorities in
     * registration order) until one reports the packet handled.
     */
    void addProcessor(PacketProcessor processor, int priority);

    void removeProcessor(PacketProcessor processor);

    /**
     * Sends a packet through switch {@code dpid}: {@code actions} applied as if it had come in on {@code inPort}.
     * Blocks until the switch has processed it, like a {@link FlowProgrammer} write.
     *
     * @throws SwitchException when the switch is not connected or refuses the packet
     */
    void packetOut(long dpid, long inPort, List<Action> actions, byte[] data);
}
