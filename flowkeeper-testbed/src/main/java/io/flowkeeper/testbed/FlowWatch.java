package io.flowkeeper.testbed;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Flows added to one bridge, as they are added: one {@code ovs-ofctl monitor BRIDGE watch:} process (OpenFlow flow
 * monitoring) for as long as the watch is open, each line it prints kept with the time it was read.
 *
 * <p>Why not poll {@code dump-flows}: each poll is a new {@code ovs-ofctl} process, ~20 ms of CPU on this machine,
 * and a bench that polls every 10 ms spends most of a core doing it, on the 2 cores the measured cluster needs at
 * that very moment. The monitor costs nothing until a flow changes, and its time stamp is the moment the switch
 * told about the change, not the next poll.
 */
public final class FlowWatch implements AutoCloseable {
    private final Process process;
    private final Thread reader;
    /** Lines printed so far with {@link System#nanoTime()} when each was read; guarded by itself. */
    private final List<Seen> lines = new ArrayList<>();

    private record Seen(long nanos, String line) {
    }

    private FlowWatch(Process process) {
        this.process = process;
        this.reader = new Thread(this::readOutput, "flow-watch");
        this.reader.setDaemon(true);
        this.reader.start();
    }

    static FlowWatch start(List<String> ofctlPrefix, String bridge, Map<String, String> env) {
        // stdbuf: each event line as it happens, whatever ovs-ofctl's stdio buffering on a pipe.
        List<String> cmd = new ArrayList<>(List.of("stdbuf", "-oL"));
        cmd.addAll(ofctlPrefix);
        cmd.addAll(List.of("monitor", bridge, "watch:"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        try {
            return new FlowWatch(pb.start());
        } catch (IOException e) {
            throw new TestBedException("cannot start ovs-ofctl monitor on " + bridge + ": " + e.getMessage(), e);
        }
    }

    private void readOutput() {
        try (BufferedReader in = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                long now = System.nanoTime();
                synchronized (lines) {
                    lines.add(new Seen(now, line));
                    lines.notifyAll();
                }
            }
        } catch (IOException e) {
            // the process was closed
        } finally {
            synchronized (lines) {
                lines.notifyAll();
            }
        }
    }

    /**
     * Waits until a line of an added (or modified) flow containing {@code text} has been printed, and returns the
     * {@link System#nanoTime()} at which it was read (earlier lines count too).
     *
     * @throws TestBedException if none within {@code timeout}, or the monitor ended
     */
    public long awaitAdded(String text, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int from = 0;
        synchronized (lines) {
            while (true) {
                for (; from < lines.size(); from++) {
                    Seen s = lines.get(from);
                    if ((s.line.contains("event=ADDED") || s.line.contains("event=MODIFIED"))
                            && s.line.contains(text)) {
                        return s.nanos;
                    }
                }
                long left = deadline - System.nanoTime();
                if (!process.isAlive() && !reader.isAlive()) {
                    throw new TestBedException("ovs-ofctl monitor ended before a flow with '" + text + "' was added: "
                            + lastLines());
                }
                if (left <= 0) {
                    throw new TestBedException("no flow with '" + text + "' added within " + timeout.toMillis()
                            + " ms");
                }
                lines.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }
    }

    private String lastLines() {
        return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()).stream()
                .map(Seen::line).toList());
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(2, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
