package io.flowkeeper.api.switches;

/**
 * Handles packets switches send to the controller. Called on the southbound's I/O threads: keep it short, hand
 * blocking work (a packet-out, a store write) to another thread.
 */
@FunctionalInterface
public interface PacketProcessor {
    /**
     * @return true when the packet is handled: processors of lower priority do not see it
     */
    boolean process(Switch sw, PacketIn packet);
}
