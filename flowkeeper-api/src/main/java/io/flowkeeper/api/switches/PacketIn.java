package io.flowkeeper.api.switches;

/** A packet sent to the controller: where it came in, which table sent it, the bytes. */
public record PacketIn(long inPort, int tableId, long cookie, byte[] data) {
}
