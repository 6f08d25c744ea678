package io.flowkeeper.cli.bench;

import io.flowkeeper.api.util.Threads;
import io.flowkeeper.controller.RestClient;
import io.flowkeeper.controller.local.LocalCluster;
import io.flowkeeper.testbed.OvsHost;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * {@code flowkeeper agent} in its own JVM, as on a real host (and with its own heap limit, which is how the
 * benchmark proves the agent's memory bound). Its status lines are parsed into events with arrival times.
 */
public final class AgentProcess implements AutoCloseable {
    /** One status line: the first word and its {@code key=value} pairs, stamped when read. */
    public record Event(String kind, Map<String, String> fields, Instant at) {
        public long number(String key) {
            return Long.parseLong(fields.get(key));
        }
    }

    private final Process process;
    private final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final List<String> output = new ArrayList<>();

    AgentProcess(Path ovsRundir, String bridge, Path snapshotDir, String maxHeap) throws IOException {
        this(maxHeap, List.of("--ovs-rundir", ovsRundir.toString(), "--bridge", bridge, "--snapshot-dir",
                snapshotDir.toString(), "--report-journal"));
    }

    /** Starts {@code flowkeeper agent ARGUMENTS} with at most {@code maxHeap} of heap (e.g. {@code 128m}). */
    public AgentProcess(String maxHeap, List<String> arguments) throws IOException {
        this(maxHeap, arguments, null);
    }

    /**
     * The same inside network namespace {@code netns} (null: this process's), as on a host whose links a test can
     * cut: the agent then reaches the cluster through the host's own management link.
     */
    public AgentProcess(String maxHeap, List<String> arguments, String netns) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>();
        if (netns != null) {
            command.addAll(List.of("ip", "netns", "exec", netns)); // execs java: the process is the agent's JVM
        }
        command.addAll(List.of(java, "-Xmx" + maxHeap, "-XX:+UseSerialGC", "-cp",
                LocalCluster.classPath(), "io.flowkeeper.cli.Main", "agent"));
        command.addAll(arguments);
        // umask 077, as bin/flowkeeper runs the agent: whatever it creates is its user's alone.
        process = new ProcessBuilder(io.flowkeeper.api.io.PrivateFiles.withPrivateUmask(command))
                .redirectErrorStream(true).start();
        Threads.startDaemon("agent-output", this::read);
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                Instant at = Instant.now();
                synchronized (output) {
                    output.add(line);
                }
                String[] words = line.split(" ");
                Map<String, String> fields = new HashMap<>();
                for (String w : words) {
                    int eq = w.indexOf('=');
                    if (eq > 0) {
                        fields.put(w.substring(0, eq), w.substring(eq + 1));
                    }
                }
                events.add(new Event(words[0], fields, at));
            }
        } catch (IOException e) {
            // the agent ended
        }
    }

    /**
     * The arguments of {@code flowkeeper agent} on {@code host} as an operator gives them for the cluster side:
     * every node's REST and OpenFlow address, the token from a file, the host's name and tunnel address.
     */
    public static List<String> clusterArguments(LocalCluster cluster, OvsHost host) {
        return clusterArguments(cluster, host, cluster.size());
    }

    /** The same, naming only the cluster's first {@code nodes} nodes (e.g. only those with a log file). */
    public static List<String> clusterArguments(LocalCluster cluster, OvsHost host, int nodes) {
        List<String> args = new ArrayList<>(List.of("--ovs-rundir", host.runDir().toString(), "--snapshot-dir",
                host.runDir().resolve("snapshots").toString()));
        for (int i = 0; i < nodes; i++) {
            args.addAll(List.of("--api", cluster.restUrl(i), "--controller", cluster.openflowAddress(i)));
        }
        args.addAll(List.of("--token-file", cluster.apiTokenFile().toString(), "--host", host.name(), "--tunnel-ip",
                host.underlayIp()));
        return args;
    }

    /**
     * Waits until a Neutron port is ACTIVE: its host's agent reported the plug and its flows are on the switch.
     */
    public static void awaitPortActive(RestClient api, String port, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        String status = "";
        while (System.nanoTime() < deadline) {
            status = api.get("/v2.0/ports/" + port).body().path("port").path("status").asText();
            if (status.equals("ACTIVE")) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("port " + port + " still " + status + " after " + timeout.toSeconds() + " s");
    }

    /** Waits for one event of each kind (in any order: waiting for one skips the others). */
    public Map<String, Event> awaitKinds(Duration timeout, String... kinds) throws InterruptedException {
        Set<String> left = new LinkedHashSet<>(List.of(kinds));
        Map<String, Event> seen = new HashMap<>();
        while (!left.isEmpty()) {
            Event e = await(ev -> left.contains(ev.kind()), timeout, String.join(" and ", left));
            left.remove(e.kind());
            seen.put(e.kind(), e);
        }
        return seen;
    }

    /** Waits for the next event matching {@code wanted}, skipping others. */
    public Event await(Predicate<Event> wanted, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            Event e = left <= 0 ? null : events.poll(left, TimeUnit.NANOSECONDS);
            if (e == null) {
                throw new IllegalStateException("agent: no " + what + " within " + timeout.toSeconds()
                        + " s; its output: " + tail());
            }
            if (wanted.test(e)) {
                return e;
            }
        }
    }

    public void clearEvents() {
        events.clear();
    }

    /** The status lines not yet awaited, taken out in arrival order. */
    public List<Event> drainEvents() {
        List<Event> out = new ArrayList<>();
        events.drainTo(out);
        return out;
    }

    /** Every line the agent printed so far (status lines and, at its log level, log lines), in order. */
    public List<String> lines() {
        synchronized (output) {
            return List.copyOf(output);
        }
    }

    private String tail() {
        synchronized (output) {
            return String.join(" | ", output.subList(Math.max(0, output.size() - 10), output.size()));
        }
    }

    /** kill -9: the agent ends at once, as in a crash (what it installed stays behind). */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy(); // SIGTERM: the agent closes its snapshots cleanly
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
