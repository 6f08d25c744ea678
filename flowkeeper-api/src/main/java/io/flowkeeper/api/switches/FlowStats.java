package io.flowkeeper.api.switches;

import io.flowkeeper.api.flow.Flow;

/** A flow with the switch's counters for it. */
public record FlowStats(Flow flow, long packets, long bytes, long durationSeconds) {
}
