package io.flowkeeper.api.switches;

import java.util.List;

/** Counters of one switch, read on request. Blocking, like {@link FlowProgrammer}: never on I/O threads. */
public interface SwitchStatistics {
    /** Every flow the model can express, with its packet and byte counters. */
    List<FlowStats> flowStats();

    /** Counters of every port. */
    List<PortStats> portStats();

    /**
     * How many flows the switch holds in all its tables, whatever they are (the switch counts them: nothing is
     * dumped, so asking costs the same for an empty table and a full one).
     */
    long flowCount();
}
