package io.flowkeeper.api.switches;

/** A switch port as the switch describes it. */
public record PortInfo(long number, String name, long mac, boolean linkDown, boolean adminDown) {
}
