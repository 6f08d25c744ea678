package io.flowkeeper.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.network.Host;
import io.flowkeeper.api.switches.FlowParts;
import io.flowkeeper.api.switches.PortInfo;
import io.flowkeeper.api.switches.testing.InMemorySwitch;
import io.flowkeeper.api.switches.testing.InMemorySwitchService;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.cluster.testing.InMemoryDatastore;
import io.flowkeeper.controller.ControllerConfig;
import io.flowkeeper.controller.ControllerNode;
import io.flowkeeper.controller.local.LocalCluster;
import io.flowkeeper.network.NetworkManager;
import io.flowkeeper.network.dataplane.FlowCompiler;
import io.flowkeeper.network.dataplane.HostView;
import io.flowkeeper.network.dataplane.HostViewBuilder;
import io.flowkeeper.network.dataplane.HostViews;
import io.flowkeeper.network.dataplane.TenantDataplane;
import io.flowkeeper.testbed.BridgeSpec;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.TestBed;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The tenant data plane of seed 000's host: 4,000 ports plugged on one host, in 200 VXLAN networks that also have
 * as many ports on 10 other hosts. Compile alone (the pure function, fresh) and one port change on the full host
 * (the view patched by a view builder as each master keeps one, the changed network recompiled; then the same
 * change through the data plane as the master meets it, and the master's step); then cold programming on real OVS:
 * the model in
 * a 3-node cluster, the host's bridge empty and with no snapshot, its controllers set: the time until the switch
 * holds every flow the master compiled. Then, with real host agents ({@link AgentClusterPhase}): VM plug to first
 * ping answered across hosts, and each node's heap and RSS with 100,000 ports in the model.
 */
@Command(name = "network", mixinStandardHelpOptions = true,
        description = {"Compile a 4,000-port host's flows, time one port change, and time cold programming of the",
            "host's empty bridge on real OVS by the master of a 3-node cluster (--small: 400 ports); with two",
            "host agents, VM plug -> first ping across hosts over 200 plugs (--small: 20), and node heap and RSS",
            "with 100,000 ports in the model (--small: 10,000)."})
public final class NetworkBench implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Changes made untimed before each timed series: a switch's master runs changes all day, so the figure is the
     * warm code's (the first few dozen ran interpreted or while the JIT compiled, and doubled the median at times).
     */
    private static final int WARM_UP = 40;
    private static final String SHARD = "network-config";
    private static final String BRIDGE = "br-int";
    private static final String BASELINE_BRIDGE = "br-base";
    private static final long DPID = 0xe5;
    /** Networks belong to this many projects in turn. */
    private static final int PROJECTS = 50;
    private static final int REMOTE_HOSTS = 10;
    private static final int PORTS_PER_NETWORK = 20;

    @Option(names = "--small", description = "CI size: 400 ports.")
    boolean small;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Option(names = "--ports", description = "Ports plugged on the measured host (default: 4000, or 400 with --small).")
    Integer portsOption;

    @Option(names = "--default-security-group", description = "Every port in its project's default security group,"
            + " as Neutron makes them (ingress from the group's own members, egress anywhere); default: none.")
    boolean defaultSecurityGroup;

    @Option(names = "--skip-ovs", description = "Only the compile figures (no test bed, no cluster).")
    boolean skipOvs;

    @Option(names = "--plugs", description = "VMs plugged and timed to their first ping (default: 200, or 20 with"
            + " --small; 0 skips the phase with host agents).")
    Integer plugsOption;

    @Option(names = "--model-ports", description = "Ports written into the model before each node's heap and RSS are"
            + " measured (default: 100000, or 10000 with --small).")
    Integer modelPortsOption;

    @Option(names = "--reboot-ports", description = "Seed 000 end to end: ports made through the API and plugged on"
            + " one host, which then reboots while 10 more are made (default: 4000, or 200 with --small; 0 skips it).")
    Integer rebootPortsOption;

    @Override
    public Integer call() throws Exception {
        int ports = portsOption != null ? portsOption : small ? 400 : 4_000;
        BenchReport report = new BenchReport("tenant data plane of one host with " + ports + " ports", "measure",
                "value", "unit", "target", "met", "anchor");
        String loadAtStart = BenchReport.loadAverage();
        report.environment("load_average_at_start", loadAtStart);
        Map<String, String> documents = documents(ports, defaultSecurityGroup);

        progress("compiling " + ports + " ports");
        InMemoryDatastore memory = new InMemoryDatastore();
        write(memory, documents);
        HostViews.Model model = HostViews.Model.read(new NetworkManager(memory));
        Host self = model.hosts().stream().filter(h -> h.name().equals("h0")).findFirst().orElseThrow();
        Map<String, Long> switchPorts = new HashMap<>();
        for (int h = 1; h <= REMOTE_HOSTS; h++) {
            switchPorts.put(Host.tunnelPortName(remoteIp(h)), 5000L + h);
        }
        // Wall time and this thread's CPU time: on a shared machine the first shows the load, the second the work.
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        List<Double> full = new ArrayList<>();
        List<Double> fullCpu = new ArrayList<>();
        int flows = 0;
        for (int i = 0; i < 11; i++) {
            long c0 = cpu.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            flows = new FlowCompiler().compile(HostViews.of(self, model, switchPorts)).size();
            full.add((System.nanoTime() - t0) / 1e6);
            fullCpu.add((cpu.getCurrentThreadCpuTime() - c0) / 1e6);
        }
        FlowCompiler compiler = new FlowCompiler();
        HostViewBuilder views = new HostViewBuilder(); // as the switch's master keeps one
        compiler.compile(views.of(self, model, switchPorts));
        List<Double> change = new ArrayList<>();
        List<Double> changeCpu = new ArrayList<>();
        List<Double> compileOnly = new ArrayList<>();
        List<io.flowkeeper.api.network.PortBinding> bindings = new ArrayList<>(model.bindings());
        for (int i = -WARM_UP; i < 101; i++) {
            int at = i % 2 == 0 ? 0 : bindings.size() - 1;
            var b = bindings.get(at);
            bindings.set(at, new io.flowkeeper.api.network.PortBinding(b.portId(), b.host(), b.ofPort() ^ 0x4000,
                    b.attachedMac(), b.state(), ""));
            HostViews.Model changed = new HostViews.Model(model.networks(), model.subnets(), model.ports(),
                    model.hosts(), bindings, model.routers(), model.securityGroups(), model.floatingIps(),
                    model.gateways());
            if (i < 0) {
                compiler.compile(views.of(self, changed, switchPorts));
                continue;
            }
            long c0 = cpu.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            HostView view = views.of(self, changed, switchPorts);
            long t1 = System.nanoTime();
            compiler.compile(view);
            long t2 = System.nanoTime();
            change.add((t2 - t0) / 1e6);
            changeCpu.add((cpu.getCurrentThreadCpuTime() - c0) / 1e6);
            compileOnly.add((t2 - t1) / 1e6);
        }
        double change50 = BenchReport.quantile(change, 0.5);
        double changeCpu50 = BenchReport.quantile(changeCpu, 0.5);
        report.row("flows compiled for the host", flows, "flows", null, null, null);
        report.row("compile alone, all " + ports + " ports, p50 of 11 (fresh compiler), wall",
                round(BenchReport.quantile(full, 0.5)), "ms", null, null, null);
        report.row("compile alone, all " + ports + " ports, p50 of 11 (fresh compiler), CPU",
                round(BenchReport.quantile(fullCpu, 0.5)), "ms", null, null, null);
        report.row("one port change: view from the model + recompile, p50, wall", round(change50), "ms", "< 5",
                change50 < 5, null);
        report.row("one port change: view from the model + recompile, p50, CPU", round(changeCpu50), "ms", "< 5",
                changeCpu50 < 5, null);
        report.row("one port change: view from the model + recompile, p99", round(BenchReport.quantile(change, 0.99)),
                "ms", null, null, null);
        report.row("one port change: recompile alone, p50", round(BenchReport.quantile(compileOnly, 0.5)), "ms", null,
                null, null);
        double[][] dataplane = dataplaneChanges(memory, documents, switchPorts);
        report.row("one port change through the data plane (model, view, compile, flow ids), p50",
                round(dataplane[0][0]), "ms", null, null, null);
        report.row("... then the master's comparison with the flows it programmed last, p50", round(dataplane[0][1]),
                "ms", null, null, null);
        report.row("... flows in that comparison's step, p50", dataplane[0][2], "flows", null, null, null);
        report.row("a port created, plugged, unplugged, deleted in turn, through the data plane, p50",
                round(dataplane[1][0]), "ms", null, null, null);
        report.row("... the slowest of those 101 changes", round(dataplane[1][3]), "ms", null, null, null);
        report.row("... then the master's comparison, p50", round(dataplane[1][1]), "ms", null, null, null);
        report.row("... flows in the largest step", dataplane[1][4], "flows", null, null, null);
        report.note(ports + " ports plugged on the host in " + ports / PORTS_PER_NETWORK + " VXLAN networks of "
                + PORTS_PER_NETWORK + " local and " + PORTS_PER_NETWORK + " remote ports (on " + REMOTE_HOSTS
                + " other hosts); a change moves one port to another OpenFlow port (unplug + plug), 101 times; a port"
                + " created, plugged on the host, unplugged and deleted in turn, 101 changes"
                + (defaultSecurityGroup ? "; every port in its project's default security group (50 projects)"
                : "; ports with port security on and no security group"));

        int plugs = plugsOption != null ? plugsOption : small ? 20 : 200;
        if (!skipOvs) {
            coldProgramming(report, documents, flows);
            if (plugs > 0) {
                int modelPorts = modelPortsOption != null ? modelPortsOption : small ? 10_000 : 100_000;
                int rebootPorts = rebootPortsOption != null ? rebootPortsOption : small ? 200 : 4_000;
                new AgentClusterPhase(plugs, rebootPorts, modelPorts, this::progress).run(report);
            }
        }
        report.note("host load average (1, 5, 15 min) at the start " + loadAtStart + ", at the end "
                + BenchReport.loadAverage() + " (2 cores; other work shares them)");
        report.print(System.out, json);
        return 0;
    }

    private void coldProgramming(BenchReport report, Map<String, String> documents, int expected) throws Exception {
        progress("starting the test bed and 3 controller nodes (2 JVMs, 1 in this one)");
        try (TestBed bed = TestBed.create();
             LocalCluster cluster = LocalCluster.inTempDir(3, List.of("request-timeout: 10s"), bed.controllerIp())) {
            try (ControllerNode node = startTwoJvmsAndOneHere(cluster)) {
                OvsHost host = bed.addHost("h1");
                host.addBridge(BridgeSpec.named(BRIDGE));
                host.vsctl("set", "bridge", BRIDGE, "other-config:datapath-id=" + String.format("%016x", DPID));
                for (int h = 1; h <= REMOTE_HOSTS; h++) {
                    String name = Host.tunnelPortName(remoteIp(h));
                    host.vsctl("add-port", BRIDGE, name, "--", "set", "interface", name, "type=vxlan",
                            "options:remote_ip=" + remoteIp(h), "options:key=flow", "ofport_request=" + (5000 + h));
                }
                progress("writing the model (" + documents.size() + " documents) through node n3");
                write(node.cluster(), documents);
                List<String> targets = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    targets.add("tcp:" + cluster.openflowAddress(i));
                }
                Thread.sleep(2_000); // every node's replica and model watch has the model
                progress("setting the controllers; waiting for " + expected + " flows");
                java.time.LocalTime started = java.time.LocalTime.now();
                long t0 = System.nanoTime();
                host.setControllers(BRIDGE, targets.toArray(String[]::new));
                long deadline = t0 + 300_000_000_000L;
                int count = 0;
                while (count < expected && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                    count = flowCount(host);
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                if (count < expected) {
                    throw new IllegalStateException("the switch holds " + count + " of " + expected + " flows after "
                            + Math.round(seconds) + " s");
                }
                double ofctl = ofctlBaseline(host, expected);
                report.row("cold programming: controllers set -> all " + expected + " flows on the switch",
                        round(seconds), "s", "< 1", seconds < 1, String.format(
                                "ovs-ofctl --bundle add-flows of the same flows into an empty bridge: %.3f s (%.2fx)",
                                ofctl, seconds / ofctl));
                report.note("cold programming includes the switch connecting to 3 nodes, mastership, the master's"
                        + " compile and one reconciliation bundle; the bridge had no flows and no snapshot");
                timeline(report, cluster, started);
                dhcp(report, cluster, node, host);
            }
        }
    }

    /**
     * Starts nodes 0 and 1 as JVMs of their own and node 2 in this JVM (the bench writes the model straight into
     * the shard through it: the Neutron API refuses raw writes under /neutron); returns node 2 once all are ready.
     */
    static ControllerNode startTwoJvmsAndOneHere(LocalCluster cluster) throws Exception {
        cluster.start(0);
        cluster.start(1);
        ControllerNode node = new ControllerNode(ControllerConfig.load(cluster.configFile(2), Map.of()));
        try {
            node.start(new PrintStream(OutputStream.nullOutputStream()));
            cluster.awaitReady(0, 180_000);
            cluster.awaitReady(1, 180_000);
            return node;
        } catch (Exception | Error e) {
            node.close();
            throw e;
        }
    }

    /**
     * DHCP as a VM sees it: the real {@code dhclient} from start to a configured address (DISCOVER, OFFER, REQUEST,
     * ACK through packet-in and packet-out at the switch's master), on the full host; then once right after a kill -9
     * of the switch's master (when a node JVM of its own masters it), where the client's retransmission finds the next.
     */
    private void dhcp(BenchReport report, LocalCluster cluster, ControllerNode node, OvsHost host) throws Exception {
        int samples = small ? 5 : 20;
        progress("DHCP: " + samples + " dhclient runs on the full host");
        io.flowkeeper.testbed.Vm vm = host.addVm("dh", BRIDGE, "fa:16:3e:ff:00:01", null);
        host.vsctl("set", "interface", vm.port(), "ofport_request=4500"); // beside the model's ports 1-4000
        String id = uuid(3, 999_999);
        ObjectNode p = JSON.createObjectNode().put("id", id).put("name", "dh").put("project_id", "project0")
                .put("network_id", uuid(1, 0)).put("mac_address", vm.mac()).put("admin_state_up", true)
                .put("port_security_enabled", true).put("status", "DOWN").put("revision_number", 1);
        p.putArray("fixed_ips").addObject().put("subnet_id", uuid(2, 0)).put("ip_address", "10.0.0.200");
        Map<String, String> docs = new LinkedHashMap<>();
        docs.put("/neutron/ports/" + id, p.toString());
        docs.put("/neutron/bindings/" + id, JSON.createObjectNode().put("port_id", id).put("host", "h0")
                .put("ofport", 4500).put("attached_mac", vm.mac()).put("state", "PLUGGED").toString());
        write(node.cluster(), docs);
        long until = System.nanoTime() + 60_000_000_000L;
        while (!portActive(node.cluster(), id) && System.nanoTime() < until) {
            Thread.sleep(50);
        }
        List<Double> seconds = new ArrayList<>();
        for (int i = 0; i < samples; i++) {
            long t0 = System.nanoTime();
            String lease = vm.dhclient(java.time.Duration.ofSeconds(30));
            seconds.add((System.nanoTime() - t0) / 1e6);
            if (!lease.contains("fixed-address 10.0.0.200;")) {
                throw new IllegalStateException("dhclient got another lease: " + lease);
            }
        }
        report.row("DHCP, master only (no agent): dhclient start -> address configured, p50",
                round(BenchReport.quantile(seconds, 0.5)), "ms",
                null, null, null);
        report.row("DHCP, master only (no agent): dhclient start -> address configured, p99",
                round(BenchReport.quantile(seconds, 0.99)),
                "ms", null, null, null);
        String owner = null;
        for (com.fasterxml.jackson.databind.JsonNode e : cluster.client(2).get("/v1/ownership").body()
                .path("entities")) {
            if (e.path("entity").asText().equals("openflow:" + String.format("%016x", DPID))) {
                owner = e.path("owner").asText(null);
            }
        }
        if (owner == null || owner.equals(cluster.id(2))) {
            report.note("DHCP across a master kill not measured: the switch's master runs in the bench's own JVM");
            return;
        }
        cluster.kill(cluster.indexOf(owner));
        long t0 = System.nanoTime();
        vm.dhclient(java.time.Duration.ofSeconds(60));
        report.row("DHCP, master only (no agent): dhclient started right after kill -9 of the switch's master -> "
                + "address configured",
                round((System.nanoTime() - t0) / 1e9), "s", null, null, null);
        report.note("dhclient retransmits its DISCOVER after a few seconds: the first one finds no master");
    }

    private static boolean portActive(DatastoreService store, String id) {
        return store.get(SHARD, io.flowkeeper.api.store.DataPath.of("/neutron/ports/" + id),
                io.flowkeeper.api.store.ReadConsistency.STALE).map(v -> v.json().contains("\"status\":\"ACTIVE\""))
                .orElse(false);
    }

    /**
     * The master's own account, when the node JVMs log at INFO ({@code FLOWKEEPER_LOG_LEVEL=INFO}): when it became
     * MASTER and when its reconciliation bundle was committed, in seconds after the controllers were set.
     */
    private static void timeline(BenchReport report, LocalCluster cluster, java.time.LocalTime started)
            throws java.io.IOException {
        String dpid = String.format("%016x", DPID);
        for (int i = 0; i < 2; i++) {
            for (String line : java.nio.file.Files.readAllLines(cluster.logFile(i))) {
                if (line.contains("switch " + dpid + ": MASTER on node")
                        || line.contains("switch " + dpid + ": reconciled to")) {
                    double at = java.time.Duration.between(started, java.time.LocalTime.parse(line.substring(0, 12)))
                            .toMillis() / 1000.0;
                    report.note("master's log, +" + at + " s: " + line.substring(line.indexOf("switch " + dpid)));
                }
            }
        }
    }

    /**
     * The floor under cold programming: the same flows, dumped from the programmed switch, installed by
     * {@code ovs-ofctl --bundle add-flows} into an empty bridge of the same {@code ovs-vswitchd} (no connection, no
     * mastership, no compile, no reconciliation). Output ports that do not exist there are accepted by OVS.
     */
    private static double ofctlBaseline(OvsHost host, int expected) {
        java.nio.file.Path file = host.runDir().resolve("cold-flows.txt");
        try {
            java.nio.file.Files.writeString(file, host.ofctl("-O", "OpenFlow14", "--no-stats", "dump-flows", BRIDGE));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        host.addBridge(BridgeSpec.named(BASELINE_BRIDGE));
        long t0 = System.nanoTime();
        host.ofctl("-O", "OpenFlow14", "--bundle", "add-flows", BASELINE_BRIDGE, file.toString());
        double seconds = (System.nanoTime() - t0) / 1e9;
        Matcher m = Pattern.compile("flow_count=(\\d+)").matcher(host.ofctl("dump-aggregate", BASELINE_BRIDGE));
        int count = m.find() ? Integer.parseInt(m.group(1)) : 0;
        if (count != expected) {
            throw new IllegalStateException("the baseline bridge holds " + count + " of " + expected + " flows");
        }
        host.vsctl("del-br", BASELINE_BRIDGE);
        return seconds;
    }

    private static int flowCount(OvsHost host) {
        Matcher m = Pattern.compile("flow_count=(\\d+)").matcher(host.ofctl("dump-aggregate", BRIDGE));
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    /**
     * Changes as the switch's master meets them: a document change committed to the store, the data plane's watch
     * applying it, then {@code TenantDataplane.flows} for the host's switch (timed: its model snapshot, view, compile
     * and flow ids), then the master's step from the flows it had (timed apart; as {@code SwitchMaster} takes it).
     * Not the bundle. First a port moved to another OpenFlow port (its binding), then a port created, plugged,
     * unplugged and deleted in turn (its creation and deletion, in a group naming itself as remote, change the
     * group's members). For each: the two medians (ms)
     * and the step's median size (flows).
     */
    private static double[][] dataplaneChanges(InMemoryDatastore memory, Map<String, String> documents,
                                               Map<String, Long> switchPorts) throws Exception {
        InMemorySwitch sw = new InMemorySwitch(DPID);
        switchPorts.forEach((name, number) -> sw.addPort(new PortInfo(number, name, number, false, false)));
        java.util.concurrent.Semaphore changed = new java.util.concurrent.Semaphore(0);
        try (TenantDataplane dataplane = new TenantDataplane(new NetworkManager(memory), memory,
                new InMemorySwitchService(), java.time.Clock.systemUTC())) {
            dataplane.onChange(dpid -> changed.release());
            dataplane.start();
            List<Map<String, io.flowkeeper.api.flow.Flow>> last = new ArrayList<>(List.of(dataplane.flows(sw)));
            String binding = documents.keySet().stream().filter(k -> k.startsWith("/neutron/bindings/")).findFirst()
                    .orElseThrow();
            ObjectNode moved = (ObjectNode) JSON.readTree(documents.get(binding));
            double[] move = timeChanges(dataplane, sw, changed, last, i -> {
                moved.put("ofport", moved.path("ofport").asInt() ^ 0x4000);
                commit(memory, Transaction.builder().put(binding, moved.toString()));
            });
            String port = documents.keySet().stream().filter(k -> k.startsWith("/neutron/ports/")).findFirst()
                    .orElseThrow();
            ObjectNode created = (ObjectNode) JSON.readTree(documents.get(port));
            String id = uuid(9, 1);
            created.put("id", id).put("mac_address", "fa:16:3e:fe:00:01");
            ((ObjectNode) created.path("fixed_ips").get(0)).put("ip_address", "10.0.0.200");
            ObjectNode createdBinding = moved.deepCopy().put("port_id", id).put("ofport", 0x7000)
                    .put("attached_mac", "fa:16:3e:fe:00:01");
            // one document per change, as the API and the agent write them: each is one notification
            double[] createDelete = timeChanges(dataplane, sw, changed, last, i -> commit(memory, switch (i % 4) {
                case 0 -> Transaction.builder().put("/neutron/ports/" + id, created.toString());
                case 1 -> Transaction.builder().put("/neutron/bindings/" + id, createdBinding.toString());
                case 2 -> Transaction.builder().delete("/neutron/bindings/" + id);
                default -> Transaction.builder().delete("/neutron/ports/" + id);
            }));
            return new double[][] {move, createDelete};
        }
    }

    private static double[] timeChanges(TenantDataplane dataplane, InMemorySwitch sw,
                                        java.util.concurrent.Semaphore changed,
                                        List<Map<String, io.flowkeeper.api.flow.Flow>> last,
                                        java.util.function.IntConsumer change) throws InterruptedException {
        List<Double> times = new ArrayList<>();
        List<Double> steps = new ArrayList<>();
        List<Double> sizes = new ArrayList<>();
        for (int i = -WARM_UP; i < 101; i++) {
            changed.drainPermits();
            change.accept(i + WARM_UP); // the changes' order kept: the warm-up's count is a multiple of theirs
            if (!changed.tryAcquire(10, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new IllegalStateException("the data plane did not see the change");
            }
            if (i < 0) {
                last.set(0, dataplane.flows(sw));
                continue;
            }
            long t0 = System.nanoTime();
            Map<String, io.flowkeeper.api.flow.Flow> now = dataplane.flows(sw);
            long t1 = System.nanoTime();
            Map<String, io.flowkeeper.api.flow.Flow> step = FlowParts.changes(last.get(0), now);
            steps.add((System.nanoTime() - t1) / 1e6);
            times.add((t1 - t0) / 1e6);
            sizes.add((double) step.size());
            last.set(0, now);
        }
        return new double[] {BenchReport.quantile(times, 0.5), BenchReport.quantile(steps, 0.5),
                BenchReport.quantile(sizes, 0.5), BenchReport.quantile(times, 1), BenchReport.quantile(sizes, 1)};
    }

    private static void write(DatastoreService store, Map<String, String> documents) {
        Transaction.Builder txn = Transaction.builder();
        int n = 0;
        for (Map.Entry<String, String> d : documents.entrySet()) {
            txn.put(d.getKey(), d.getValue());
            if (++n % 500 == 0) {
                commit(store, txn);
                txn = Transaction.builder();
            }
        }
        commit(store, txn);
    }

    /**
     * Commits puts into the network-config shard, trying again while a loaded cluster changes leaders (puts alone:
     * a retry is harmless); returns the shard's revision after it.
     */
    static long commit(DatastoreService store, Transaction.Builder txn) {
        Transaction t = txn.build();
        for (int attempt = 1; ; attempt++) {
            try {
                io.flowkeeper.api.store.CommitResult r = store.commit(SHARD, t);
                if (!r.succeeded()) {
                    throw new IllegalStateException("writing the model failed");
                }
                return r.revision();
            } catch (io.flowkeeper.api.store.StoreException e) {
                if (attempt == 10) {
                    throw e;
                }
                try {
                    Thread.sleep(500);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private static String remoteIp(int h) {
        return "192.0.2." + h;
    }

    private static String uuid(int kind, int n) {
        return String.format("%08x-0000-4000-8000-%012x", kind, n);
    }

    /**
     * The model as the Neutron API and the agent store it: networks, subnets (same CIDR everywhere, as tenants do),
     * ports, hosts and bindings. The host measured is {@code h0}.
     */
    static Map<String, String> documents(int localPorts) {
        return documents(localPorts, false);
    }

    /** {@link #documents(int)}, with every port in its project's default security group if {@code groups}. */
    static Map<String, String> documents(int localPorts, boolean groups) {
        Map<String, String> docs = new LinkedHashMap<>();
        if (groups) {
            for (int k = 0; k < PROJECTS; k++) {
                String group = uuid(4, k);
                docs.put("/neutron/security-groups/" + group, JSON.createObjectNode().put("id", group)
                        .put("name", "default").put("project_id", "project" + k).put("revision_number", 1)
                        .toString());
                for (String direction : List.of("ingress", "egress")) {
                    String rule = uuid(5, 2 * k + (direction.equals("ingress") ? 0 : 1));
                    ObjectNode r = JSON.createObjectNode().put("id", rule).put("security_group_id", group)
                            .put("direction", direction).put("ethertype", "IPv4").put("project_id", "project" + k);
                    if (direction.equals("ingress")) {
                        r.put("remote_group_id", group);
                    }
                    docs.put("/neutron/security-group-rules/" + rule, r.toString());
                }
            }
        }
        docs.put("/neutron/hosts/h0", host("h0", "192.0.2.100", DPID));
        for (int h = 1; h <= REMOTE_HOSTS; h++) {
            docs.put("/neutron/hosts/h" + h, host("h" + h, remoteIp(h), 0x100 + h));
        }
        int networks = Math.max(1, localPorts / PORTS_PER_NETWORK);
        int port = 0;
        for (int n = 0; n < networks; n++) {
            String net = uuid(1, n);
            docs.put("/neutron/networks/" + net, JSON.createObjectNode().put("id", net).put("name", "net" + n)
                    .put("project_id", "project" + n % PROJECTS).put("provider:network_type", "vxlan")
                    .put("provider:segmentation_id", 1000 + n).put("mtu", 1450).put("admin_state_up", true)
                    .put("revision_number", 1).toString());
            String subnet = uuid(2, n);
            ObjectNode s = JSON.createObjectNode().put("id", subnet).put("network_id", net)
                    .put("project_id", "project" + n % PROJECTS).put("cidr", "10.0.0.0/24")
                    .put("gateway_ip", "10.0.0.1").put("enable_dhcp", true).put("revision_number", 1);
            s.putArray("dns_nameservers").add("10.0.0.53");
            docs.put("/neutron/subnets/" + subnet, s.toString());
            for (int i = 0; i < 2 * PORTS_PER_NETWORK; i++) {
                String id = uuid(3, port);
                String mac = String.format("fa:16:3e:%02x:%02x:%02x", port >> 16 & 255, port >> 8 & 255, port & 255);
                ObjectNode p = JSON.createObjectNode().put("id", id).put("name", "").put("project_id",
                        "project" + n % PROJECTS).put("network_id", net).put("mac_address", mac)
                        .put("admin_state_up", true).put("port_security_enabled", true).put("status", "DOWN")
                        .put("revision_number", 1);
                p.putArray("fixed_ips").addObject().put("subnet_id", subnet).put("ip_address", "10.0.0." + (i + 2));
                if (groups) {
                    p.putArray("security_groups").add(uuid(4, n % PROJECTS));
                }
                docs.put("/neutron/ports/" + id, p.toString());
                boolean local = i < PORTS_PER_NETWORK;
                docs.put("/neutron/bindings/" + id, JSON.createObjectNode().put("port_id", id)
                        .put("host", local ? "h0" : "h" + (1 + i % REMOTE_HOSTS))
                        .put("ofport", local ? n * PORTS_PER_NETWORK + i + 1 : 1 + port)
                        .put("attached_mac", mac).put("state", "PLUGGED").toString());
                port++;
            }
        }
        return docs;
    }

    private static String host(String name, String tunnelIp, long dpid) {
        return JSON.createObjectNode().put("name", name).put("tunnel_ip", tunnelIp).put("integration_bridge", BRIDGE)
                .put("datapath_id", dpid).put("agent_version", "bench").put("heartbeat_millis", 0).toString();
    }

    private void progress(String line) {
        if (!json) {
            System.err.println(line);
        }
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
