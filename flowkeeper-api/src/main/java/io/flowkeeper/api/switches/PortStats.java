package io.flowkeeper.api.switches;

/** A port's counters. */
public record PortStats(long port, long rxPackets, long txPackets, long rxBytes, long txBytes, long rxDropped,
        long txDropped) {
}
