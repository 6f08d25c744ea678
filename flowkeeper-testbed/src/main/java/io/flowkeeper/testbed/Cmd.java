package io.flowkeeper.testbed;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a short-lived command and returns its output. The one place the test bed starts processes that are
 * expected to finish; long-running ones (pings) are started by their owners.
 */
public final class Cmd {
    private static final Logger LOG = LoggerFactory.getLogger(Cmd.class);

    /** Long enough for a cold {@code ovs-vswitchd} start or a 200k-flow {@code ovs-ofctl} call on 2 busy cores. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(120);

    private Cmd() {
    }

    /** The result of a finished command. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    /** Runs the command and fails with its stderr when it exits non-zero. */
    public static String run(List<String> command) {
        return run(command, Map.of(), DEFAULT_TIMEOUT);
    }

    public static String run(String... command) {
        return run(List.of(command));
    }

    /** Runs the command with extra environment variables and fails with its stderr when it exits non-zero. */
    public static String run(List<String> command, Map<String, String> env, Duration timeout) {
        Result r = exec(command, env, timeout);
        if (!r.ok()) {
            throw new TestBedException("command failed (exit " + r.exitCode() + "): " + String.join(" ", command)
                    + (r.stderr().isBlank() ? "" : ": " + r.stderr().strip()));
        }
        return r.stdout();
    }

    /** Runs the command and returns the result whatever the exit code; fails only on timeout or I/O error. */
    public static Result exec(List<String> command, Map<String, String> env, Duration timeout) {
        LOG.debug("exec {}", command);
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new TestBedException("cannot start " + command.get(0) + " (is it installed?): " + e.getMessage(), e);
        }
        try {
            p.getOutputStream().close();
        } catch (IOException ignored) {
            // the child does not read stdin
        }
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new TestBedException("command timed out after " + timeout.toSeconds() + " s: "
                        + String.join(" ", command));
            }
            return new Result(command, p.exitValue(), out.join(), err.join());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new TestBedException("interrupted while running " + String.join(" ", command), e);
        }
    }

    /** Like {@link #exec(List, Map, Duration)} with no extra environment and the default timeout. */
    public static Result exec(String... command) {
        return exec(List.of(command), Map.of(), DEFAULT_TIMEOUT);
    }

    /**
     * Own daemon threads, not the common pool: on 2 cores the common pool has one thread, and draining stdout and
     * stderr one after the other deadlocks a child that fills the other pipe.
     */
    private static final ExecutorService DRAINERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "testbed-cmd-drain");
        t.setDaemon(true);
        return t;
    });

    private static CompletableFuture<String> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, DRAINERS);
    }

    /** {@code ip netns exec NS} prefixed to a command. */
    static List<String> inNetns(String netns, List<String> command) {
        List<String> full = new ArrayList<>(command.size() + 4);
        full.add("ip");
        full.add("netns");
        full.add("exec");
        full.add(netns);
        full.addAll(command);
        return full;
    }
}
