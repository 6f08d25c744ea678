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
 * @param replyTimes when each reply arrived, ascending (ping's own timestamps)
 */
public record PingResult(int sent, int received, List<Integer> lostSequences, Duration longestGap,
        List<java.time.Instant> replyTimes) {
    public PingResult {
        lostSequences = List.copyOf(lostSequences);
        replyTimes = List.copyOf(replyTimes);
    }

    /** The first reply that arrived after {@code t}, if any. */
    public java.util.Optional<java.time.Instant> firstReplyAfter(java.time.Instant t) {
        return replyTimes.stream().filter(r -> r.isAfter(t)).findFirst();
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
