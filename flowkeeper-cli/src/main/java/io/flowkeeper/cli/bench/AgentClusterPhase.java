package io.flowkeeper.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.controller.ControllerNode;
import io.flowkeeper.controller.RestClient;
import io.flowkeeper.controller.local.LocalCluster;
import io.flowkeeper.network.dataplane.FlowCompiler;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.PingMonitor;
import io.flowkeeper.testbed.TestBed;
import io.flowkeeper.testbed.Vm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The part of {@code bench network} with real host agents, as operators run them: a 3-node cluster (two node JVMs
 * and one in this JVM, which writes the large model straight into the shard), two test-bed hosts each with
 * {@code flowkeeper agent} in a JVM of its own, a VXLAN network made through the Neutron API and a VM on host 2.
 * <ol>
 * <li>VM plug to first ping answered: each new port is created through the API, its VM's namespace is made with
 * the port's fixed IP set statically (DHCP is not in the figure), a ping to the VM on host 2 is already sending
 * every 5 ms, and the clock runs from {@code ovs-vsctl add-port} (iface-id, attached-mac) to the first reply.</li>
 * <li>DHCP with the host agents' own servers (after the reboot phase, the node JVMs started again after it): the
 * real {@code dhclient} on host 1 on a quiet cluster, right after a kill -9 of its switch's master, and with every
 * controller it has killed (host 1's agent names only the two node JVMs).</li>
 * <li>Node heap and RSS with many ports in the model: ports (with their MAC, address and network index claims)
 * written into the network-config shard as the Neutron API stores them, cloned from a port the API made; then each
 * node JVM's live heap after a full collection and its RSS.</li>
 * </ol>
 */
final class AgentClusterPhase {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SHARD = "network-config";
    private static final String BRIDGE = "br-int";
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** The Neutron OVS agent polls OVSDB this often before it starts wiring a new port. */
    private static final double ANCHOR_MS = 2_000;
    private static final Duration PING_INTERVAL = Duration.ofMillis(5);
    /** Ports per filler network of the model (one /16 subnet each). */
    private static final int PORTS_PER_NETWORK = 10_000;
    /** Ports per transaction when writing the model: about 600 KB, far below the shard's limit. */
    private static final int PORTS_PER_TRANSACTION = 500;

    /** Ports made while the rebooting host is down. */
    private static final int PORTS_MADE_WHILE_DOWN = 10;
    /** Ports plugged per {@code ovs-vsctl} call when filling the host. */
    private static final int PLUGS_PER_VSCTL = 200;

    private final int plugs;
    private final int rebootPorts;
    private final int modelPorts;
    private final Consumer<String> progress;

    AgentClusterPhase(int plugs, int rebootPorts, int modelPorts, Consumer<String> progress) {
        this.plugs = plugs;
        this.rebootPorts = rebootPorts;
        this.modelPorts = modelPorts;
        this.progress = progress;
    }

    /** A port the API made: what the VM needs. */
    private record Port(String id, String mac, String ip) {
    }

    void run(BenchReport report) throws Exception {
        String savedOpts = System.getProperty("flowkeeper.node.jvm-opts");
        // The nodes get the 1 GB heap bench api gives them: the target's limit, which the large model must fit in.
        System.setProperty("flowkeeper.node.jvm-opts", savedOpts != null ? savedOpts : ApiBench.NODE_JVM_OPTS);
        progress.accept("agents: starting the test bed, 3 controller nodes (2 JVMs, 1 in this one) and 2 hosts");
        try (TestBed bed = TestBed.create();
             LocalCluster cluster = LocalCluster.inTempDir(3, List.of("network: {vxlan-vni-ranges: [\"2000:2999\"]}"),
                     bed.controllerIp());
             OvsHost t1 = bed.addHost("t1").attachUnderlay();
             OvsHost t2 = bed.addHost("t2").attachUnderlay()) {
            try (ControllerNode node = NetworkBench.startTwoJvmsAndOneHere(cluster)) {
                List<RestClient> apis = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    apis.add(cluster.client(i).withOpenStackToken());
                }
                // Host 1's switch is mastered by a node JVM, whose log holds the master's account of the reboot
                // phase's reconcile (the node in this JVM logs at WARN, to the console).
                try (AgentProcess a1 = new AgentProcess("128m", AgentProcess.clusterArguments(cluster, t1, 2));
                     AgentProcess a2 = new AgentProcess("128m", AgentProcess.clusterArguments(cluster, t2))) {
                    a1.awaitKinds(WAIT, "registered", "journaling");
                    a2.awaitKinds(WAIT, "registered", "journaling");
                    List<Vm> vms = plugToPing(report, apis, t1, t2);
                    if (rebootPorts > 0 && vms.size() >= 2) {
                        reboot(report, cluster, apis, t1, a1, vms);
                    }
                    dhcp(report, cluster, apis, t1);
                }
                // The DHCP phase killed both node JVMs: the model phase needs them back (and its heap figures, the
                // agents gone, as before). Before the model, not after: with 100,000 ports the node in this JVM
                // has no room to spare alone without quorum (an OutOfMemoryError at -Xmx512m, once).
                for (int i = 0; i < 2; i++) {
                    cluster.start(i);
                }
                for (int i = 0; i < 2; i++) {
                    cluster.awaitReady(i, 180_000);
                }
                model(report, cluster, node.cluster(), apis.get(0));
            }
        } finally {
            if (savedOpts == null) {
                System.clearProperty("flowkeeper.node.jvm-opts");
            } else {
                System.setProperty("flowkeeper.node.jvm-opts", savedOpts);
            }
        }
    }

    /** The network of the plugged VMs (and of the ports of the reboot phase): its id and its subnet's. */
    private String[] plugNetwork;

    /** Returns the VMs plugged on {@code t1}, which stay plugged. */
    private List<Vm> plugToPing(BenchReport report, List<RestClient> apis, OvsHost t1, OvsHost t2) throws Exception {
        String[] net = network(apis.get(0), "bench-plug", "10.30.0.0/16");
        plugNetwork = net;
        List<Vm> onT1 = new ArrayList<>();
        Port peer = port(apis.get(1), net[0], "peer", null);
        Vm peerVm = t2.addVm("peer", BRIDGE, peer.mac(), peer.ip() + "/16", peer.id());
        fastNeighbourRetry(peerVm);
        AgentProcess.awaitPortActive(apis.get(0), peer.id(), WAIT);
        progress.accept("agents: " + plugs + " plugs on t1, each timed to the first ping reply from the VM on t2");
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < plugs; i++) {
            Port p = port(apis.get(i % apis.size()), net[0], "plug" + i, null);
            Vm vm = t1.prepareVm("p" + i, BRIDGE, p.mac(), p.ip() + "/16");
            fastNeighbourRetry(vm);
            PingMonitor ping = vm.startPing(peer.ip(), PING_INTERVAL);
            try {
                // The ping is sending before the plug, so the figure holds no process start-up.
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (ping.sentSoFar() == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(2);
                }
                Instant plugged = Instant.now();
                t1.plug(vm, p.id());
                onT1.add(vm);
                Optional<Instant> reply = ping.firstReply();
                deadline = System.nanoTime() + WAIT.toNanos();
                while (reply.isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(2);
                    reply = ping.firstReply();
                }
                if (reply.isEmpty()) {
                    throw new IllegalStateException("VM p" + i + " (port " + p.id() + ") got no ping reply from "
                            + peer.ip() + " within " + WAIT.toSeconds() + " s of its plug");
                }
                ms.add(Duration.between(plugged, reply.get()).toNanos() / 1e6);
            } finally {
                ping.abort();
            }
        }
        double p50 = BenchReport.quantile(ms, 0.5);
        double p99 = BenchReport.quantile(ms, 0.99);
        report.row("VM plug (ovs-vsctl add-port) -> first ping answered across hosts, p50 of " + plugs, round(p50),
                "ms", null, null, anchor(p50));
        report.row("VM plug (ovs-vsctl add-port) -> first ping answered across hosts, p99 of " + plugs, round(p99),
                "ms", "< 300", p99 < 300, anchor(p99));
        report.note("plug -> ping: each port created through the Neutron API first; the VM's address set from its"
                + " fixed IP (no DHCP); a ping every " + PING_INTERVAL.toMillis() + " ms already sending; ARP retried"
                + " every 5 ms in the VMs (the kernel's 1 s retry would round the figure to seconds); the VMs stay"
                + " plugged, so the last plug is on a host with " + plugs + " VMs; the anchor is what the Neutron OVS"
                + " agent waits before it starts (its OVSDB poll), not its whole wiring time");
        return onT1;
    }

    /**
     * Seed 000 end to end: host 1 filled to {@code rebootPorts} ports, each made through the Neutron API and
     * plugged as an OVS internal port with its iface-id and MAC (the agent reports them, the master compiles them
     * and the agent journals the flows); then its {@code ovs-vswitchd} is killed, {@value #PORTS_MADE_WHILE_DOWN}
     * ports are made and plugged in OVSDB while it is down, and it is started under flow-restore-wait, as a boot
     * script does, while one of its VMs pings another every 10 ms. Reported: the agent's restore, the first reply,
     * the master's reconcile (expected: nothing to change, the snapshot being the table it programmed), the flows
     * that differ once the new ports are ACTIVE (expected: only theirs) and the echo requests lost once forwarding
     * had resumed (expected: none).
     */
    private void reboot(BenchReport report, LocalCluster cluster, List<RestClient> apis, OvsHost t1,
                        AgentProcess agent, List<Vm> vms) throws Exception {
        int fill = rebootPorts - vms.size();
        progress.accept("reboot: making " + fill + " more ports through the API and plugging them on t1");
        long t0 = System.nanoTime();
        List<Port> ports = createPorts(apis, "seed", fill);
        double createSeconds = (System.nanoTime() - t0) / 1e9;
        plugTaps(t1, ports, 0, false);
        awaitActive(apis.get(0), ports, Duration.ofMinutes(5));
        double settledSeconds = (System.nanoTime() - t0) / 1e9;
        Thread.sleep(1_000); // the agent journals the last changes
        int flows = t1.flowCount(BRIDGE);
        report.note("reboot: " + rebootPorts + " ports on t1 (" + fill + " made through the API in "
                + round(createSeconds) + " s and plugged, all ACTIVE after " + round(settledSeconds) + " s), "
                + flows + " flows on its br-int");
        List<String> before = t1.dumpFlowsWithoutCounters(BRIDGE);
        List<Port> madeWhileDown = new ArrayList<>();
        // The new ports get a security group of their own, so that the rows count only the reboot and the new ports'
        // own flows. (In the project's default group they once changed the rule-set generation (ct_mark) of every
        // member port's flows; now a join adds one flow per host, the one listing its address, which the rows below
        // would count as the new port's; kept as it was measured.)
        String downGroup = create(apis.get(0), "security-groups", "{\"security_group\": {\"name\": \"bench-down\"}}")
                .path("id").asText();
        Vm pinger = vms.get(0);
        String target = vms.get(1).ip();
        progress.accept("reboot: kill -9 of t1's ovs-vswitchd, " + PORTS_MADE_WHILE_DOWN + " ports made while it is"
                + " down, started under flow-restore-wait; " + pinger.name() + " pings " + target + " every 10 ms");
        HostReboot.Result r = HostReboot.run(cluster, t1, BRIDGE, agent, pinger, target, Duration.ofMillis(10),
                () -> {
                    try {
                        madeWhileDown.addAll(createPorts(apis, "down", PORTS_MADE_WHILE_DOWN, downGroup));
                        plugTaps(t1, madeWhileDown, fill, true);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                },
                WAIT, () -> {
                    try {
                        awaitActive(apis.get(0), madeWhileDown, WAIT);
                        Thread.sleep(1_000);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
        List<String> after = t1.dumpFlowsWithoutCounters(BRIDGE);
        Set<String> removed = new TreeSet<>(before);
        removed.removeAll(after);
        Set<String> added = new TreeSet<>(after);
        added.removeAll(before);
        // A flow is one of the new ports' when it names its MAC, its address or its OpenFlow port (as in_port, an
        // output, a conntrack zone (the flood's copy to it, and the flow taking that copy to its ingress rules), or
        // the port bits the classifier writes into the metadata).
        List<Pattern> newPortKeys = new ArrayList<>();
        for (int i = 0; i < madeWhileDown.size(); i++) {
            Port p = madeWhileDown.get(i);
            int ofport = t1.ofport("fk" + (fill + i));
            newPortKeys.add(Pattern.compile(Pattern.quote(p.mac())
                    + "|(?<![0-9.])" + Pattern.quote(p.ip()) + "(?![0-9])"
                    + "|(in_port=|output:|zone=)" + ofport + "(?![0-9])"
                    + "|ct_zone=0x" + Integer.toHexString(ofport) + "(?![0-9a-f])"
                    + "|metadata=0x" + Long.toHexString((long) ofport << FlowCompiler.PORT_SHIFT) + "/0x"
                    + Long.toHexString(FlowCompiler.PORT_MASK) + "(?![0-9a-f])"));
        }
        Predicate<String> forOthers = f -> newPortKeys.stream().noneMatch(k -> k.matcher(f).find());
        long addedForOthers = added.stream().filter(forOthers).count();
        long addedForNewPorts = added.size() - addedForOthers;
        // A flow that was rewritten for them (the flood flow they joined) left its old text behind: not a loss.
        Set<String> rewrittenForNewPorts = new HashSet<>();
        added.stream().filter(forOthers.negate()).forEach(f -> rewrittenForNewPorts.add(withoutActions(f)));
        List<String> gone = removed.stream().filter(f -> !rewrittenForNewPorts.contains(withoutActions(f))).toList();

        AgentProcess.Event restored = r.restored();
        report.row("reboot of a " + rebootPorts + "-port host: ovs-vswitchd start -> snapshot restored ("
                + restored.fields().get("flows") + " flows of " + r.flowsBefore() + ")", r.since(restored.at()), "ms",
                null, null, null);
        report.row("reboot: ovs-vswitchd start -> first ping reply between two of its VMs",
                r.firstReply().map(r::since).orElse(null), "ms", null, null, null);
        r.reconciled().ifPresent(l -> report.note("reboot: the master's reconcile at +"
                + l.millisAfter(r.startClock()) + " ms: " + l.match().group(0).replaceAll(".*switch \\p{XDigit}+: ",
                "")));
        r.master().ifPresent(l -> report.note("reboot: MASTER at +" + l.millisAfter(r.startClock()) + " ms"));
        StringBuilder agentLines = new StringBuilder("reboot: the agent, from the start of ovs-vswitchd:");
        r.agent().values().stream().sorted(Comparator.comparing(AgentProcess.Event::at)).forEach(e ->
                agentLines.append(" ").append(e.kind()).append(" +").append(r.since(e.at())).append(" ms")
                        .append(e.fields()));
        r.laterAgentLines().forEach(e -> agentLines.append("; ").append(e.kind()).append(" +")
                .append(r.since(e.at())).append(" ms ").append(e.fields()));
        report.note(agentLines.toString());
        r.restoreAwaited().ifPresent(l -> report.note("reboot: the master, finding br-int empty as it connected, "
                + (l.match().group(3) == null ? "waited for the agent's restore in vain"
                : "waited " + l.match().group(3) + " ms for the agent's restore") + " before its reconcile"));
        int[] changes = r.changes().orElse(null);
        Integer changed = changes == null ? null : changes[0] + changes[1] + changes[2] + changes[3];
        report.row("reboot: flows the master's reconcile changed (add + modify + replace + delete)", changed, "flows",
                null, null, null);
        // The ports made while down are bound as soon as OVS gives them their numbers, often before the master's
        // reconcile, which then programs their flows (and the flood flows they join): each such change is one of the
        // flows found added for them at the end (a modified flow shows there with its new text).
        Long changedForOthers = changed == null ? null : Math.max(0, changed - addedForNewPorts);
        report.row("reboot: ... of which not for the " + PORTS_MADE_WHILE_DOWN + " ports made while down",
                changedForOthers, "flows", "0", changedForOthers == null ? null : changedForOthers == 0, null);
        report.row("reboot: flows added once the " + PORTS_MADE_WHILE_DOWN + " ports made while down were ACTIVE",
                added.size(), "flows", null, null, null);
        report.row("reboot: ... of which for none of those ports; flows gone or rewritten", addedForOthers + gone
                .size(), "flows", "0", addedForOthers == 0 && gone.isEmpty(), null);
        List<Integer> lost = r.lostAfterResuming();
        report.row("reboot: echo requests lost (every 10 ms) once forwarding had resumed", lost.size(), "requests",
                "0", lost.isEmpty(), null);
        report.note("reboot: ping across it: " + r.ping() + "; flows gone or rewritten (other than for the new ports): "
                + gone.size() + (gone.isEmpty() ? "" : ", first: " + gone.get(0)) + "; added for other ports: "
                + addedForOthers + (addedForOthers == 0 ? "" : ", first: " + added.stream()
                .filter(forOthers).findFirst().orElse("")));
    }

    /** A dumped flow's text up to its actions: the same flow, whatever it does. */
    private static String withoutActions(String flow) {
        int at = flow.indexOf(" actions=");
        return at < 0 ? flow : flow.substring(0, at);
    }

    /** Makes {@code n} ports on the plug network, spread over the three nodes' APIs, one thread each. */
    private List<Port> createPorts(List<RestClient> apis, String prefix, int n) throws Exception {
        return createPorts(apis, prefix, n, null);
    }

    /** The same, each port in {@code securityGroup} (null: the project's default group). */
    private List<Port> createPorts(List<RestClient> apis, String prefix, int n, String securityGroup)
            throws Exception {
        List<Port> made = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(apis.size());
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (RestClient api : apis) {
                workers.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                        made.add(port(api, plugNetwork[0], prefix + i, securityGroup));
                    }
                    return null;
                }));
            }
            for (Future<?> w : workers) {
                w.get();
            }
        } finally {
            pool.shutdownNow();
        }
        return new ArrayList<>(made);
    }

    /**
     * Plugs ports on {@code host} as a hypervisor does: a persistent tap device each (as libvirt makes for a VM,
     * so it outlives {@code ovs-vswitchd} and keeps its OpenFlow port number across the reboot; OVS internal ports
     * are recreated by {@code ovs-vswitchd} and were seen to come back with other numbers), added with its iface-id
     * and MAC, {@value #PLUGS_PER_VSCTL} per {@code ovs-vsctl} call; {@code noWait} while {@code ovs-vswitchd} is
     * down (OVSDB alone takes them).
     */
    private static void plugTaps(OvsHost host, List<Port> ports, int firstIndex, boolean noWait)
            throws IOException {
        StringBuilder taps = new StringBuilder();
        for (int i = 0; i < ports.size(); i++) {
            taps.append("tuntap add dev fk").append(firstIndex + i).append(" mode tap\n");
        }
        Path batch = host.runDir().resolve("taps-" + firstIndex + ".txt");
        Files.writeString(batch, taps.toString());
        io.flowkeeper.testbed.Cmd.run("ip", "-n", host.netns(), "-batch", batch.toString());
        for (int from = 0; from < ports.size(); from += PLUGS_PER_VSCTL) {
            List<String> args = new ArrayList<>();
            if (noWait) {
                args.add("--no-wait");
            }
            for (int i = from; i < Math.min(ports.size(), from + PLUGS_PER_VSCTL); i++) {
                Port p = ports.get(i);
                String name = "fk" + (firstIndex + i);
                args.addAll(List.of("--", "add-port", BRIDGE, name, "--", "set", "interface", name, 
                        "external_ids:iface-id=" + p.id(), "external_ids:attached-mac=" + p.mac(),
                        "external_ids:iface-status=active"));
            }
            host.vsctl(args.toArray(String[]::new));
        }
    }

    /** Waits until every one of {@code ports} is ACTIVE (the master has their flows on the switch). */
    private void awaitActive(RestClient api, List<Port> ports, Duration timeout) throws Exception {
        Set<String> waiting = new HashSet<>();
        ports.forEach(p -> waiting.add(p.id()));
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            RestClient.Response r = api.get("/v2.0/ports?network_id=" + plugNetwork[0] + "&status=ACTIVE&fields=id");
            if (r.status() == 200) {
                r.body().path("ports").forEach(p -> waiting.remove(p.path("id").asText()));
            }
            if (waiting.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(waiting.size() + " of " + ports.size() + " ports still not ACTIVE"
                        + " after " + timeout.toSeconds() + " s");
            }
            Thread.sleep(500);
        }
    }

    /** The anchor beside a plug figure, and how many times shorter the figure is. */
    private static String anchor(double ms) {
        return Math.round(ANCHOR_MS) + " ms before the Neutron OVS agent starts wiring (its OVSDB poll): "
                + Math.round(ANCHOR_MS / ms * 10) / 10.0 + "x this";
    }

    /**
     * The VM's kernel retries an unanswered ARP request every 5 ms (default 1 s, 3 tries): a request sent just
     * before the flows arrive would otherwise add up to a second that is the guest's, not the data plane's.
     */
    private static void fastNeighbourRetry(Vm vm) {
        vm.exec("sysctl", "-q", "-w", "net.ipv4.neigh.eth0.retrans_time_ms=5", "net.ipv4.neigh.eth0.mcast_solicit=100");
    }

    private void model(BenchReport report, LocalCluster cluster, DatastoreService store, RestClient api)
            throws Exception {
        progress.accept("model: writing " + modelPorts + " ports into the " + SHARD + " shard");
        String[] template = network(api, "bench-model-template", "10.99.0.0/16");
        Port first = port(api, template[0], "template", null);
        ObjectNode port = (ObjectNode) JSON.readTree(store.get(SHARD, DataPath.of("/neutron/ports/" + first.id()),
                ReadConsistency.LINEARIZABLE).orElseThrow().json());
        // In no security group: as the API made it, the template is in its project's default group, whose rule
        // names the group itself, as the plugged VMs' ports are; 100,000 members would put one address flow per
        // member and direction on each of their hosts (200,000), the flows' cost, not the model's. The in-process
        // node ran out of its 512 MB compiling them (2026-12-07 19:53).
        port.putArray("security_groups");
        long t0 = System.nanoTime();
        String[] net = null;
        long revision = 0;
        Transaction.Builder txn = Transaction.builder();
        for (int n = 0; n < modelPorts; n++) {
            if (n % PORTS_PER_NETWORK == 0) {
                net = network(api, "bench-model-" + n / PORTS_PER_NETWORK, "10." + (100 + n / PORTS_PER_NETWORK)
                        + ".0.0/16");
            }
            String id = String.format("%08x-0000-4000-8000-%012x", 5, n);
            String mac = String.format("fa:16:3f:%02x:%02x:%02x", n >> 16 & 255, n >> 8 & 255, n & 255);
            int host = n % PORTS_PER_NETWORK + 2;
            String ip = "10." + (100 + n / PORTS_PER_NETWORK) + "." + (host >> 8) + "." + (host & 255);
            port.put("id", id).put("name", "model" + n).put("network_id", net[0]).put("mac_address", mac);
            ((ObjectNode) port.withArray("fixed_ips").get(0)).put("subnet_id", net[1]).put("ip_address", ip);
            String claim = JSON.createObjectNode().put("owner", id).put("kind", "port").toString();
            txn.put("/neutron/ports/" + id, port.toString())
                    .put("/neutron/network-ports/" + net[0] + "/" + id, claim)
                    .put("/neutron/macs/" + mac, claim)
                    .put("/neutron/ipam/" + net[1] + "/" + ip, claim);
            if ((n + 1) % PORTS_PER_TRANSACTION == 0 || n + 1 == modelPorts) {
                revision = NetworkBench.commit(store, txn);
                txn = Transaction.builder();
            }
        }
        double writeSeconds = (System.nanoTime() - t0) / 1e9;
        long keys = 0;
        for (int i = 0; i < 2; i++) {
            keys = awaitRevision(cluster.client(i), revision);
        }
        int held = modelPorts + plugs + 2; // the model, the plugged VMs', the peer's and the template
        long maxHeap = 0;
        long maxRss = 0;
        for (int i = 0; i < 2; i++) {
            long heap = ApiBench.liveHeapBytes(cluster.pid(i));
            long rss = cluster.rssBytes(i);
            maxHeap = Math.max(maxHeap, heap);
            maxRss = Math.max(maxRss, rss);
            report.note(cluster.id(i) + " with " + held + " ports: live heap after a full GC " + round(heap / 1e6)
                    + " MB, RSS " + round(rss / 1e6) + " MB");
        }
        boolean heapKnown = maxHeap > 0;
        report.row("node live heap after a full GC, max of the 2 node JVMs (" + held + " ports in the model)",
                heapKnown ? round(maxHeap / 1e6) : null, "MB", "< 1000", heapKnown ? maxHeap < 1e9 : null, null);
        report.row("node RSS, max of the 2 node JVMs (" + held + " ports in the model)", round(maxRss / 1e6), "MB",
                null, null, null);
        report.note("model: " + keys + " keys in the " + SHARD + " shard on each node JVM; " + modelPorts
                + " ports written in " + round(writeSeconds) + " s, "
                + PORTS_PER_TRANSACTION + " per transaction, each as the Neutron API stores it (the document, cloned"
                + " from one the API made but in no security group, and its MAC, address and network index claims),"
                + " in networks of "
                + PORTS_PER_NETWORK + " made through the API; the third node runs in the bench's JVM (it writes),"
                + " so its heap is not measured apart; nodes: " + System.getProperty("flowkeeper.node.jvm-opts"));
    }

    /**
     * Waits until a node's replica of the shard has applied {@code revision} (the node's own account), so its heap
     * holds the whole model; returns the replica's key count.
     */
    private static long awaitRevision(RestClient node, long revision) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        JsonNode digest = null;
        while (System.nanoTime() < deadline) {
            digest = node.get("/v1/shards/" + SHARD + "/digest").body();
            if (digest.path("revision").asLong() >= revision) {
                return digest.path("keys").asLong();
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(node.baseUrl() + " has not applied revision " + revision + " of " + SHARD
                + " within " + WAIT.toSeconds() + " s: " + digest);
    }

    /**
     * DHCP as a VM sees it with the agents answering too: {@code dhclient} from start to configured address on host
     * 1, quiet (the master and the agent both answer), right after a kill -9 of host 1's switch's master (a node JVM:
     * host 1 names only those), then with both node JVMs killed, so that no controller of host 1's switch is left and
     * only its agent can answer. Beside the master-only figures of {@code bench network}'s DHCP part (no agent there).
     */
    private void dhcp(BenchReport report, LocalCluster cluster, List<RestClient> apis, OvsHost t1) throws Exception {
        int samples = plugs >= 200 ? 20 : 5;
        progress.accept("DHCP with agents: " + samples + " dhclient runs on t1, then across a master kill, then with "
                + "every controller of t1 down");
        Port p = port(apis.get(0), plugNetwork[0], "dhcp-agent", null);
        Vm vm = t1.addVm("dhagent", BRIDGE, p.mac(), null, p.id());
        AgentProcess.awaitPortActive(apis.get(0), p.id(), WAIT);
        // The agent keeps the bindings it serves in its snapshot directory: wait until they hold the new port.
        java.nio.file.Path kept = t1.runDir().resolve("snapshots").resolve("dhcp-bindings.json");
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!(java.nio.file.Files.exists(kept) && java.nio.file.Files.readString(kept).contains(p.id()))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("t1's agent holds no DHCP binding of port " + p.id() + " after "
                        + WAIT.toSeconds() + " s (" + kept + ")");
            }
            Thread.sleep(50);
        }
        List<Double> quiet = new ArrayList<>();
        for (int i = 0; i < samples; i++) {
            quiet.add(timedDhclient(vm, p.ip()) * 1e3);
        }
        report.row("DHCP with agents: dhclient start -> address configured, p50", round(BenchReport.quantile(quiet,
                0.5)), "ms", null, null, null);
        report.row("DHCP with agents: dhclient start -> address configured, p99", round(BenchReport.quantile(quiet,
                0.99)), "ms", null, null, null);
        String dpid = t1.vsctl("get", "bridge", BRIDGE, "datapath_id").strip().replace("\"", "");
        String owner = null;
        for (JsonNode e : cluster.client(2).get("/v1/ownership").body().path("entities")) {
            if (e.path("entity").asText().equals("openflow:" + dpid)) {
                owner = e.path("owner").asText(null);
            }
        }
        if (owner != null && !owner.equals(cluster.id(2))) {
            int victim = cluster.indexOf(owner);
            cluster.kill(victim);
            double s = timedDhclient(vm, p.ip());
            report.row("DHCP with agents: dhclient started right after kill -9 of the switch's master -> address "
                    + "configured", round(s), "s", null, null, null);
        } else {
            report.note("DHCP with agents across a master kill not measured: t1's switch had no master in a node JVM");
        }
        cluster.kill(0); // the surviving node JVM, or both: kill of a dead one does nothing
        cluster.kill(1);
        double s = timedDhclient(vm, p.ip());
        report.row("DHCP with agents: dhclient with every controller of the switch killed -> address configured",
                round(s), "s", null, null, null);
        report.note("DHCP with agents: the agent answers on its own OpenFlow session with br-int, from the bindings"
                + " the cluster computed for its host; the master answers the same requests with the same bytes");
    }

    /** Seconds from the start of {@code dhclient} to its configured address, which must be {@code ip}. */
    private static double timedDhclient(Vm vm, String ip) {
        long t0 = System.nanoTime();
        String lease = vm.dhclient(Duration.ofSeconds(60));
        double s = (System.nanoTime() - t0) / 1e9;
        if (!lease.contains("fixed-address " + ip + ";")) {
            throw new IllegalStateException("dhclient got another lease than " + ip + ": " + lease);
        }
        return s;
    }

    /** A VXLAN network and a subnet through the API; returns their ids. */
    private static String[] network(RestClient api, String name, String cidr) throws IOException {
        JsonNode net = create(api, "networks", "{\"network\": {\"name\": \"" + name + "\"}}");
        JsonNode subnet = create(api, "subnets", "{\"subnet\": {\"network_id\": \"" + net.path("id").asText()
                + "\", \"ip_version\": 4, \"cidr\": \"" + cidr + "\", \"name\": \"" + name + "\"}}");
        return new String[] {net.path("id").asText(), subnet.path("id").asText()};
    }

    private static Port port(RestClient api, String network, String name, String securityGroup) throws IOException {
        JsonNode p = create(api, "ports", "{\"port\": {\"network_id\": \"" + network + "\", \"name\": \"" + name
                + "\"" + (securityGroup == null ? "" : ", \"security_groups\": [\"" + securityGroup + "\"]") + "}}");
        return new Port(p.path("id").asText(), p.path("mac_address").asText(),
                p.path("fixed_ips").path(0).path("ip_address").asText());
    }

    private static JsonNode create(RestClient api, String collection, String body) throws IOException {
        RestClient.Response r = api.post("/v2.0/" + collection, body);
        for (int attempt = 1; r.status() == 503 && attempt < 10; attempt++) {
            // no shard leader within the node's request timeout (a loaded host): try again, as a client would
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            r = api.post("/v2.0/" + collection, body);
        }
        if (r.status() != 201) {
            throw new IllegalStateException("POST /v2.0/" + collection + ": HTTP " + r.status() + " " + r.error());
        }
        return r.body().elements().next();
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
