package io.flowkeeper.controller.local;

import io.flowkeeper.controller.ControllerMain;
import io.flowkeeper.api.io.PrivateFiles;
import io.flowkeeper.api.security.PemFiles;
import io.flowkeeper.controller.RestClient;
import io.flowkeeper.controller.pki.LabPki;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * N controller JVMs on 127.0.0.1. Each node {@code i} (0-based) is {@code n<i+1>}, has its own data directory and a
 * log file ({@code node-n1.log}) under the cluster's directory. Not thread-safe: drive it from one thread.
 */
public final class LocalCluster implements AutoCloseable {
    public static final String TOKEN = "local-cluster-token";
    /** The token the nodes forward calls to each other with (not an API token). */
    public static final String NODE_TOKEN = "local-cluster-node-token";
    /**
     * JVM options of every node (override: -Dflowkeeper.node.jvm-opts=...). Sized for 3-4 JVMs on 2 cores: C1 only
     * (C2 compiling took more CPU than it saved, measured by bench datastore); a heap that starts at 160 MB (starting
     * at 48 MB, a node growing its data ran 6-7 full collections where it now runs 2); the Serial collector keeping
     * 25-50% of the heap free with a quarter of it young; no full collection just because class metadata grew past
     * its 21 MB default mark; one Netty arena of 1 MB chunks; thread priorities applied (lease renewals first, see
     * bin/flowkeeper). See docs/operations.md, Cluster, for the figures.
     */
    public static final String NODE_JVM_OPTS = "-Xms160m -Xmx256m -XX:+UseSerialGC -XX:ThreadPriorityPolicy=1"
            + " -XX:MinHeapFreeRatio=25 -XX:MaxHeapFreeRatio=50 -XX:NewRatio=3"
            + " -Xss512k -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=48m -XX:MetaspaceSize=64m"
            + " -Dorg.apache.ratis.thirdparty.io.netty.allocator.numDirectArenas=1"
            + " -Dorg.apache.ratis.thirdparty.io.netty.allocator.numHeapArenas=1"
            + " -Dorg.apache.ratis.thirdparty.io.netty.allocator.maxOrder=7"
            + " -Dorg.apache.ratis.thirdparty.io.netty.leakDetection.level=disabled";

    private final Path dir;
    private final int size;
    private final List<String> ids = new ArrayList<>();
    private final Map<String, String> raft = new LinkedHashMap<>();
    private final List<Integer> restPorts = new ArrayList<>();
    private final List<Integer> openflowPorts = new ArrayList<>();
    private final String openflowHost;
    private final Process[] processes;
    private final List<String> extraYaml;
    private final Thread hook;
    private final boolean deleteOnClose;
    private final LabPki pki;
    /** Trusts the lab CA (a TLS cluster's clients); null without TLS. */
    private javax.net.ssl.SSLContext trust;

    /**
     * @param extraYaml extra lines for every node's config file (e.g. {@code snapshot-threshold: 500})
     */
    public LocalCluster(int size, Path dir, List<String> extraYaml, boolean deleteOnClose) throws IOException {
        this(size, dir, extraYaml, deleteOnClose, "127.0.0.1");
    }

    /**
     * @param openflowHost the address every node's OpenFlow server binds (each on its own free port): for switches
     *     in test-bed namespaces, the test bed's controller address
     */
    public LocalCluster(int size, Path dir, List<String> extraYaml, boolean deleteOnClose, String openflowHost)
            throws IOException {
        this(size, dir, extraYaml, deleteOnClose, openflowHost, false);
    }

    /**
     * @param tls every node gets {@code tls:} with a certificate from a lab CA made in {@code dir/pki}
     *     ({@link #pki()}): HTTPS, mutual TLS between nodes, OpenFlow over TLS
     */
    public LocalCluster(int size, Path dir, List<String> extraYaml, boolean deleteOnClose, String openflowHost,
                        boolean tls) throws IOException {
        this.openflowHost = openflowHost;
        this.pki = tls ? new LabPki(dir.resolve("pki"), Duration.ofDays(2)) : null;
        this.size = size;
        this.dir = dir;
        this.extraYaml = List.copyOf(extraYaml);
        this.deleteOnClose = deleteOnClose;
        this.processes = new Process[size];
        Files.createDirectories(dir);
        for (int i = 0; i < size; i++) {
            String id = "n" + (i + 1);
            ids.add(id);
            raft.put(id, "127.0.0.1:" + FreePorts.next());
            restPorts.add(FreePorts.next());
            openflowPorts.add(FreePorts.next());
        }
        if (pki != null) {
            List<LabPki.NodeSpec> nodes = new ArrayList<>();
            ids.forEach(id -> nodes.add(new LabPki.NodeSpec(id, List.of(openflowHost))));
            pki.init(nodes, List.of());
            trust = PemFiles.trusting("ca", pki.caCertificate());
        }
        for (int i = 0; i < size; i++) {
            writeConfig(i);
        }
        // an interrupted bench (Ctrl-C, SIGTERM) leaves neither node processes nor, when asked, their directory
        hook = new Thread(() -> {
            killAll();
            if (deleteOnClose) {
                try {
                    deleteTree(dir);
                } catch (IOException | RuntimeException e) {
                    // best effort while the JVM exits
                }
            }
        }, "local-cluster-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    public static LocalCluster inTempDir(int size, List<String> extraYaml) throws IOException {
        return new LocalCluster(size, Files.createTempDirectory("flowkeeper-cluster-"), extraYaml, true);
    }

    /** As {@link #inTempDir(int, List, String)}, every channel over TLS with certificates from {@link #pki()}. */
    public static LocalCluster inTempDirWithTls(int size, List<String> extraYaml, String openflowHost)
            throws IOException {
        return new LocalCluster(size, Files.createTempDirectory("flowkeeper-cluster-"), extraYaml, true, openflowHost,
                true);
    }

    /** The lab CA of a TLS cluster (issue host certificates with it), or null. */
    public LabPki pki() {
        return pki;
    }

    /** As {@link #inTempDir(int, List)}, with OpenFlow bound on {@code openflowHost}. */
    public static LocalCluster inTempDir(int size, List<String> extraYaml, String openflowHost) throws IOException {
        return new LocalCluster(size, Files.createTempDirectory("flowkeeper-cluster-"), extraYaml, true, openflowHost);
    }

    private void writeConfig(int i) throws IOException {
        StringBuilder y = new StringBuilder();
        y.append("node-id: ").append(ids.get(i)).append('\n');
        y.append("peers:\n");
        raft.forEach((id, address) -> y.append("  ").append(id).append(": ").append(address).append('\n'));
        y.append("rest-address: 127.0.0.1:").append(restPorts.get(i)).append('\n');
        y.append("openflow-address: ").append(openflowAddress(i)).append('\n');
        y.append("data-dir: ").append(dataDir(i)).append('\n');
        // Tokens in files of their own, never on a command line (ps shows those to every local user).
        y.append("api-token-files: [").append(writeSecret(apiTokenFile(), TOKEN)).append("]\n");
        y.append("node-token-file: ").append(writeSecret(nodeTokenFile(), NODE_TOKEN)).append('\n');
        if (pki != null) {
            y.append("tls: {ca: ").append(pki.caCertificate()).append(", cert: ").append(pki.nodeCertificate(ids.get(i)))
                    .append(", key: ").append(pki.nodeKey(ids.get(i))).append("}\n");
        }
        extraYaml.forEach(line -> y.append(line).append('\n'));
        Files.writeString(configFile(i), y.toString());
        Files.setPosixFilePermissions(configFile(i), PosixFilePermissions.fromString("rw-------"));
    }

    /** The file holding {@link #TOKEN}, for a node started outside this class. */
    public Path apiTokenFile() {
        return dir.resolve("api.token");
    }

    /** The file holding the nodes' node token. */
    public Path nodeTokenFile() {
        return dir.resolve("node.token");
    }

    /** Writes a token file readable by its owner only (0600); returns its path. */
    private static Path writeSecret(Path file, String token) throws IOException {
        if (!Files.exists(file)) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.writeString(file, token + "\n");
        return file;
    }

    /** Node id to Raft address, for clients outside the cluster (the bench). */
    public Map<String, String> raftPeers() {
        return Map.copyOf(raft);
    }

    public Path dir() {
        return dir;
    }

    /**
     * Copies every node's log ({@code node-*.log*}, restarted nodes' earlier runs included) into {@code to}, which
     * outlives the cluster's directory: for the post-mortem of a failed test or bench run.
     */
    public void keepLogs(Path to) throws IOException {
        Files.createDirectories(to);
        try (var logs = Files.newDirectoryStream(dir, "node-*.log*")) {
            for (Path log : logs) {
                Files.copy(log, to.resolve(log.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    public int size() {
        return size;
    }

    public String id(int i) {
        return ids.get(i);
    }

    public int indexOf(String id) {
        return ids.indexOf(id);
    }

    public Path dataDir(int i) {
        return dir.resolve("data-" + ids.get(i));
    }

    public Path configFile(int i) {
        return dir.resolve(ids.get(i) + ".yaml");
    }

    public Path logFile(int i) {
        return dir.resolve("node-" + ids.get(i) + ".log");
    }

    /** Where node i accepts switches: {@code host:port}. */
    public String openflowAddress(int i) {
        return openflowHost + ":" + openflowPorts.get(i);
    }

    public String restUrl(int i) {
        return (pki == null ? "http" : "https") + "://127.0.0.1:" + restPorts.get(i);
    }

    public RestClient client(int i) {
        return new RestClient(restUrl(i), TOKEN, RestClient.DEFAULT_TIMEOUT, trust);
    }

    public boolean isRunning(int i) {
        return processes[i] != null && processes[i].isAlive();
    }

    public long pid(int i) {
        return processes[i].pid();
    }

    /** Starts node i (does not wait). */
    public void start(int i) throws IOException {
        if (isRunning(i)) {
            return;
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(List.of(jvmOptions().split("\\s+")));
        cmd.addAll(List.of("-cp", classPath(), ControllerMain.class.getName(), "--config", configFile(i).toString()));
        // umask 077: Ratis creates its files with the process' default mode (as bin/flowkeeper does).
        launch(i, new ProcessBuilder(PrivateFiles.withPrivateUmask(cmd)));
    }

    /**
     * Starts node i as an operator does: {@code launcher controller --config FILE} ({@code bin/flowkeeper}, which
     * must exec the JVM so that {@link #pid} and {@link #kill} reach it), with this process' umask and the nodes'
     * JVM options in {@code FLOWKEEPER_JAVA_OPTS}. Does not wait.
     */
    public void startThrough(Path launcher, int i) throws IOException {
        if (isRunning(i)) {
            return;
        }
        ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "controller", "--config", configFile(i).toString());
        pb.environment().put("FLOWKEEPER_JAVA_OPTS", jvmOptions());
        launch(i, pb);
    }

    private static String jvmOptions() {
        return System.getProperty("flowkeeper.node.jvm-opts", NODE_JVM_OPTS).trim();
    }

    private void launch(int i, ProcessBuilder pb) throws IOException {
        // Appended, not truncated: a restarted node's log keeps what its previous run wrote before being killed.
        Files.writeString(logFile(i), "--- node " + ids.get(i) + " starting at " + LocalTime.now() + "\n",
                StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        processes[i] = pb.redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile(i).toFile())).start();
    }

    /**
     * Starts a node that is not among the configured members (one to add with add-member): its YAML names every
     * member and itself as peers, this cluster's token files, a data directory and log ({@code node-<id>.log})
     * beside the others, then {@code extraYaml}. Not tracked: the caller stops the returned process.
     */
    public Process startNewNode(String id, String raftAddress, int restPort, List<String> extraYaml)
            throws IOException {
        StringBuilder y = new StringBuilder("node-id: ").append(id).append("\npeers:\n");
        raft.forEach((peer, address) -> y.append("  ").append(peer).append(": ").append(address).append('\n'));
        y.append("  ").append(id).append(": ").append(raftAddress).append('\n')
                .append("rest-address: 127.0.0.1:").append(restPort).append('\n')
                .append("openflow-address: 127.0.0.1:").append(FreePorts.next()).append('\n')
                .append("data-dir: ").append(dir.resolve("data-" + id)).append('\n')
                .append("api-token-files: [").append(apiTokenFile()).append("]\n")
                .append("node-token-file: ").append(nodeTokenFile()).append('\n');
        extraYaml.forEach(line -> y.append(line).append('\n'));
        Path config = dir.resolve(id + ".yaml");
        Files.writeString(config, y);
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-------"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(List.of(jvmOptions().split("\\s+")));
        cmd.addAll(List.of("-cp", classPath(), ControllerMain.class.getName(), "--config", config.toString()));
        return new ProcessBuilder(PrivateFiles.withPrivateUmask(cmd)).redirectErrorStream(true)
                .redirectOutput(dir.resolve("node-" + id + ".log").toFile()).start();
    }

    public void startAll() throws IOException {
        for (int i = 0; i < size; i++) {
            start(i);
        }
    }

    /**
     * This JVM's class path, for the children. Under surefire it can be one manifest-only booter jar whose
     * Class-Path attribute lists the real entries: expand it, since a child started with that jar alone would not
     * find its main class' dependencies in every layout.
     */
    public static String classPath() {
        String cp = System.getProperty("java.class.path");
        String[] entries = cp.split(java.io.File.pathSeparator);
        if (entries.length == 1 && entries[0].endsWith(".jar")) {
            try (java.util.jar.JarFile jar = new java.util.jar.JarFile(entries[0])) {
                var manifest = jar.getManifest();
                String listed = manifest == null ? null : manifest.getMainAttributes().getValue("Class-Path");
                if (listed != null) {
                    List<String> paths = new ArrayList<>();
                    for (String url : listed.trim().split("\\s+")) {
                        paths.add(Path.of(java.net.URI.create(url)).toString());
                    }
                    return String.join(java.io.File.pathSeparator, paths);
                }
            } catch (IOException | IllegalArgumentException e) {
                return cp;
            }
        }
        return cp;
    }

    /** Waits until node i printed its ready line (every shard has a leader and REST is up). */
    public void awaitReady(int i, long timeoutMillis) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (System.currentTimeMillis() < deadline) {
            String log = Files.readString(logFile(i), StandardCharsets.UTF_8);
            log = log.substring(Math.max(0, log.lastIndexOf("--- node " + ids.get(i) + " starting at ")));
            if (log.contains(" ready: REST")) {
                return;
            }
            if (processes[i] == null || !processes[i].isAlive()) {
                // the exit code tells a crash (1) from a signal (128 + n: 137 is a SIGKILL from outside)
                throw new IOException("node " + id(i) + " exited" + (processes[i] == null ? ""
                        : " with code " + processes[i].exitValue()) + ": " + tail(log));
            }
            Thread.sleep(100);
        }
        throw new IOException("node " + id(i) + " not ready within " + timeoutMillis + " ms: "
                + tail(Files.readString(logFile(i))));
    }

    public void awaitAllReady(long timeoutMillis) throws IOException, InterruptedException {
        for (int i = 0; i < size; i++) {
            if (isRunning(i)) {
                awaitReady(i, timeoutMillis);
            }
        }
    }

    /** The log's last five lines, stack frames left out: a node that died says why in the lines around them. */
    private static String tail(String log) {
        List<String> lines = log.lines().filter(l -> !l.startsWith("\tat ") && !l.startsWith("\t... ")).toList();
        String last = String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        // a node that fails to start prints "error: ..." and then closes, whose lines push it out of the last five
        String error = lines.stream().filter(l -> l.startsWith("error: ")).reduce((a, b) -> b).orElse(null);
        return error == null || last.contains(error) ? last : error + " | ... | " + last;
    }

    /** kill -9. */
    public void kill(int i) throws InterruptedException {
        if (processes[i] != null) {
            processes[i].destroyForcibly();
            processes[i].waitFor();
        }
    }

    /** SIGTERM and wait for a clean stop (kill -9 after 10 s). */
    public void stop(int i) throws InterruptedException {
        if (processes[i] != null) {
            processes[i].destroy();
            if (!processes[i].waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                kill(i);
            }
        }
    }

    /** Deletes node i's data directory (the node must be stopped). */
    public void wipe(int i) throws IOException {
        deleteTree(dataDir(i));
    }

    /** Resident set size of node i in bytes, from /proc (0 where unavailable). */
    public long rssBytes(int i) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid(i)), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }

    private void killAll() {
        for (Process p : processes) {
            if (p != null && p.isAlive()) {
                p.destroyForcibly();
            }
        }
        for (Process p : processes) {
            if (p != null) {
                try {
                    p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    @Override
    public void close() {
        killAll();
        String keep = System.getProperty("flowkeeper.keep-logs");
        if (keep != null) {
            // For the post-mortem of a bench or test run, failed or not: one folder per cluster (a run may build
            // several), named after the cluster's temp directory.
            try {
                Path to = Path.of(keep).resolve(dir.getFileName());
                keepLogs(to);
                System.err.println("node logs kept in " + to);
            } catch (IOException e) {
                System.err.println("could not keep the node logs: " + e);
            }
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down
        }
        if (deleteOnClose) {
            try {
                deleteTree(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
