package io.flowkeeper.testbed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A "VM": a network namespace whose {@code eth0} is plugged into an OVS bridge on its {@link OvsHost}. Traffic it
 * sends is real (ping, arping, a DHCP client) and never leaves the test bed's namespaces.
 */
public final class Vm {
    private final OvsHost host;
    private final String name;
    private final String netns;
    private final String port;
    private final String bridge;
    private final String mac;
    private final String ipCidr;
    private final List<PingMonitor> monitors = new CopyOnWriteArrayList<>();

    Vm(OvsHost host, String name, String netns, String port, String bridge, String mac, String ipCidr) {
        this.host = host;
        this.name = name;
        this.netns = netns;
        this.port = port;
        this.bridge = bridge;
        this.mac = mac;
        this.ipCidr = ipCidr;
    }

    /**
     * Sends {@code count} echo requests 0.1 s apart and returns true only if every one was answered within
     * {@code timeout}.
     */
    public boolean ping(String destination, int count, Duration timeout) {
        Cmd.Result r = Cmd.exec(Cmd.inNetns(netns, List.of("ping", "-n", "-q", "-c", String.valueOf(count),
                "-i", "0.1", "-W", seconds(timeout), destination)), java.util.Map.of(),
                timeout.plusSeconds(count + 5L));
        return r.ok() && r.stdout().contains(" " + count + " received");
    }

    /**
     * True when an echo reply comes back before the deadline. Retries one-second pings until then: a single
     * {@code ping -c 1} gives up at once when the kernel still remembers a failed ARP resolution.
     */
    public boolean reachable(String destination, Duration deadline) {
        long end = System.nanoTime() + deadline.toNanos();
        do {
            long left = Math.max(1, (end - System.nanoTime()) / 1_000_000_000L);
            Cmd.Result r = Cmd.exec(Cmd.inNetns(netns, List.of("ping", "-n", "-q", "-c", "1",
                    "-W", String.valueOf(Math.min(1, left)), destination)), java.util.Map.of(), Duration.ofSeconds(10));
            if (r.ok()) {
                return true;
            }
            if (r.exitCode() == 2 && r.stderr().contains("unknown host")) {
                throw new TestBedException("ping: " + r.stderr().strip());
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        } while (System.nanoTime() < end);
        return false;
    }

    /** Resolves {@code destination}'s MAC with ARP requests ({@code arping}); true if a reply came back. */
    public boolean arping(String destination, Duration deadline) {
        Cmd.Result r = Cmd.exec(Cmd.inNetns(netns, List.of("arping", "-c", "1", "-w", seconds(deadline),
                "-I", "eth0", destination)), java.util.Map.of(), deadline.plusSeconds(5));
        return r.ok();
    }

    /**
     * Starts pinging {@code destination} every {@code interval} (10 ms for failover tests) until
     * {@link PingMonitor#stop()}; the result counts the requests that got no reply.
     */
    public PingMonitor startPing(String destination, Duration interval) {
        PingMonitor m = PingMonitor.start(netns, destination, interval);
        monitors.add(m);
        return m;
    }

    /**
     * Asks for an address with the real {@code dhclient} on {@code eth0}, from scratch (DISCOVER, OFFER, REQUEST,
     * ACK: any earlier client of this VM is stopped and its lease forgotten), and configures the address it gets.
     * Only the address: the stock {@code dhclient-script} would rewrite this machine's {@code /etc/resolv.conf} from
     * inside a namespace. The client stays to renew until the VM goes.
     *
     * @param timeout how long the client tries before giving up (then this throws)
     * @return the lease file's text ({@code fixed-address}, {@code option routers}, ...)
     */
    public String dhclient(Duration timeout) {
        Path dir = host.runDir();
        Path script = dir.resolve("dhclient-script");
        Path conf = dir.resolve(name + ".dhclient.conf");
        Path lease = dir.resolve(name + ".leases");
        Path pid = dir.resolve(name + ".dhclient.pid");
        try {
            if (!Files.exists(script)) {
                Files.writeString(script, "#!/bin/sh\ncase \"$reason\" in BOUND|RENEW|REBIND|REBOOT)\n"
                        + "  ip addr flush dev \"$interface\"\n"
                        + "  ip addr add \"$new_ip_address/$new_subnet_mask\" dev \"$interface\";;\nesac\nexit 0\n");
                Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
            }
            Files.writeString(conf, "timeout " + Math.max(1, timeout.toSeconds()) + ";\n"
                    + "option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;\n"
                    + "request subnet-mask, broadcast-address, routers, domain-name-servers, host-name, interface-mtu,"
                    + " rfc3442-classless-static-routes;\n");
            stopDhclient();
            Files.deleteIfExists(pid);
            Files.deleteIfExists(lease);
            Cmd.run(Cmd.inNetns(netns, List.of("dhclient", "-1", "-cf", conf.toString(), "-sf", script.toString(),
                    "-lf", lease.toString(), "-pf", pid.toString(), "eth0")), java.util.Map.of(),
                    timeout.plusSeconds(10));
            return Files.readString(lease);
        } catch (IOException e) {
            throw new TestBedException("dhclient in " + this + ": " + e.getMessage());
        }
    }

    /**
     * Stops this VM's DHCP clients: the {@code dhclient} processes in its namespace (found there rather than by pid
     * file, which a client that has just forked may not have written yet).
     */
    private void stopDhclient() throws IOException {
        Cmd.Result pids = Cmd.exec("ip", "netns", "pids", netns);
        if (!pids.ok()) {
            return;
        }
        for (String p : pids.stdout().split("\\s+")) {
            Path comm = Path.of("/proc", p.strip(), "comm");
            if (!p.isBlank() && Files.exists(comm) && Files.readString(comm).strip().equals("dhclient")) {
                Processes.killAndWait(Long.parseLong(p.strip()), Duration.ofSeconds(5));
            }
        }
    }

    /** Runs a command inside the VM's namespace. */
    public String exec(String... command) {
        return Cmd.run(Cmd.inNetns(netns, List.of(command)), java.util.Map.of(), Cmd.DEFAULT_TIMEOUT);
    }

    void stopMonitors() {
        for (PingMonitor m : monitors) {
            m.abort();
        }
    }

    private static String seconds(Duration d) {
        return String.valueOf(Math.max(1, (d.toMillis() + 999) / 1000));
    }

    public OvsHost host() {
        return host;
    }

    public String name() {
        return name;
    }

    public String netns() {
        return netns;
    }

    /** The VM's port name on the host's bridge ({@code tap<vm>}). */
    public String port() {
        return port;
    }

    public String bridge() {
        return bridge;
    }

    public String mac() {
        return mac;
    }

    /** The VM's address without prefix length, or null when it has none (DHCP). */
    public String ip() {
        return ipCidr == null ? null : ipCidr.substring(0, ipCidr.indexOf('/'));
    }

    /** The OpenFlow port number of the VM's port on its bridge. */
    public int ofport() {
        return host.ofport(port);
    }

    @Override
    public String toString() {
        return "Vm[" + name + " on " + host.name() + ", " + mac + (ipCidr == null ? "" : ", " + ipCidr) + "]";
    }
}
