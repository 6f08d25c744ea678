package io.flowkeeper.testbed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes what test-bed runs whose JVM is gone left behind: processes inside their namespaces ({@code
 * ovs-vswitchd}, {@code ovsdb-server}, pings, DHCP clients), the namespaces, root-namespace links and run
 * directories. A run is alive while the JVM recorded in its {@code owner} file (pid and start time, so a reused
 * pid does not count) still runs; live runs of other JVMs are never touched, and neither are runs without a
 * directory here (they belong to a test bed in another mount namespace: root links are kernel-wide).
 */
public final class Sweeper {
    private static final Logger LOG = LoggerFactory.getLogger(Sweeper.class);

    /** Netns names: {@code fk-<run>-<host>[-<vm>]}. */
    static final Pattern NETNS = Pattern.compile("^fk-([a-z0-9]{4})-\\S+");
    /** Root links: {@code fk<run>m}, {@code fk<run>u} (bridges) and {@code fk<run>m<N>}, {@code fk<run>u<N>}. */
    static final Pattern LINK = Pattern.compile("^fk([a-z0-9]{4})[mu]\\d*$");

    private Sweeper() {
    }

    /** Sweeps every run under {@code root} and on this machine whose owner is dead; returns their ids. */
    public static synchronized List<String> sweepDeadRuns(Path root) {
        TreeSet<String> dead = new TreeSet<>();
        for (String run : knownRuns(root)) {
            // Only a run with a directory here can be judged: root links are kernel-wide, so a run seen only
            // through them may belong to a live test bed in another mount namespace (a chroot or container
            // sharing this network namespace), whose owner record we cannot see.
            if (Files.isDirectory(root.resolve(run)) && !ownerAlive(root, run)) {
                dead.add(run);
            }
        }
        for (String run : dead) {
            sweep(root, run);
        }
        if (!dead.isEmpty()) {
            LOG.info("swept {} test-bed run(s) left behind by dead processes: {}", dead.size(), dead);
        }
        return List.copyOf(dead);
    }

    /** Every run id seen in run directories, namespaces or root links. */
    static TreeSet<String> knownRuns(Path root) {
        TreeSet<String> runs = new TreeSet<>();
        if (Files.isDirectory(root)) {
            try (Stream<Path> dirs = Files.list(root)) {
                dirs.map(p -> p.getFileName().toString()).filter(n -> n.matches("[a-z0-9]{4}")).forEach(runs::add);
            } catch (IOException e) {
                LOG.warn("cannot list {}: {}", root, e.getMessage());
            }
        }
        for (String ns : namespaces()) {
            Matcher m = NETNS.matcher(ns);
            if (m.matches()) {
                runs.add(m.group(1));
            }
        }
        for (String link : rootLinks()) {
            Matcher m = LINK.matcher(link);
            if (m.matches()) {
                runs.add(m.group(1));
            }
        }
        return runs;
    }

    /** Removes everything of one run, whoever owns it. */
    static void sweep(Path root, String run) {
        for (String ns : namespaces()) {
            if (ns.startsWith("fk-" + run + "-")) {
                killNamespace(ns);
            }
        }
        for (String link : rootLinks()) {
            Matcher m = LINK.matcher(link);
            if (m.matches() && m.group(1).equals(run)) {
                Cmd.exec("ip", "link", "del", link);
            }
        }
        deleteRecursively(root.resolve(run));
    }

    /** Kills every process inside a namespace (SIGKILL), then deletes the namespace. */
    static void killNamespace(String netns) {
        Cmd.Result pids = Cmd.exec("ip", "netns", "pids", netns);
        if (pids.ok()) {
            for (String pid : pids.stdout().split("\\s+")) {
                if (!pid.isBlank()) {
                    try {
                        Processes.killAndWait(Long.parseLong(pid.strip()), java.time.Duration.ofSeconds(5));
                    } catch (TestBedException e) {
                        LOG.warn("in {}: {}", netns, e.getMessage());
                    }
                }
            }
        }
        Cmd.exec("ip", "netns", "del", netns);
    }

    static List<String> namespaces() {
        Cmd.Result r = Cmd.exec("ip", "netns", "list");
        List<String> names = new ArrayList<>();
        if (r.ok()) {
            for (String line : r.stdout().split("\n")) {
                String trimmed = line.strip();
                if (!trimmed.isEmpty()) {
                    names.add(trimmed.split("\\s+")[0]);
                }
            }
        }
        return names;
    }

    static List<String> rootLinks() {
        Cmd.Result r = Cmd.exec("ip", "-o", "link", "show");
        List<String> names = new ArrayList<>();
        if (r.ok()) {
            for (String line : r.stdout().split("\n")) {
                String[] parts = line.split(":\\s+", 3);
                if (parts.length >= 2) {
                    names.add(parts[1].split("@")[0].strip());
                }
            }
        }
        return names;
    }

    /** Owner file content: {@code <pid> <start time, epoch ms>}. */
    static String ownerRecord(ProcessHandle process) {
        long started = process.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(0L);
        return process.pid() + " " + started + "\n";
    }

    static boolean ownerAlive(Path root, String run) {
        Path owner = root.resolve(run).resolve("owner");
        Optional<String> record = read(owner);
        if (record.isEmpty()) {
            return false;
        }
        String[] parts = record.get().strip().split("\\s+");
        try {
            long pid = Long.parseLong(parts[0]);
            Optional<ProcessHandle> ph = ProcessHandle.of(pid);
            return ph.isPresent() && ownerRecord(ph.get()).strip().equals(record.get().strip());
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            return false;
        }
    }

    private static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.warn("cannot delete {}: {}", p, e.getMessage());
                }
            });
        } catch (IOException e) {
            LOG.warn("cannot walk {}: {}", dir, e.getMessage());
        }
    }

    /** What of a run is still on the machine (for tests and {@code flowkeeper testbed list}). */
    public static Map<String, List<String>> leftovers(String run) {
        List<String> ns = namespaces().stream().filter(n -> n.startsWith("fk-" + run + "-")).toList();
        List<String> links = rootLinks().stream().filter(l -> {
            Matcher m = LINK.matcher(l);
            return m.matches() && m.group(1).equals(run);
        }).toList();
        return Map.of("namespaces", ns, "links", links);
    }
}
