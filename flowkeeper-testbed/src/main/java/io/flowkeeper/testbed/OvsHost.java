package io.flowkeeper.testbed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One simulated compute host: its own network namespace, run directory, {@code ovsdb-server} and
 * {@code ovs-vswitchd} (userspace datapath), a management link to the root namespace and, on request, an underlay
 * link to the other hosts. OVS command-line tools are pointed at this host through {@code OVS_RUNDIR}, so
 * {@code ovs-ofctl dump-flows br-int} talks to this host's {@code br-int.mgmt} socket.
 */
public final class OvsHost implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OvsHost.class);

    /** Name of the OVS bridge that carries the underlay (tunnel endpoint address lives on its internal port). */
    public static final String UNDERLAY_BRIDGE = "br-ul";

    private static final String SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema";

    private final TestBed bed;
    private final String name;
    private final int index;
    private final String netns;
    private final Path runDir;
    private final Map<String, String> ovsEnv;
    private final List<Vm> vms = new CopyOnWriteArrayList<>();
    private volatile boolean underlay;
    private volatile boolean closed;

    OvsHost(TestBed bed, String name, int index) {
        this.bed = bed;
        this.name = name;
        this.index = index;
        this.netns = bed.netnsPrefix() + name;
        this.runDir = bed.runDir().resolve(name);
        Map<String, String> env = new LinkedHashMap<>();
        env.put("OVS_RUNDIR", runDir.toString());
        env.put("OVS_LOGDIR", runDir.toString());
        env.put("OVS_DBDIR", runDir.toString());
        this.ovsEnv = Collections.unmodifiableMap(env);
    }

    /** Creates the namespace and management link, then starts OVSDB and {@code ovs-vswitchd}. */
    void start() {
        try {
            Files.createDirectories(runDir);
        } catch (IOException e) {
            throw new TestBedException("cannot create " + runDir, e);
        }
        Cmd.run("ip", "netns", "add", netns);
        quietNamespace(netns);
        Cmd.run("ip", "-n", netns, "link", "set", "lo", "up");
        String rootEnd = bed.linkPrefix() + "m" + index;
        Cmd.run("ip", "link", "add", rootEnd, "type", "veth", "peer", "name", "mgmt0", "netns", netns);
        Cmd.run("ip", "link", "set", rootEnd, "master", bed.managementBridge(), "up");
        Cmd.run("ip", "-n", netns, "addr", "add", managementIp() + "/24", "dev", "mgmt0");
        Cmd.run("ip", "-n", netns, "link", "set", "mgmt0", "up");
        Cmd.run("ovsdb-tool", "create", runDir.resolve("conf.db").toString(), SCHEMA);
        startOvsdb();
        vsctl("--no-wait", "init");
        startVswitchd();
        LOG.info("host {} up: netns {}, management {}, run dir {}", name, netns, managementIp(), runDir);
    }

    /** No IPv6 autoconfiguration chatter: the test traffic is what the test sends, nothing else. */
    static void quietNamespace(String netns) {
        Cmd.run("ip", "netns", "exec", netns, "sysctl", "-q", "-w",
                "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
    }

    private void startOvsdb() {
        Cmd.run(Cmd.inNetns(netns, List.of("ovsdb-server", runDir.resolve("conf.db").toString(),
                "--remote=punix:" + dbSocket(),
                "--pidfile=" + runDir.resolve("ovsdb-server.pid"),
                "--unixctl=" + runDir.resolve("ovsdb-server.ctl"),
                "--log-file=" + runDir.resolve("ovsdb-server.log"),
                "--detach", "--no-chdir")), ovsEnv, Cmd.DEFAULT_TIMEOUT);
    }

    private void startVswitchd() {
        // --detach returns once the daemon has read its configuration and created the bridges' sockets.
        Cmd.run(Cmd.inNetns(netns, List.of("ovs-vswitchd", "unix:" + dbSocket(),
                "--pidfile=" + runDir.resolve("ovs-vswitchd.pid"),
                "--unixctl=" + runDir.resolve("ovs-vswitchd.ctl"),
                "--log-file=" + runDir.resolve("ovs-vswitchd.log"),
                "-vconsole:off", "-vfile:info",
                "--detach", "--no-chdir")), ovsEnv, Cmd.DEFAULT_TIMEOUT);
        if (underlay) {
            configureUnderlayAddress();
        }
    }

    // ---- bridges and ports -------------------------------------------------------------------------------

    /** Creates a bridge (userspace datapath, in-band control off) and waits until {@code ovs-vswitchd} has it. */
    public OvsHost addBridge(BridgeSpec spec) {
        vsctl(bridgeArgs(spec).toArray(String[]::new));
        return this;
    }

    /** Creates many bridges in one {@code ovs-vsctl} transaction (1,000 bridges one by one take minutes). */
    public OvsHost addBridges(List<BridgeSpec> specs) {
        List<String> args = new ArrayList<>();
        for (BridgeSpec spec : specs) {
            if (!args.isEmpty()) {
                args.add("--");
            }
            args.addAll(bridgeArgs(spec));
        }
        if (!args.isEmpty()) {
            vsctl(args.toArray(String[]::new));
        }
        return this;
    }

    private static List<String> bridgeArgs(BridgeSpec spec) {
        List<String> args = new ArrayList<>(List.of("add-br", spec.name(), "--", "set", "bridge", spec.name(),
                "datapath_type=netdev",
                "protocols=" + String.join(",", spec.protocols()),
                "fail_mode=" + spec.failMode().ovsName(),
                "other_config:disable-in-band=true"));
        if (!spec.controllers().isEmpty()) {
            args.addAll(List.of("--", "set-controller", spec.name()));
            args.addAll(spec.controllers());
        }
        return args;
    }

    /** Points a bridge at new controller targets (none: disconnects all). */
    public void setControllers(String bridge, String... targets) {
        if (targets.length == 0) {
            vsctl("del-controller", bridge);
        } else {
            List<String> args = new ArrayList<>(List.of("set-controller", bridge));
            args.addAll(List.of(targets));
            vsctl(args.toArray(String[]::new));
        }
    }

    /**
     * Plugs a new VM into a bridge: a namespace with {@code eth0} (given MAC, and IP if not null), its veth peer
     * {@code tap<vm>} added to the bridge with {@code external_ids:iface-id=<vm>} as a cloud would set it.
     *
     * @param vmName 1-12 chars of [a-z0-9-], unique on this host
     * @param ipCidr e.g. {@code 10.0.0.1/24}, or null for a VM that will ask DHCP
     */
    public Vm addVm(String vmName, String bridge, String mac, String ipCidr) {
        return addVm(vmName, bridge, mac, ipCidr, vmName);
    }

    /**
     * As {@link #addVm(String, String, String, String)}, plugged as Nova and os-vif plug a VM: {@code ifaceId} (the
     * Neutron port id) is its {@code external_ids:iface-id} from the port's first appearance in OVSDB, so a host
     * agent never sees the port under another id.
     */
    public Vm addVm(String vmName, String bridge, String mac, String ipCidr, String ifaceId) {
        Vm vm = prepareVm(vmName, bridge, mac, ipCidr);
        plug(vm, ifaceId);
        return vm;
    }

    /**
     * A VM whose namespace, veth and address are set up but whose port is not yet on {@code bridge}: what a
     * hypervisor has before os-vif plugs it. {@link #plug} then does the one {@code ovs-vsctl add-port}, so a
     * benchmark can time from that step alone.
     */
    public Vm prepareVm(String vmName, String bridge, String mac, String ipCidr) {
        if (!vmName.matches("[a-z0-9][a-z0-9-]{0,11}")) {
            throw new IllegalArgumentException("VM name must be 1-12 chars of [a-z0-9-]: " + vmName);
        }
        String vmNetns = netns + "-" + vmName;
        String port = "tap" + vmName;
        Cmd.run("ip", "netns", "add", vmNetns);
        quietNamespace(vmNetns);
        Cmd.run("ip", "-n", netns, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", vmNetns);
        Cmd.run("ip", "-n", vmNetns, "link", "set", "eth0", "address", mac);
        // The userspace datapath does not fill in checksums a veth left to offload: without this, TCP and UDP
        // (DHCP!) leave the VM with bad checksums. ICMP is unaffected, which is why ping alone hides it.
        Cmd.run("ip", "netns", "exec", vmNetns, "ethtool", "-K", "eth0", "tx", "off");
        if (ipCidr != null) {
            Cmd.run("ip", "-n", vmNetns, "addr", "add", ipCidr, "dev", "eth0");
        }
        Cmd.run("ip", "-n", vmNetns, "link", "set", "lo", "up");
        Cmd.run("ip", "-n", vmNetns, "link", "set", "eth0", "up");
        Cmd.run("ip", "-n", netns, "link", "set", port, "up");
        Vm vm = new Vm(this, vmName, vmNetns, port, bridge, mac, ipCidr);
        vms.add(vm);
        return vm;
    }

    /** Adds a prepared VM's port to its bridge with {@code ifaceId} (the Neutron port id) and its MAC. */
    public void plug(Vm vm, String ifaceId) {
        vsctl("add-port", vm.bridge(), vm.port(), "--", "set", "interface", vm.port(),
                "external_ids:iface-id=" + ifaceId,
                "external_ids:attached-mac=" + vm.mac(),
                "external_ids:iface-status=active");
    }

    /** Removes a VM: unplugs its port and deletes its namespace. */
    public void removeVm(Vm vm) {
        vsctl("--if-exists", "del-port", vm.bridge(), vm.port());
        Cmd.exec("ip", "netns", "del", vm.netns());
        vms.remove(vm);
    }

    /** The OpenFlow port number of a port on this host, once {@code ovs-vswitchd} has assigned one. */
    public int ofport(String port) {
        String value = vsctl("get", "interface", port, "ofport").strip();
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new TestBedException("port " + port + " on " + name + " has no ofport: " + value);
        }
    }

    // ---- underlay and tunnels ----------------------------------------------------------------------------

    /**
     * Connects this host to the shared underlay segment: bridge {@value #UNDERLAY_BRIDGE} with port {@code ul0}
     * and the host's tunnel endpoint address on the bridge's internal port. The userspace datapath routes tunnel
     * traffic only through an OVS bridge that owns the source address, hence the address on {@code br-ul}.
     */
    public OvsHost attachUnderlay() {
        if (underlay) {
            return this;
        }
        String rootEnd = bed.linkPrefix() + "u" + index;
        Cmd.run("ip", "link", "add", rootEnd, "type", "veth", "peer", "name", "ul0", "netns", netns);
        Cmd.run("ip", "link", "set", rootEnd, "master", bed.underlayBridge(), "up");
        Cmd.run("ip", "-n", netns, "link", "set", "ul0", "up");
        vsctl("add-br", UNDERLAY_BRIDGE, "--", "set", "bridge", UNDERLAY_BRIDGE, "datapath_type=netdev",
                "fail_mode=standalone", "--", "add-port", UNDERLAY_BRIDGE, "ul0");
        underlay = true;
        configureUnderlayAddress();
        return this;
    }

    /** The internal port is a tap that {@code ovs-vswitchd} recreates on every start: re-add its address. */
    private void configureUnderlayAddress() {
        Cmd.run("ip", "-n", netns, "addr", "replace", underlayIp() + "/24", "dev", UNDERLAY_BRIDGE);
        Cmd.run("ip", "-n", netns, "link", "set", UNDERLAY_BRIDGE, "up");
    }

    /**
     * Adds a tunnel port ({@code vxlan} or {@code geneve}) towards another host's underlay address, with the
     * tunnel key taken from the flow ({@code options:key=flow}). Both hosts must have {@link #attachUnderlay()}.
     *
     * @return the tunnel port's OpenFlow port number
     */
    public int addTunnel(String bridge, String port, String type, OvsHost remote) {
        if (!underlay || !remote.underlay) {
            throw new IllegalStateException("both hosts need attachUnderlay() before a tunnel");
        }
        vsctl("add-port", bridge, port, "--", "set", "interface", port, "type=" + type,
                "options:remote_ip=" + remote.underlayIp(), "options:local_ip=" + underlayIp(),
                "options:key=flow");
        return ofport(port);
    }

    /**
     * Runs BFD on a tunnel port, a control packet every {@code intervalMillis} each way, as a Flowkeeper agent does
     * on a tunnel to or from a gateway host: for a test that plays such a host's agent.
     */
    public void enableBfd(String port, int intervalMillis) {
        vsctl("set", "interface", port, "bfd:enable=true", "bfd:min_rx=" + intervalMillis,
                "bfd:min_tx=" + intervalMillis);
    }

    // ---- restarts ----------------------------------------------------------------------------------------

    /**
     * Kills {@code ovs-vswitchd} with SIGKILL and starts it again, as after a crash: OVSDB keeps the bridges
     * and ports, the flow tables come back empty.
     */
    public void restartVswitchd() {
        killVswitchd();
        startVswitchd();
        LOG.info("host {}: ovs-vswitchd restarted (flow tables empty)", name);
    }

    /** Kills {@code ovs-vswitchd} with SIGKILL and leaves it down (its management sockets go away). */
    public void killVswitchd() {
        killPidfile(runDir.resolve("ovs-vswitchd.pid"));
    }

    /** Starts {@code ovs-vswitchd} after {@link #killVswitchd()}. */
    public void startVswitchdAgain() {
        startVswitchd();
    }

    /**
     * Restarts the whole host as a power cycle would: both daemons killed, then OVSDB (whose database is on
     * disk and survives) and {@code ovs-vswitchd} started again, with the flow tables empty.
     *
     * @param beforeVswitchd runs between OVSDB and {@code ovs-vswitchd} start, where a boot script would set
     *     {@code other_config:flow-restore-wait}
     */
    public void reboot(Consumer<OvsHost> beforeVswitchd) {
        killVswitchd();
        killPidfile(runDir.resolve("ovsdb-server.pid"));
        startOvsdb();
        beforeVswitchd.accept(this);
        startVswitchd();
        LOG.info("host {} rebooted", name);
    }

    public void reboot() {
        reboot(h -> { });
    }

    /** Sets or clears {@code other_config:flow-restore-wait} (OVS then neither forwards nor flushes flows). */
    public void setFlowRestoreWait(boolean wait) {
        if (wait) {
            vsctl("--no-wait", "set", "open_vswitch", ".", "other_config:flow-restore-wait=true");
        } else {
            vsctl("--no-wait", "remove", "open_vswitch", ".", "other_config", "flow-restore-wait");
        }
    }

    /** The pid of the running {@code ovs-vswitchd}, if any. */
    public Optional<Long> vswitchdPid() {
        return readPid(runDir.resolve("ovs-vswitchd.pid")).filter(Processes::alive);
    }

    private static Optional<Long> readPid(Path pidfile) {
        try {
            return Optional.of(Long.parseLong(Files.readString(pidfile).strip()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static void killPidfile(Path pidfile) {
        readPid(pidfile).ifPresent(pid -> Processes.killAndWait(pid, Duration.ofSeconds(10)));
    }

    // ---- tools ------------------------------------------------------------------------------------------

    /** Runs {@code ovs-vsctl} against this host's OVSDB and returns its output. */
    public String vsctl(String... args) {
        List<String> cmd = new ArrayList<>(List.of("ovs-vsctl", "--db=unix:" + dbSocket(), "--timeout=60"));
        cmd.addAll(List.of(args));
        return Cmd.run(cmd, ovsEnv, Cmd.DEFAULT_TIMEOUT);
    }

    /**
     * Runs {@code ovs-ofctl} against this host's bridges (bridge names resolve to their management sockets). Unless
     * the caller passes {@code -O}, it negotiates the highest OpenFlow version the bridge speaks (the tool's own
     * default, 1.0, is refused by bridges configured for 1.3/1.4 only).
     */
    public String ofctl(String... args) {
        return Cmd.run(ofctlCommand(args), ovsEnv, Cmd.DEFAULT_TIMEOUT);
    }

    private static List<String> ofctlCommand(String... args) {
        List<String> cmd = new ArrayList<>(List.of("ovs-ofctl"));
        List<String> given = List.of(args);
        if (!given.contains("-O") && given.stream().noneMatch(a -> a.startsWith("--protocols"))) {
            cmd.addAll(List.of("-O", "OpenFlow10,OpenFlow11,OpenFlow12,OpenFlow13,OpenFlow14"));
        }
        cmd.addAll(given);
        return cmd;
    }

    /**
     * Watches a bridge's flow table as it changes ({@code ovs-ofctl monitor}, in the highest version the bridge
     * speaks) until closed: to time when a flow lands without polling {@code dump-flows}.
     */
    public FlowWatch watchFlows(String bridge) {
        return FlowWatch.start(ofctlCommand(), bridge, ovsEnv);
    }

    /** Runs {@code ovs-appctl} against this host's {@code ovs-vswitchd}. */
    public String appctl(String... args) {
        List<String> cmd = new ArrayList<>(List.of("ovs-appctl", "-t", runDir.resolve("ovs-vswitchd.ctl").toString()));
        cmd.addAll(List.of(args));
        return Cmd.run(cmd, ovsEnv, Cmd.DEFAULT_TIMEOUT);
    }

    /** Runs a command inside this host's network namespace. */
    public String exec(String... command) {
        return Cmd.run(Cmd.inNetns(netns, List.of(command)), ovsEnv, Cmd.DEFAULT_TIMEOUT);
    }

    /**
     * Number of flows in a bridge's tables, from {@code ovs-ofctl dump-aggregate} (dump-flows | wc overcounts), in
     * the highest version the bridge speaks.
     */
    public int flowCount(String bridge) {
        String out = ofctl("dump-aggregate", bridge);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("flow_count=(\\d+)").matcher(out);
        if (!m.find()) {
            throw new TestBedException("unexpected dump-aggregate output: " + out.strip());
        }
        return Integer.parseInt(m.group(1));
    }

    /**
     * The bridge's flows as {@code ovs-ofctl dump-flows} prints them, without counters (duration, packets, bytes,
     * idle age), sorted: two tables are the same when these lists are equal. In the highest version the bridge
     * speaks (1.4 unless it is configured for fewer, e.g. 1.0 alone).
     */
    public List<String> dumpFlowsWithoutCounters(String bridge) {
        String out = ofctl("--no-stats", "--sort", "dump-flows", bridge);
        List<String> flows = new ArrayList<>();
        for (String line : out.split("\n")) {
            String trimmed = line.strip();
            if (!trimmed.isEmpty() && !trimmed.startsWith("OFPST_") && !trimmed.startsWith("NXST_")) {
                flows.add(trimmed);
            }
        }
        Collections.sort(flows);
        return flows;
    }

    // ---- identity ---------------------------------------------------------------------------------------

    public String name() {
        return name;
    }

    public String netns() {
        return netns;
    }

    public Path runDir() {
        return runDir;
    }

    /** {@code <rundir>/db.sock}: the OVSDB socket an agent or {@code ovs-vsctl --db=unix:...} uses. */
    public Path dbSocket() {
        return runDir.resolve("db.sock");
    }

    /** {@code <rundir>/<bridge>.mgmt}: the bridge's always-on OpenFlow management socket. */
    public Path managementSocket(String bridge) {
        return runDir.resolve(bridge + ".mgmt");
    }

    /** Environment that points OVS tools at this host ({@code OVS_RUNDIR}, ...). */
    public Map<String, String> ovsEnvironment() {
        return ovsEnv;
    }

    /** This host's address on the management network; controllers see connections from it. */
    public String managementIp() {
        return bed.managementSubnet() + "." + index;
    }

    /** This host's tunnel endpoint address (valid after {@link #attachUnderlay()}). */
    public String underlayIp() {
        return bed.underlaySubnet() + "." + index;
    }

    public List<Vm> vms() {
        return List.copyOf(vms);
    }

    /** Stops both daemons and deletes the VM and host namespaces (the veth peers go with them). */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Vm vm : vms) {
            vm.stopMonitors();
        }
        Sweeper.killNamespace(netns);
        for (Vm vm : vms) {
            Sweeper.killNamespace(vm.netns());
        }
        LOG.debug("host {} removed", name);
    }

    @Override
    public String toString() {
        return "OvsHost[" + name + ", netns " + netns + "]";
    }
}
