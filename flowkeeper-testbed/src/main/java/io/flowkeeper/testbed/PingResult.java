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
 * @param replySequences the icmp_seq of each reply, in the order of {@code replyTimes}
 */
public record PingResult(int sent, int received, List<Integer> lostSequences, Duration longestGap,
        List<java.time.Instant> replyTimes, List<Integer> replySequences) {
    public PingResult {
        lostSequences = List.copyOf(lostSequences);
        replyTimes = List.copyOf(replyTimes);
        replySequences = List.copyOf(replySequences);
    }

    /**
     * The requests lost after forwarding resumed: those sent after the request whose reply was the first to arrive
     * after {@code t} (an outage that began before {@code t}, e.g. a reboot, is not counted; anything dropped once
     * the data plane answered again is).
     */
    public List<Integer> lostAfterFirstReplyAfter(java.time.Instant t) {
        for (int i = 0; i < replyTimes.size(); i++) {
            if (replyTimes.get(i).isAfter(t)) {
                int resumedAt = replySequences.get(i);
                return lostSequences.stream().filter(seq -> seq > resumedAt).toList();
            }
        }
        return List.of();
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
