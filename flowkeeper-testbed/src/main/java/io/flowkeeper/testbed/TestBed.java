package io.flowkeeper.testbed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One test-bed run: a set of {@link OvsHost}s sharing a management network (where controllers listen) and an
 * underlay segment (for tunnels), all named with a run-unique prefix. Closing it, or the JVM exiting, removes
 * everything it made; what a killed JVM leaves behind is swept by the next {@link #create()}.
 *
 * <pre>{@code
 * try (TestBed bed = TestBed.create()) {
 *     OvsHost h1 = bed.addHost("h1");
 *     h1.addBridge(BridgeSpec.named("br-int"));
 *     Vm a = h1.addVm("a", "br-int", "02:00:00:00:00:01", "10.0.0.1/24");
 * }
 * }</pre>
 */
public final class TestBed implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TestBed.class);

    /** Where run directories live; tmpfs, so a machine reboot clears it together with the namespaces. */
    public static final Path ROOT = Path.of(System.getProperty("flowkeeper.testbed.root", "/run/flowkeeper-testbed"));

    /** Management addresses: 198.18.X.0/24 (RFC 2544 benchmarking range, never routed off this machine). */
    private static final String MANAGEMENT_NET = "198.18";
    /** Underlay (tunnel endpoint) addresses: 198.19.X.0/24. */
    private static final String UNDERLAY_NET = "198.19";
    private static final String RUN_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final List<String> REQUIRED_TOOLS =
            List.of("ip", "ovs-vswitchd", "ovsdb-server", "ovs-vsctl", "ovs-ofctl", "ping", "ethtool", "stdbuf");

    private final String run;
    private final Path runDir;
    private final int subnet;
    private final List<OvsHost> hosts = new CopyOnWriteArrayList<>();
    private final Thread shutdownHook;
    private volatile boolean underlayCreated;
    private volatile boolean closed;

    private TestBed(String run, int subnet) {
        this.run = run;
        this.runDir = ROOT.resolve(run);
        this.subnet = subnet;
        this.shutdownHook = new Thread(this::close, "testbed-" + run + "-cleanup");
    }

    /**
     * Sweeps what dead runs left, then starts a new run: its directory, owner record and management bridge.
     *
     * @throws TestBedException when not root or a required tool is missing (one clear line saying which)
     */
    public static TestBed create() {
        checkPrerequisites();
        Sweeper.sweepDeadRuns(ROOT);
        SecureRandom random = new SecureRandom();
        for (int attempt = 0; attempt < 20; attempt++) {
            StringBuilder id = new StringBuilder();
            for (int i = 0; i < 4; i++) {
                id.append(RUN_ALPHABET.charAt(random.nextInt(RUN_ALPHABET.length())));
            }
            Path dir = ROOT.resolve(id.toString());
            try {
                Files.createDirectories(ROOT);
                Files.createDirectory(dir);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                continue;
            } catch (IOException e) {
                throw new TestBedException("cannot create " + dir + ": " + e.getMessage(), e);
            }
            TestBed bed = new TestBed(id.toString(), freeSubnet(random));
            bed.begin();
            return bed;
        }
        throw new TestBedException("no free run id under " + ROOT);
    }

    private void begin() {
        try {
            Files.writeString(runDir.resolve("owner"), Sweeper.ownerRecord(ProcessHandle.current()));
        } catch (IOException e) {
            throw new TestBedException("cannot write owner record in " + runDir, e);
        }
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        try {
            Cmd.run("ip", "link", "add", managementBridge(), "type", "bridge");
            Cmd.run("ip", "addr", "add", controllerIp() + "/24", "dev", managementBridge());
            Cmd.run("ip", "link", "set", managementBridge(), "up");
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        LOG.info("test bed {} started: management {}.0/24, controllers reach hosts from {}", run,
                managementSubnet(), controllerIp());
    }

    private static void checkPrerequisites() {
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new TestBedException("the test bed needs root (network namespaces, veth pairs, OVS)");
        }
        List<String> missing = new ArrayList<>();
        for (String tool : REQUIRED_TOOLS) {
            if (!Cmd.exec("sh", "-c", "command -v " + tool).ok()) {
                missing.add(tool);
            }
        }
        if (!missing.isEmpty()) {
            throw new TestBedException("missing tools " + missing
                    + ": install openvswitch-switch iproute2 iputils-ping ethtool coreutils (./quickstart does)");
        }
    }

    /** A third octet X such that no interface here already has an address in 198.18.X.0/24 or 198.19.X.0/24. */
    private static int freeSubnet(SecureRandom random) {
        String addrs = Cmd.exec("ip", "-4", "-o", "addr", "show").stdout();
        Set<Integer> used = new HashSet<>();
        Matcher m = Pattern.compile("inet 198\\.1[89]\\.(\\d+)\\.").matcher(addrs);
        while (m.find()) {
            used.add(Integer.parseInt(m.group(1)));
        }
        for (int attempt = 0; attempt < 1000; attempt++) {
            int x = random.nextInt(256);
            if (!used.contains(x)) {
                return x;
            }
        }
        throw new TestBedException("no free 198.18.X.0/24 management subnet");
    }

    /**
     * Creates and starts a host: namespace, management link, OVSDB and {@code ovs-vswitchd}.
     *
     * @param name 1-6 chars of [a-z0-9], unique in this run
     */
    public synchronized OvsHost addHost(String name) {
        if (closed) {
            throw new IllegalStateException("test bed " + run + " is closed");
        }
        if (!name.matches("[a-z0-9]{1,6}")) {
            throw new IllegalArgumentException("host name must be 1-6 chars of [a-z0-9]: " + name);
        }
        if (hosts.stream().anyMatch(h -> h.name().equals(name))) {
            throw new IllegalArgumentException("host " + name + " exists already");
        }
        if (hosts.size() >= 250) {
            throw new IllegalStateException("at most 250 hosts per test bed");
        }
        OvsHost host = new OvsHost(this, name, hosts.size() + 1);
        hosts.add(host);
        host.start();
        return host;
    }

    /** Creates the root end of the underlay segment once, when the first host attaches. */
    synchronized String underlayBridge() {
        String bridge = linkPrefix() + "u";
        if (!underlayCreated) {
            Cmd.run("ip", "link", "add", bridge, "type", "bridge");
            Cmd.run("ip", "link", "set", bridge, "up");
            underlayCreated = true;
        }
        return bridge;
    }

    String managementBridge() {
        return linkPrefix() + "m";
    }

    /** The run id, four characters of [a-z0-9]: part of every name this run creates. */
    public String runId() {
        return run;
    }

    /** The address controllers bind to: it is the root namespace's end of every host's management link. */
    public String controllerIp() {
        return managementSubnet() + ".254";
    }

    String managementSubnet() {
        return MANAGEMENT_NET + "." + subnet;
    }

    String underlaySubnet() {
        return UNDERLAY_NET + "." + subnet;
    }

    String netnsPrefix() {
        return "fk-" + run + "-";
    }

    String linkPrefix() {
        return "fk" + run;
    }

    /** This run's directory: one sub-directory per host (OVS databases, sockets, logs). */
    public Path runDir() {
        return runDir;
    }

    public List<OvsHost> hosts() {
        return List.copyOf(hosts);
    }

    /** Removes every host, namespace, link and file of this run. Safe to call twice and from a shutdown hook. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (OvsHost host : hosts) {
            try {
                host.close();
            } catch (RuntimeException e) {
                LOG.warn("cleanup of {} failed: {}", host, e.getMessage());
            }
        }
        Sweeper.sweep(ROOT, run);
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // already shutting down: this is the hook running
        }
        LOG.info("test bed {} removed", run);
    }
}
