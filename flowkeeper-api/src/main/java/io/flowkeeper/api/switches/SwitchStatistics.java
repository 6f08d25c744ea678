package io.flowkeeper.api.switches;

import java.util.List;

/** Counters of one switch, read on request. Blocking, like {@link FlowProgrammer}: never on I/O threads. */
public interface SwitchStatistics {
    /** Every flow the model can express, with its packet and byte counters. */
    List<FlowStats> flowStats();

    /** Counters of every port. */
    List<PortStats> portStats();
}
