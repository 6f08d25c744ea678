package io.flowkeeper.cli.bench;

import io.flowkeeper.api.util.Threads;
import io.flowkeeper.testbed.Cmd;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.Vm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The baseline of {@code bench gateway}: Debian's real {@code keepalived}, two "router hosts" moving one VRRP
 * instance's virtual IP, as Neutron's L3 HA does. The three namespaces (ka1, ka2 and the pinger kout) hang off a
 * standalone bridge {@code br-ka} of the external host, the same kind of L2 segment (an OVS learning switch) as
 * Flowkeeper's provider network in {@link GatewayLab}, in their own subnet 172.25.5.0/24.
 *
 * <p>Each keepalived runs in the foreground ({@code -n}), VRRP only ({@code -P}), logging to its stdout ({@code -l
 * -D -G}) from a configuration file in this pair's directory, with its own pid files ({@code -p}, {@code -r}): the
 * pids it is killed by. Nothing secret is configured (Neutron's optional VRRP password is left out: VRRPv3, which
 * sub-second adverts need, has no authentication). {@link #close} kills what is still running by those pids;
 * the namespaces go with the external host.
 */
final class KeepalivedPair implements AutoCloseable {
    static final String VIP = "172.25.5.100";
    private static final String[] ADDRESSES = {"172.25.5.11", "172.25.5.12"};

    /**
     * One configuration of both instances: Neutron's template's settings ({@code state BACKUP}, equal priority 50,
     * {@code nopreempt}, {@code garp_master_delay 60}, {@code track_interface}) with {@code advertInt} seconds
     * between adverts; {@code vrrpVersion} 3 for fractional intervals (VRRPv2 carries whole seconds).
     */
    record Setting(String name, String advertInt, int vrrpVersion) {
        /** keepalived as Neutron's L3 agent writes it: {@code ha_vrrp_advert_int = 2}, VRRPv2. */
        static Setting neutron() {
            return new Setting("keepalived, Neutron's settings (advert_int 2)", "2", 2);
        }

        static Setting fast(String advertInt) {
            return new Setting("keepalived, advert_int " + advertInt + " (VRRPv3)", advertInt, 3);
        }
    }

    /** One running keepalived: its process (the parent), its pid files and what it has logged. */
    private static final class Daemon {
        final Process process;
        final Path pidFile;
        final Path vrrpPidFile;
        final List<String> log = new ArrayList<>();

        Daemon(Process process, Path pidFile, Path vrrpPidFile) {
            this.process = process;
            this.pidFile = pidFile;
            this.vrrpPidFile = vrrpPidFile;
            Threads.startDaemon("keepalived-log", this::read);
        }

        private void read() {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    synchronized (log) {
                        log.add(line);
                    }
                }
            } catch (IOException e) {
                // the daemon ended
            }
        }

        /** The state of the last "Entering X STATE" line ("" before any). */
        String lastState() {
            synchronized (log) {
                for (int j = log.size() - 1; j >= 0; j--) {
                    int at = log.get(j).indexOf("Entering ");
                    if (at >= 0 && log.get(j).contains(" STATE")) {
                        return log.get(j).substring(at + 9).split(" ")[0];
                    }
                }
                return "";
            }
        }

        int count(String text) {
            synchronized (log) {
                return (int) log.stream().filter(l -> l.contains(text)).count();
            }
        }

        /** kill -9 of the VRRP child and the parent, by their pid files (the parent's also by its handle). */
        void kill() {
            for (Path f : List.of(vrrpPidFile, pidFile)) {
                pid(f).flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroyForcibly);
            }
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private static Optional<Long> pid(Path f) {
            try {
                return Optional.of(Long.parseLong(Files.readString(f).strip()));
            } catch (IOException | NumberFormatException e) {
                return Optional.empty();
            }
        }
    }

    private final Vm[] members = new Vm[2];
    private final Daemon[] daemons = new Daemon[2];
    private final Vm pinger;
    private final Path dir;
    private Setting setting;
    /** MASTER entries logged by daemons already stopped, for {@link #masterEntries}. */
    private int pastMasterEntries;

    private KeepalivedPair(OvsHost ext, Path dir) {
        this.dir = dir;
        ext.vsctl("add-br", "br-ka", "--", "set", "bridge", "br-ka", "datapath_type=netdev", "fail_mode=standalone");
        for (int i = 0; i < 2; i++) {
            members[i] = ext.addVm("ka" + (i + 1), "br-ka", String.format("02:00:00:00:5a:%02x", i + 1),
                    ADDRESSES[i] + "/24");
        }
        pinger = ext.addVm("kout", "br-ka", "02:00:00:00:5a:99", "172.25.5.1/24");
    }

    /** The segment on {@code ext}, the configuration files under {@code dir}; no keepalived runs yet. */
    static KeepalivedPair create(OvsHost ext, Path dir) throws IOException {
        return new KeepalivedPair(ext, Files.createDirectories(dir));
    }

    /**
     * Starts both instances with {@code s}: ka1 first, until it is MASTER and holds the VIP, then ka2, until it is
     * BACKUP (with nopreempt and equal priorities it stays so while ka1 advertises).
     */
    void start(Setting s) throws IOException, InterruptedException {
        stop();
        setting = s;
        for (int i = 0; i < 2; i++) {
            Files.writeString(config(i), configuration(i, s));
        }
        startDaemon(0);
        GatewayLab.awaitTrue(() -> master() == 0, "keepalived on ka1 master with " + VIP);
        startDaemon(1);
        GatewayLab.awaitTrue(() -> daemons[1].count("Entering BACKUP STATE") > 0, "keepalived on ka2 backup");
    }

    private Path config(int i) {
        return dir.resolve("keepalived-ka" + (i + 1) + ".conf");
    }

    private static String configuration(int i, Setting s) {
        return String.join("\n",
                "global_defs {",
                "    router_id ka" + (i + 1),
                "    vrrp_version " + s.vrrpVersion(),
                "}",
                "vrrp_instance VR_1 {",
                "    state BACKUP",
                "    interface eth0",
                "    virtual_router_id 1",
                "    priority 50",
                "    garp_master_delay 60",
                "    nopreempt",
                "    advert_int " + s.advertInt(),
                "    track_interface {",
                "        eth0",
                "    }",
                "    virtual_ipaddress {",
                "        " + VIP + "/24 dev eth0",
                "    }",
                "}",
                "");
    }

    private void startDaemon(int i) throws IOException {
        String name = "ka" + (i + 1);
        Path pid = dir.resolve(name + ".pid");
        Path vrrpPid = dir.resolve(name + "-vrrp.pid");
        Process p = new ProcessBuilder("ip", "netns", "exec", members[i].netns(), "keepalived", "-n", "-P", "-l",
                "-D", "-G", "-f", config(i).toString(), "-p", pid.toString(), "-r", vrrpPid.toString())
                .redirectErrorStream(true).start();
        daemons[i] = new Daemon(p, pid, vrrpPid);
    }

    /** Which member holds the VIP on its interface: 0, 1, -1 for none, 2 for both. */
    int master() {
        boolean a = holds(0);
        boolean b = holds(1);
        return a && b ? 2 : a ? 0 : b ? 1 : -1;
    }

    /** Whether member {@code i} has the VIP on its interface (a dead one keeps it, unreachable behind its link). */
    boolean holds(int i) {
        Cmd.Result r = Cmd.exec("ip", "-n", members[i].netns(), "-4", "addr", "show", "dev", "eth0");
        return r.ok() && r.stdout().contains(" " + VIP + "/");
    }

    /**
     * A router host's death: its keepalived (VRRP child and parent) killed with -9, and its link taken down right
     * after. kill -9 alone would leave the VIP on the interface, still answered by the kernel while the backup takes
     * it over: the data plane would outlive its daemon. With the link down too, the host neither forwards nor
     * answers, as a Flowkeeper gateway host whose {@code ovs-vswitchd} (its userspace datapath) was killed after its
     * agent. The kill goes first so that keepalived never sees the link go down (it would go FAULT and drop the VIP
     * itself, a reaction a dead host does not have); a killed process sends no last advert.
     */
    void killHost(int i) {
        daemons[i].kill();
        Cmd.run("ip", "-n", members[i].netns(), "link", "set", "eth0", "down");
    }

    /**
     * The dead host returns as after a reboot: the stale VIP and pid files gone (so its kernel never answers for the
     * VIP beside the master, and keepalived never takes a reused pid for a running instance), its link up and
     * keepalived started again. Waits until its last transition is to BACKUP with the VIP on the other member only
     * (nopreempt keeps the other master; with fast adverts under load it may first claim MASTER for a moment, and
     * yields to the master's adverts: a spurious transition, counted).
     */
    void restoreHost(int i) throws IOException, InterruptedException {
        pastMasterEntries += daemons[i].count("Entering MASTER STATE");
        Cmd.exec("ip", "-n", members[i].netns(), "addr", "del", VIP + "/24", "dev", "eth0");
        Files.deleteIfExists(daemons[i].pidFile);
        Files.deleteIfExists(daemons[i].vrrpPidFile);
        Cmd.run("ip", "-n", members[i].netns(), "link", "set", "eth0", "up");
        startDaemon(i);
        try {
            GatewayLab.awaitTrue(() -> daemons[i].lastState().equals("BACKUP") && holds(1 - i) && !holds(i),
                    "keepalived on ka" + (i + 1) + " backup again");
        } catch (IllegalStateException e) {
            throw new IllegalStateException(e.getMessage() + logTails(), e);
        }
    }

    /** Transitions to MASTER logged since {@link #start} by every daemon, killed ones included. */
    int masterEntries() {
        int n = pastMasterEntries;
        for (Daemon d : daemons) {
            n += d == null ? 0 : d.count("Entering MASTER STATE");
        }
        return n;
    }

    Vm pinger() {
        return pinger;
    }

    Setting setting() {
        return setting;
    }

    /** The last lines each keepalived logged, for an error message. */
    String logTails() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 2; i++) {
            Daemon d = daemons[i];
            if (d != null) {
                synchronized (d.log) {
                    sb.append(" | ka").append(i + 1).append(": ").append(String.join(" / ",
                            d.log.subList(Math.max(0, d.log.size() - 8), d.log.size())));
                }
            }
        }
        return sb.toString();
    }

    /** Stops both instances (SIGTERM, then -9 by pid after 10 s) and forgets their transitions. */
    void stop() {
        for (int i = 0; i < 2; i++) {
            Daemon d = daemons[i];
            if (d != null) {
                d.process.destroy();
                try {
                    if (!d.process.waitFor(10, TimeUnit.SECONDS)) {
                        d.kill();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    d.kill();
                }
                daemons[i] = null;
            }
            Cmd.exec("ip", "-n", members[i].netns(), "addr", "del", VIP + "/24", "dev", "eth0");
            Cmd.exec("ip", "-n", members[i].netns(), "link", "set", "eth0", "up");
        }
        pastMasterEntries = 0;
    }

    /** kill -9 of whatever still runs, by pid. */
    @Override
    public void close() {
        for (Daemon d : daemons) {
            if (d != null) {
                d.kill();
            }
        }
    }
}
