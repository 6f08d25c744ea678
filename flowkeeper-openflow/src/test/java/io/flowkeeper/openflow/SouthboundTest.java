package io.flowkeeper.openflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.flowkeeper.api.flow.Action;
import io.flowkeeper.api.flow.BundleResult;
import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.FlowChange;
import io.flowkeeper.api.flow.OfctlText;
import io.flowkeeper.api.flow.reconcile.FlowReconciler;
import io.flowkeeper.api.flow.reconcile.ReconcileResult;
import io.flowkeeper.api.switches.ControllerRole;
import io.flowkeeper.api.switches.PacketIn;
import io.flowkeeper.api.switches.PortInfo;
import io.flowkeeper.api.switches.Switch;
import io.flowkeeper.api.switches.SwitchException;
import io.flowkeeper.api.switches.SwitchListener;
import io.flowkeeper.openflow.wire.FlowUpdate;
import io.flowkeeper.testbed.BridgeSpec;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.PingMonitor;
import io.flowkeeper.testbed.PingResult;
import io.flowkeeper.testbed.RealisticPipeline;
import io.flowkeeper.testbed.TestBed;
import io.flowkeeper.testbed.Vm;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The southbound against real OVS: handshake, flows, bundles, roles, reconciliation, garbage. */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SouthboundTest {
    static final Duration T = Duration.ofSeconds(30);
    static final long OURS = 0xf100000000000000L;
    static final long MASK = 0xff00000000000000L;

    private TestBed bed;
    private OvsHost host;
    private OpenFlowServer server;
    private String target;
    private final Map<String, SwitchConnection> byDpid = new ConcurrentHashMap<>();
    private final List<String> portEvents = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<String> roleEvents = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeAll
    void setUp() throws Exception {
        bed = TestBed.create();
        host = bed.addHost("h1");
        server = new OpenFlowServer(OpenFlowConfig.tcp(bed.controllerIp(), 0), new SwitchListener() {
            @Override
            public void switchConnected(Switch sw) {
                SwitchConnection c = (SwitchConnection) sw;
                byDpid.put(c.dpidString(), c);
            }

            @Override
            public void switchDisconnected(Switch sw) {
                SwitchConnection c = (SwitchConnection) sw;
                byDpid.remove(c.dpidString(), c);
            }

            @Override
            public void portChanged(Switch c, PortInfo port, String reason) {
                portEvents.add(c.dpidString() + " " + port.name() + " " + reason);
            }

            @Override
            public void roleChanged(Switch c, ControllerRole role, String reason, long generationId) {
                roleEvents.add(c.dpidString() + " " + role + " " + generationId);
            }
        });
        target = "tcp:" + bed.controllerIp() + ":" + server.start();
    }

    @AfterAll
    void tearDown() {
        if (server != null) {
            server.close();
        }
        if (bed != null) {
            bed.close();
        }
    }

    /** A new bridge connected to our server; returns its session once ACTIVE. */
    private SwitchConnection connect(String bridge, String... protocols) {
        host.addBridge(BridgeSpec.named(bridge).protocols(protocols.length == 0
                ? new String[] {"OpenFlow13", "OpenFlow14"} : protocols).controllers(target));
        String dpid = host.vsctl("get", "bridge", bridge, "datapath_id").strip().replace("\"", "");
        await().atMost(T).until(() -> byDpid.containsKey(dpid));
        return byDpid.get(dpid);
    }

    private static List<Flow> pipeline(int ports, long cookieBase) {
        List<Flow> flows = new ArrayList<>();
        long i = 0;
        for (String line : RealisticPipeline.flows(ports)) {
            flows.add(OfctlText.parse(line).withCookie(cookieBase + i++));
        }
        return flows;
    }

    @Test
    void handshakeNegotiatesTheHighestVersionAndKnowsThePorts() {
        SwitchConnection c = connect("hs0");
        assertThat(c.version()).isEqualTo(5);
        assertThat(c.ports().values()).extracting(PortInfo::name).contains("hs0");
        SwitchConnection old = connect("hs1", "OpenFlow13");
        assertThat(old.version()).isEqualTo(4);
        assertThatThrownBy(() -> old.applyBundle(List.of())).hasMessageContaining("need OpenFlow 1.4");
    }

    /**
     * A session the switch ends (its controller removed: OVS closes the connection, as a dying ovs-vswitchd's kernel
     * does) is closed by the peer; one this side closes is not (the gateway hosts' fast failover tells them apart).
     */
    @Test
    void aSessionTheSwitchClosesIsClosedByThePeerAndOneWeCloseIsNot() {
        SwitchConnection byPeer = connect("eof0");
        assertThat(byPeer.closedByPeer()).as("open").isFalse();
        host.vsctl("del-controller", "eof0");
        await().atMost(T).until(() -> !byPeer.isActive());
        await().atMost(T).until(() -> !byDpid.containsValue(byPeer));
        assertThat(byPeer.closedByPeer()).isTrue();

        SwitchConnection ours = connect("eof1");
        ours.close();
        await().atMost(T).until(() -> !ours.isActive());
        await().atMost(T).until(() -> !byDpid.containsValue(ours));
        assertThat(ours.closedByPeer()).isFalse();
    }

    @Test
    void pipelinedInstallThenDumpGivesBackExactlyTheFlows() {
        SwitchConnection c = connect("fl0");
        List<Flow> flows = pipeline(400, OURS);
        c.install(flows);
        assertThat(host.flowCount("fl0")).isEqualTo(flows.size());
        assertThat(new HashSet<>(c.dumpFlows())).isEqualTo(new HashSet<>(flows));

        c.deleteByCookie(OURS | 0x100, 0xffffffffffffff00L);
        assertThat(host.flowCount("fl0")).isEqualTo(flows.size() - 256);
        assertThat(c.portStats()).isNotEmpty();
        assertThat(c.flowStats()).hasSize(flows.size() - 256);
    }

    @Test
    void everyFieldAndActionOfTheModelSurvivesInstallAndDump() {
        SwitchConnection c = connect("fx0");
        List<Flow> flows = List.of(
                OfctlText.parse("cookie=0x1234,idle_timeout=30,hard_timeout=60,send_flow_rem,tcp,nw_src=10.0.0.1,"
                        + "tp_dst=80,actions=output:3,CONTROLLER:65535,IN_PORT,NORMAL"),
                OfctlText.parse("table=5,priority=7,udp,tp_src=53,actions=set_field:0x42->tun_id,"
                        + "set_field:10.1.1.1->ip_dst,push_vlan:0x8100,set_field:4100->vlan_vid,output:4"),
                OfctlText.parse("table=6,priority=8,dl_vlan=12,icmp,icmp_type=8,actions=pop_vlan,LOCAL"),
                OfctlText.parse("table=7,priority=9,arp,arp_op=2,arp_spa=10.0.0.0/24,tun_id=0x5/0xff,actions=drop"),
                OfctlText.parse("table=8,priority=10,dl_src=02:00:00:00:00:01/ff:ff:ff:00:00:00,metadata=0x10/0xf0,"
                        + "actions=write_metadata:0x1/0xff,goto_table:9"),
                OfctlText.parse("table=9,priority=0,tcp,actions=set_field:02:00:00:00:00:02->eth_dst,"
                        + "set_field:22->tcp_dst,dec_ttl,FLOOD"),
                // an echo reply made in the switch (RouterFlows): addresses and type by set-field, back out
                OfctlText.parse("table=27,priority=300,icmp,dl_dst=fa:16:3e:00:01:01,nw_src=10.0.0.3,nw_dst=10.0.0.1,"
                        + "icmp_type=8,actions=set_field:fa:16:3e:00:01:01->eth_src,set_field:10.0.0.1->ip_src,"
                        + "set_field:10.0.0.3->ip_dst,set_field:0->icmp_type,IN_PORT"));
        c.install(flows);
        assertThat(new HashSet<>(c.dumpFlows())).isEqualTo(new HashSet<>(flows));
    }

    @Test
    void conntrackNatAndConjunctionSurviveInstallAndDumpAndReadAsOvsPrintsThem() {
        SwitchConnection c = connect("ct0");
        List<Flow> flows = List.of(
                // security groups: track in a zone, recirculate; pass established, drop invalid, commit with a mark
                OfctlText.parse("table=12,priority=100,ip,actions=ct(table=13,zone=7)"),
                OfctlText.parse("table=13,priority=90,ct_state=-new+est-rel-inv+trk,ct_zone=7,ct_mark=0x2/0xff,ip,"
                        + "actions=goto_table:20"),
                OfctlText.parse("table=13,priority=80,ct_state=+inv+trk,actions=drop"),
                OfctlText.parse("table=13,priority=70,ct_state=+new+trk,conj_id=12,ip,"
                        + "actions=ct(commit,zone=7,exec(set_field:0x2->ct_mark)),goto_table:20"),
                OfctlText.parse("table=13,priority=70,ct_state=+new+trk,ip,nw_src=10.0.0.0/24,"
                        + "actions=conjunction(12,1/2),conjunction(13,1/3)"),
                // the zone from metadata's low 16 bits
                OfctlText.parse("table=14,priority=5,ip,actions=ct(table=15,zone=OXM_OF_METADATA[0..15])"),
                // NAT, for the routers: plain, source with address and port ranges, destination to one address
                OfctlText.parse("table=15,priority=5,ip,actions=ct(table=16,zone=3,nat)"),
                OfctlText.parse("table=16,priority=5,tcp,actions=ct(commit,zone=3,"
                        + "nat(src=192.0.2.1-192.0.2.9:1024-65535))"),
                OfctlText.parse("table=16,priority=6,udp,actions=ct(commit,zone=3,nat(dst=10.0.0.5:53))"));
        c.install(flows);
        assertThat(new HashSet<>(c.dumpFlows())).isEqualTo(new HashSet<>(flows));
        // OVS's own text of what it holds reads back to the same flows: the bytes mean what the model says
        Set<Flow> printed = new HashSet<>();
        host.dumpFlowsWithoutCounters("ct0").forEach(line -> printed.add(OfctlText.parse(line)));
        assertThat(printed).isEqualTo(new HashSet<>(flows));
    }

    @Test
    void aBundleWithOneBadFlowIsDiscardedWholeAndNamesIt() {
        SwitchConnection c = connect("bu0");
        c.install(List.of(OfctlText.parse("table=0,priority=1,actions=drop")));
        List<FlowChange> changes = new ArrayList<>();
        for (Flow f : pipeline(20, OURS)) {
            changes.add(FlowChange.add(f));
        }
        changes.add(FlowChange.add(OfctlText.parse("table=9,priority=5,actions=goto_table:3"))); // backwards goto
        BundleResult r = c.applyBundle(changes);
        assertThat(r.committed()).isFalse();
        assertThat(r.failures()).singleElement().satisfies(f -> {
            assertThat(f.index()).isEqualTo(changes.size() - 1);
            assertThat(f.error()).contains("BAD_INSTRUCTION").contains("goto_table:3");
        });
        assertThat(host.flowCount("bu0")).isEqualTo(1);

        BundleResult ok = c.applyBundle(changes.subList(0, changes.size() - 1));
        assertThat(ok.committed()).isTrue();
        assertThat(host.flowCount("bu0")).isEqualTo(1 + changes.size() - 1);
    }

    @Test
    void aSlaveIsRefusedWritesAndAStaleGenerationIsRefusedTheRole() {
        SwitchConnection c = connect("ro0");
        assertThat(c.requestRole(ControllerRole.MASTER, 1_000)).isEqualTo(ControllerRole.MASTER);
        c.install(List.of(OfctlText.parse("table=0,priority=2,actions=drop")));

        assertThat(c.requestRole(ControllerRole.SLAVE, 1_001)).isEqualTo(ControllerRole.SLAVE);
        assertThatThrownBy(() -> c.install(List.of(OfctlText.parse("table=0,priority=3,actions=drop"))))
                .isInstanceOf(SwitchException.NotMaster.class);
        assertThatThrownBy(() -> c.applyBundle(List.of(FlowChange.add(OfctlText.parse(
                "table=0,priority=4,actions=drop"))))).isInstanceOf(SwitchException.NotMaster.class);
        assertThatThrownBy(() -> c.reconcile(List.of(), new FlowReconciler(OURS, MASK, true)))
                .isInstanceOf(SwitchException.NotMaster.class);
        assertThat(host.flowCount("ro0")).isEqualTo(1);

        assertThatThrownBy(() -> c.requestRole(ControllerRole.MASTER, 999))
                .isInstanceOf(SwitchException.StaleGeneration.class);
        assertThat(c.requestRole(ControllerRole.MASTER, 1_002)).isEqualTo(ControllerRole.MASTER);
        c.install(List.of(OfctlText.parse("table=0,priority=3,actions=drop")));
        assertThat(host.flowCount("ro0")).isEqualTo(2);
    }

    @Test
    void reconcilingTwentyThousandFlowsWithOnePercentDriftLosesNoPacket() throws Exception {
        SwitchConnection c = connect("rc0");
        Vm a = host.addVm("a", "rc0", "02:00:00:00:00:0a", "10.9.0.1/24");
        Vm b = host.addVm("b", "rc0", "02:00:00:00:00:0b", "10.9.0.2/24");
        List<Flow> desired = new ArrayList<>(pipeline(RealisticPipeline.portsFor(20_000), OURS));
        desired.add(OfctlText.parse("table=0,priority=200,cookie=0xf1000000ffff0001,in_port=" + a.ofport()
                + ",actions=output:" + b.ofport()));
        desired.add(OfctlText.parse("table=0,priority=200,cookie=0xf1000000ffff0002,in_port=" + b.ofport()
                + ",actions=output:" + a.ofport()));
        c.install(desired);
        assertThat(a.reachable(b.ip(), T)).isTrue();

        // 1% drift, by hand as an operator or a bug would: deletions, changes, strays (ours and a foreign one)
        Random random = new Random(1);
        List<String> drift = new ArrayList<>();
        for (int i = 0; i < 70; i++) {
            Flow victim = desired.get(random.nextInt(desired.size() - 2));
            host.ofctl("-O", "OpenFlow14", "del-flows", "rc0", "--strict", OfctlText.format(victim)
                    .replaceAll(",actions=.*", "").replaceAll("cookie=0x[0-9a-f]+,", ""));
        }
        for (int i = 0; i < 70; i++) {
            Flow victim = desired.get(random.nextInt(desired.size() - 2));
            drift.add(OfctlText.format(victim.withInstructions(
                    io.flowkeeper.api.flow.Instructions.DROP)));
        }
        for (int i = 0; i < 60; i++) {
            drift.add("table=50,priority=" + (100 + i) + ",cookie=0xf1000000eeee" + String.format("%04x", i)
                    + ",actions=drop");
        }
        drift.add("table=51,priority=1,cookie=0x42,actions=drop");
        java.nio.file.Path file = host.runDir().resolve("drift.txt");
        java.nio.file.Files.write(file, drift);
        host.ofctl("-O", "OpenFlow14", "add-flows", "rc0", file.toString());

        PingMonitor ping = a.startPing(b.ip(), Duration.ofMillis(10));
        PingMonitor back = b.startPing(a.ip(), Duration.ofMillis(10)); // both VMs ping, each every 10 ms
        await().atMost(T).until(() -> ping.receivedSoFar() > 20 && back.receivedSoFar() > 20);
        ReconcileResult result = c.reconcile(desired, new FlowReconciler(OURS, MASK, false));
        Thread.sleep(500);
        PingResult pr = ping.stop();
        PingResult prBack = back.stop();
        assertThat(prBack.lost()).as(prBack.toString()).isZero();

        assertThat(result.applied()).isTrue();
        assertThat(result.plan().size()).isBetween(150, 300);
        assertThat(pr.lost()).as(pr.toString()).isZero();
        Set<Flow> now = new HashSet<>(c.dumpFlows());
        assertThat(now).containsAll(desired).hasSize(desired.size() + 1); // the foreign flow stays
        assertThat(c.reconcile(desired, new FlowReconciler(OURS, MASK, false)).plan().isEmpty()).isTrue();
    }

    @Test
    void flowsTheModelCannotReadAreSkippedByDumpsAndOursAreDeletedByCookie() {
        SwitchConnection c = connect("un0");
        List<Flow> desired = pipeline(4, OURS);
        c.install(desired);
        host.ofctl("-O", "OpenFlow14", "add-flow", "un0",
                "table=3,priority=9,cookie=0xf1000000dddd0001,ip,actions=load:0x1->NXM_NX_REG0[],resubmit(,4)");
        host.ofctl("-O", "OpenFlow14", "add-flow", "un0", "table=3,priority=8,cookie=0x7,actions=resubmit(,4)");
        assertThat(new HashSet<>(c.dumpFlows())).isEqualTo(new HashSet<>(desired));
        assertThat(c.flowStats()).hasSize(desired.size());

        ReconcileResult r = c.reconcile(desired, new FlowReconciler(OURS, MASK, false));
        assertThat(r.applied()).isTrue();
        assertThat(host.flowCount("un0")).isEqualTo(desired.size() + 1); // ours gone, the foreign one stays
        assertThat(host.ofctl("-O", "OpenFlow14", "dump-flows", "un0", "table=3")).contains("cookie=0x7")
                .doesNotContain("dddd");
    }

    @Test
    void theFlowMonitorOnAControllerConnectionSeesChangesByAnyone() {
        SwitchConnection c = connect("mo0");
        c.install(List.of(OfctlText.parse("table=0,priority=1,actions=drop")));
        List<FlowUpdate> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        c.startMonitor((updates, initialDone) -> events.addAll(updates), T);
        assertThat(events).singleElement().satisfies(u -> assertThat(u.event()).isEqualTo(FlowUpdate.Event.INITIAL));
        host.ofctl("-O", "OpenFlow14", "add-flow", "mo0", "table=3,priority=4,ip,actions=drop");
        host.ofctl("-O", "OpenFlow14", "del-flows", "mo0", "table=0");
        await().atMost(T).until(() -> events.size() >= 3);
        assertThat(events.get(1).event()).isEqualTo(FlowUpdate.Event.ADDED);
        assertThat(events.get(1).tableId()).isEqualTo(3);
        assertThat(events.get(2).event()).isEqualTo(FlowUpdate.Event.REMOVED);
    }

    @Test
    void packetInReachesTheControllerAndPacketOutLeavesThePort() throws Exception {
        List<PacketIn> packets = new java.util.concurrent.CopyOnWriteArrayList<>();
        OpenFlowServer second = new OpenFlowServer(OpenFlowConfig.tcp(bed.controllerIp(), 0),
                SwitchListener.onConnect(sw -> byDpid.put(sw.dpidString(), (SwitchConnection) sw)));
        // a higher-priority processor that declines, then the one that takes it: both see the packet, in order
        List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
        second.addProcessor((sw, p) -> order.add("declined") && false, 10);
        second.addProcessor((sw, p) -> {
            packets.add(p);
            return order.add("handled");
        }, 5);
        second.addProcessor((sw, p) -> order.add("never reached"), 1);
        try {
            String target2 = "tcp:" + bed.controllerIp() + ":" + second.start();
            host.addBridge(BridgeSpec.named("pk0").controllers(target2));
            Vm a = host.addVm("pa", "pk0", "02:00:00:00:01:0a", "10.8.0.1/24");
            Vm b = host.addVm("pb", "pk0", "02:00:00:00:01:0b", "10.8.0.2/24");
            String dpid = host.vsctl("get", "bridge", "pk0", "datapath_id").strip().replace("\"", "");
            await().atMost(T).until(() -> byDpid.containsKey(dpid));
            SwitchConnection c = byDpid.get(dpid);
            c.install(List.of(OfctlText.parse("table=0,priority=10,arp,actions=CONTROLLER:65535")));
            a.arping(b.ip(), Duration.ofSeconds(1));
            await().atMost(T).until(() -> !packets.isEmpty());
            assertThat(packets.get(0).inPort()).isEqualTo(a.ofport());
            assertThat(packets.get(0).data().length).isGreaterThanOrEqualTo(42);
            assertThat(order).startsWith("declined", "handled").doesNotContain("never reached");

            long before = c.portStats().stream().filter(p -> p.port() == b.ofport()).findFirst().orElseThrow()
                    .txPackets();
            second.packetOut(c.dpid(), Action.PORT_CONTROLLER, List.of(Action.Output.to(b.ofport())),
                    packets.get(0).data());
            await().atMost(T).until(() -> c.portStats().stream().filter(p -> p.port() == b.ofport()).findFirst()
                    .orElseThrow().txPackets() > before);
        } finally {
            second.close();
        }
    }

    @Test
    void onOpenFlow13TheRoleStatusLoxiCannotParseIsReadByHandAndTracked() throws Exception {
        Map<String, SwitchConnection> others = new ConcurrentHashMap<>();
        try (OpenFlowServer second = new OpenFlowServer(OpenFlowConfig.tcp(bed.controllerIp(), 0),
                SwitchListener.onConnect(c -> others.put(c.dpidString(), (SwitchConnection) c)))) {
            String target2 = "tcp:" + bed.controllerIp() + ":" + second.start();
            host.addBridge(BridgeSpec.named("rs13").protocols("OpenFlow13").controllers(target, target2));
            String dpid = host.vsctl("get", "bridge", "rs13", "datapath_id").strip().replace("\"", "");
            await().atMost(T).until(() -> byDpid.containsKey(dpid) && others.containsKey(dpid));
            SwitchConnection a = byDpid.get(dpid);
            long before = server.unparsedMessages();
            a.requestRole(ControllerRole.MASTER, 20);
            others.get(dpid).requestRole(ControllerRole.MASTER, 21); // OVS tells a: an ONF experimenter role status
            await().atMost(T).until(() -> a.lastRoleStatus() == ControllerRole.SLAVE);
            assertThat(a.role()).isEqualTo(ControllerRole.SLAVE);
            assertThat(server.unparsedMessages()).isEqualTo(before);
            assertThat(a.isActive()).isTrue();
            a.barrier(); // the session still works
        }
    }

    @Test
    void portStatusIsTracked() {
        SwitchConnection c = connect("po0");
        host.vsctl("add-port", "po0", "pint", "--", "set", "interface", "pint", "type=internal");
        await().atMost(T).until(() -> c.ports().values().stream().anyMatch(p -> p.name().equals("pint")));
        assertThat(portEvents).anyMatch(e -> e.equals(c.dpidString() + " pint ADD"));
        host.vsctl("del-port", "po0", "pint");
        await().atMost(T).until(() -> c.ports().values().stream().noneMatch(p -> p.name().equals("pint")));
    }

    @Test
    void aDeposedMasterHearsRoleStatusAndIsFencedByTheSwitch() throws Exception {
        Map<String, SwitchConnection> others = new ConcurrentHashMap<>();
        try (OpenFlowServer second = new OpenFlowServer(OpenFlowConfig.tcp(bed.controllerIp(), 0),
                SwitchListener.onConnect(c -> others.put(c.dpidString(), (SwitchConnection) c)))) {
            String target2 = "tcp:" + bed.controllerIp() + ":" + second.start();
            host.addBridge(BridgeSpec.named("ms0").controllers(target, target2));
            String dpid = host.vsctl("get", "bridge", "ms0", "datapath_id").strip().replace("\"", "");
            await().atMost(T).until(() -> byDpid.containsKey(dpid) && others.containsKey(dpid));
            SwitchConnection a = byDpid.get(dpid);
            SwitchConnection b = others.get(dpid);
            assertThat(a.requestRole(ControllerRole.MASTER, 10)).isEqualTo(ControllerRole.MASTER);
            a.install(List.of(OfctlText.parse("table=0,priority=1,actions=drop")));

            assertThat(b.requestRole(ControllerRole.MASTER, 11)).isEqualTo(ControllerRole.MASTER);
            await().atMost(T).until(() -> a.lastRoleStatus() == ControllerRole.SLAVE);
            await().atMost(T).until(() -> roleEvents.contains(dpid + " SLAVE 11"));
            assertThatThrownBy(() -> a.install(List.of(OfctlText.parse("table=0,priority=2,actions=drop"))))
                    .isInstanceOf(SwitchException.NotMaster.class);
            assertThatThrownBy(() -> a.requestRole(ControllerRole.MASTER, 10))
                    .isInstanceOf(SwitchException.StaleGeneration.class);
            b.install(List.of(OfctlText.parse("table=0,priority=3,actions=drop")));
            assertThat(host.flowCount("ms0")).isEqualTo(2);
        }
    }

    @Test
    void aHundredGarbageConnectionsLeaveARealSwitchSessionWorking() throws Exception {
        SwitchConnection c = connect("ga0");
        long before = server.garbageConnections();
        Random random = new Random(3);
        String ip = bed.controllerIp();
        int port = Integer.parseInt(target.substring(target.lastIndexOf(':') + 1));
        for (int i = 0; i < 100; i++) {
            try (Socket s = new Socket(ip, port)) {
                OutputStream out = s.getOutputStream();
                byte[] junk = new byte[64 + random.nextInt(512)];
                random.nextBytes(junk);
                junk[0] = (byte) (i % 2 == 0 ? 0x7f : 0x04); // half not OpenFlow at all, half a bogus length
                junk[2] = 0;
                junk[3] = (byte) (i % 2 == 0 ? 0x40 : 0x03);
                out.write(junk);
                out.flush();
            }
        }
        await().atMost(T).until(() -> server.garbageConnections() - before >= 100);
        assertThat(c.isActive()).isTrue();
        c.install(List.of(OfctlText.parse("table=0,priority=9,actions=drop")));
        c.barrier();
        assertThat(host.flowCount("ga0")).isEqualTo(1);
    }
}
