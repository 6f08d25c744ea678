package io.flowkeeper.testbed;

import java.time.Duration;
import java.util.List;

/**
 * What a {@link PingMonitor} saw.
 *
 * @param sent echo requests sent before the monitor was stopped
 * @param received of those, how many were answered (late answers count)
 * @param lostSequences the icmp_seq of every unanswered request, ascending
 * @param longestGap the longest time between two consecutive replies (how long the data plane was dark)
 */
public record PingResult(int sent, int received, List<Integer> lostSequences, Duration longestGap) {
    public PingResult {
        lostSequences = List.copyOf(lostSequences);
    }

    public int lost() {
        return lostSequences.size();
    }

    @Override
    public String toString() {
        return sent + " sent, " + received + " received, " + lost() + " lost, longest gap "
                + longestGap.toMillis() + " ms";
    }
}
