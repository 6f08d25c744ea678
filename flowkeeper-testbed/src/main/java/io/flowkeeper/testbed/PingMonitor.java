package io.flowkeeper.testbed;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A continuous ping from a VM, for measuring loss across failovers. Runs {@code ping -D -O} (timestamps, and a
 * line for every request still unanswered when the next one goes out), so every request that was sent shows up in
 * the output, answered or not.
 *
 * <p>Stopping is two-phase: requests sent up to the moment of {@link #stop()} are judged; the monitor then waits a
 * grace period for their late replies before ending ping, so a reply still in flight is not counted as loss.
 * {@code icmp_seq} wraps at 65,536: keep a monitor under 10 minutes at 10 ms.
 */
public final class PingMonitor {
    private static final Pattern REPLY = Pattern.compile("^\\[(\\d+\\.\\d+)] \\d+ bytes from .*icmp_seq=(\\d+)");
    private static final Pattern SEQ = Pattern.compile("icmp_seq=(\\d+)");
    /** Late replies still count if they arrive within this long after stop(). */
    private static final Duration GRACE = Duration.ofSeconds(1);

    private final Process process;
    private final Thread reader;
    /** icmp_seq to reply time (epoch micros), for answered requests. */
    private final TreeMap<Integer, Long> replies = new TreeMap<>();
    private int highestSeqSeen;

    private PingMonitor(Process process) {
        this.process = process;
        this.reader = new Thread(this::readOutput, "ping-monitor");
        this.reader.setDaemon(true);
        this.reader.start();
    }

    static PingMonitor start(String netns, String destination, Duration interval) {
        String seconds = String.format(java.util.Locale.ROOT, "%.3f", interval.toMillis() / 1000.0);
        // stdbuf: ping writes through stdio, block-buffered on a pipe; we need each line as it happens.
        List<String> cmd = Cmd.inNetns(netns, List.of("stdbuf", "-oL", "ping", "-n", "-D", "-O",
                "-i", seconds, "-W", "1", destination));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            return new PingMonitor(p);
        } catch (IOException e) {
            throw new TestBedException("cannot start ping: " + e.getMessage(), e);
        }
    }

    private void readOutput() {
        try (BufferedReader in = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                parse(line);
            }
        } catch (IOException e) {
            // the process was ended: whatever was read is the result
        }
    }

    private synchronized void parse(String line) {
        Matcher seq = SEQ.matcher(line);
        if (!seq.find()) {
            return;
        }
        int n = Integer.parseInt(seq.group(1));
        highestSeqSeen = Math.max(highestSeqSeen, n);
        Matcher reply = REPLY.matcher(line);
        if (reply.find() && !line.contains("DUP!")) {
            long micros = (long) (Double.parseDouble(reply.group(1)) * 1_000_000L);
            replies.putIfAbsent(n, micros);
        }
    }

    /** Requests ping has reported so far (answered or not): above 0 once it is sending. */
    public synchronized int sentSoFar() {
        return highestSeqSeen;
    }

    /** The earliest reply so far (ping's own timestamp), without ending ping. */
    public synchronized java.util.Optional<java.time.Instant> firstReply() {
        return replies.values().stream().min(Long::compare)
                .map(us -> java.time.Instant.ofEpochSecond(us / 1_000_000, (us % 1_000_000) * 1000));
    }

    /** Replies received so far (for waiting until traffic flows before a failover starts). */
    public synchronized int receivedSoFar() {
        return replies.size();
    }

    /**
     * Ends the window: requests sent until now are judged, their late replies awaited for a grace period, then
     * ping is ended.
     */
    public PingResult stop() {
        int judgedUpTo;
        synchronized (this) {
            judgedUpTo = highestSeqSeen;
        }
        try {
            Thread.sleep(GRACE.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        abort();
        synchronized (this) {
            if (!process.isAlive() && judgedUpTo == 0 && replies.isEmpty() && process.exitValue() == 2) {
                throw new TestBedException("ping could not start (exit 2)");
            }
            List<Integer> lost = new ArrayList<>();
            int received = 0;
            long previous = -1;
            long longestGapMicros = 0;
            for (int seq = 1; seq <= judgedUpTo; seq++) {
                Long at = replies.get(seq);
                if (at == null) {
                    lost.add(seq);
                } else {
                    received++;
                    if (previous >= 0) {
                        longestGapMicros = Math.max(longestGapMicros, at - previous);
                    }
                    previous = at;
                }
            }
            List<Map.Entry<Integer, Long>> byTime = replies.entrySet().stream()
                    .sorted(Map.Entry.comparingByValue()).toList();
            List<java.time.Instant> times = byTime.stream().map(e -> java.time.Instant.ofEpochSecond(
                    e.getValue() / 1_000_000, (e.getValue() % 1_000_000) * 1000)).toList();
            return new PingResult(judgedUpTo, received, lost, Duration.ofNanos(longestGapMicros * 1000), times,
                    byTime.stream().map(Map.Entry::getKey).toList());
        }
    }

    /** Ends ping without judging (cleanup, or once {@link #firstReply} is all that was wanted). */
    public void abort() {
        process.destroy();
        try {
            if (!process.waitFor(2, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
