package io.flowkeeper.openflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowkeeper.api.flow.BundleResult;
import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.FlowChange;
import io.flowkeeper.api.flow.OfctlText;
import io.flowkeeper.api.switches.ControllerRole;
import io.flowkeeper.api.switches.PacketIn;
import io.flowkeeper.api.switches.Switch;
import io.flowkeeper.api.switches.SwitchException;
import io.flowkeeper.api.switches.SwitchListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.projectfloodlight.openflow.protocol.OFCapabilities;
import org.projectfloodlight.openflow.protocol.OFFlowMod;
import org.projectfloodlight.openflow.protocol.OFFlowModCommand;
import org.projectfloodlight.openflow.protocol.OFMessage;
import org.projectfloodlight.openflow.protocol.OFPacketInReason;
import org.projectfloodlight.openflow.protocol.OFPortConfig;
import org.projectfloodlight.openflow.protocol.OFPortFeatures;
import org.projectfloodlight.openflow.protocol.OFPortState;
import org.projectfloodlight.openflow.protocol.OFType;
import org.projectfloodlight.openflow.protocol.OFVersion;
import org.projectfloodlight.openflow.protocol.action.OFActionOutput;
import org.projectfloodlight.openflow.protocol.match.MatchField;
import org.projectfloodlight.openflow.types.DatapathId;
import org.projectfloodlight.openflow.types.EthType;
import org.projectfloodlight.openflow.types.IPv4Address;
import org.projectfloodlight.openflow.types.MacAddress;
import org.projectfloodlight.openflow.types.OFBufferId;
import org.projectfloodlight.openflow.types.OFPort;
import org.projectfloodlight.openflow.types.U64;

/**
 * An OpenFlow 1.0 switch played on cue ({@link ScriptedSwitch}): the handshake without PORT_DESC, no role request
 * (the role is local, and nothing is written unless it is MASTER), the ordered apply without bundles (adds and
 * modifies, barrier, deletes, barrier), flows 1.0 cannot express refused per flow before anything is sent, flow
 * dumps read back into the model, and packet-ins ignored unless MASTER. The same against real OVS is in the
 * flowkeeper-cli integration test {@code OpenFlow10MastershipTest}.
 */
class OpenFlow10SessionTest {
    private static final String LOOPBACK = "127.0.0.1";
    private final LinkedBlockingQueue<SwitchConnection> connected = new LinkedBlockingQueue<>();
    private final LinkedBlockingQueue<PacketIn> packets = new LinkedBlockingQueue<>();
    private OpenFlowServer server;
    private int port;

    @BeforeEach
    void start() throws Exception {
        OpenFlowConfig config = new OpenFlowConfig(List.of(LOOPBACK), 0, null, Duration.ofMillis(300),
                Duration.ofMillis(2500), Duration.ofMillis(2000), 1 << 20);
        server = new OpenFlowServer(config, new SwitchListener() {
            @Override
            public void switchConnected(Switch sw) {
                connected.add((SwitchConnection) sw);
            }
        });
        server.addProcessor((sw, p) -> packets.add(p), 0);
        port = server.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** HELLO (1.0 has no version bitmap), FEATURES_REPLY with two ports; no PORT_DESC exists in 1.0. */
    private SwitchConnection handshake(ScriptedSwitch sw, long dpid) throws Exception {
        sw.send(sw.factory.buildHello().setXid(1).build());
        assertThat(sw.expect(OFType.HELLO).getVersion()).isEqualTo(OFVersion.OF_14); // ours: offers 1.0, 1.3, 1.4
        OFMessage request = sw.expect(OFType.FEATURES_REQUEST);
        assertThat(request.getVersion()).isEqualTo(OFVersion.OF_10);
        sw.send(sw.factory.buildFeaturesReply().setXid(request.getXid()).setDatapathId(DatapathId.of(dpid))
                .setNBuffers(0).setNTables((short) 1).setCapabilities(EnumSet.noneOf(OFCapabilities.class))
                .setActions(Set.of()).setPorts(List.of(port(sw, 1, "vm-a"), port(sw, 2, "vm-b"))).build());
        SwitchConnection c = connected.poll(10, TimeUnit.SECONDS);
        assertThat(c).as("session ACTIVE").isNotNull();
        return c;
    }

    private static org.projectfloodlight.openflow.protocol.OFPortDesc port(ScriptedSwitch sw, int number,
            String name) {
        return sw.factory.buildPortDesc().setPortNo(OFPort.of(number)).setName(name)
                .setHwAddr(MacAddress.of(0x020000000000L + number)).setConfig(EnumSet.noneOf(OFPortConfig.class))
                .setState(EnumSet.noneOf(OFPortState.class)).setCurr(EnumSet.noneOf(OFPortFeatures.class))
                .setAdvertised(EnumSet.noneOf(OFPortFeatures.class)).setSupported(EnumSet.noneOf(OFPortFeatures.class))
                .setPeer(EnumSet.noneOf(OFPortFeatures.class)).build();
    }

    @Test
    void aSwitchSpeakingOnlyOneZeroIsAcceptedWithItsPortsFromTheFeaturesReply() throws Exception {
        try (ScriptedSwitch sw = new ScriptedSwitch(LOOPBACK, port, OFVersion.OF_10)) {
            SwitchConnection c = handshake(sw, 0x10);
            assertThat(c.version()).isEqualTo(1);
            assertThat(c.ports()).containsOnlyKeys(1L, 2L);
            assertThat(c.ports().get(2L).name()).isEqualTo("vm-b");
            CompletableFuture<Duration> rtt = CompletableFuture.supplyAsync(c::echo);
            OFMessage echo = sw.expect(OFType.ECHO_REQUEST);
            sw.send(sw.factory.buildEchoReply().setXid(echo.getXid()).setData(new byte[0]).build());
            assertThat(rtt.get(10, TimeUnit.SECONDS)).isPositive();
        }
    }

    @Test
    void noRoleRequestIsSentAndOnlyAMasterConnectionWrites() throws Exception {
        try (ScriptedSwitch sw = new ScriptedSwitch(LOOPBACK, port, OFVersion.OF_10)) {
            SwitchConnection c = handshake(sw, 0x11);
            Flow f = OfctlText.parse("priority=5,ip,nw_dst=10.0.0.0/24,actions=output:2");
            // EQUAL (nothing decided yet) and SLAVE: refused here, nothing reaches the switch
            assertThatThrownBy(() -> c.install(List.of(f))).isInstanceOf(SwitchException.NotMaster.class);
            assertThat(c.requestRole(ControllerRole.SLAVE, 3)).isEqualTo(ControllerRole.SLAVE);
            assertThatThrownBy(() -> c.applyBundle(List.of(FlowChange.add(f))))
                    .isInstanceOf(SwitchException.NotMaster.class).hasMessageContaining("OpenFlow 1.0");
            assertThatThrownBy(() -> c.packetOut(1, List.of(io.flowkeeper.api.flow.Action.Output.to(2)),
                    new byte[60])).isInstanceOf(SwitchException.NotMaster.class);
            assertThat(sw.nextAnsweringEchoes(Duration.ofMillis(700))).as("anything sent by a non-master").isNull();

            assertThat(c.requestRole(ControllerRole.MASTER, 4)).isEqualTo(ControllerRole.MASTER);
            assertThat(c.generationId()).isEqualTo(4);
            CompletableFuture<Void> install = CompletableFuture.runAsync(() -> c.install(List.of(f)));
            // no ROLE_REQUEST: the FLOW_MOD is the first message
            OFFlowMod mod = (OFFlowMod) sw.expectAnsweringEchoes(OFType.FLOW_MOD);
            assertThat(mod.getVersion()).isEqualTo(OFVersion.OF_10);
            assertThat(mod.getCommand()).isEqualTo(OFFlowModCommand.ADD);
            assertThat(mod.getMatch().getMasked(MatchField.IPV4_DST).getMask()).isEqualTo(
                    IPv4Address.of("255.255.255.0"));
            assertThat(((OFActionOutput) mod.getActions().get(0)).getPort()).isEqualTo(OFPort.of(2));
            OFMessage barrier = sw.expectAnsweringEchoes(OFType.BARRIER_REQUEST);
            sw.send(sw.factory.buildBarrierReply().setXid(barrier.getXid()).build());
            install.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void changesGoOutAddsFirstThenDeletesWithABarrierBetweenAndUnexpressibleFlowsAreRefusedUnsent()
            throws Exception {
        try (ScriptedSwitch sw = new ScriptedSwitch(LOOPBACK, port, OFVersion.OF_10)) {
            SwitchConnection c = handshake(sw, 0x12);
            c.requestRole(ControllerRole.MASTER, 1);
            List<FlowChange> changes = List.of(
                    FlowChange.delete(OfctlText.parse("priority=9,ip,nw_dst=10.9.0.1,actions=drop")),
                    FlowChange.add(OfctlText.parse("priority=9,ip,nw_dst=10.9.0.2,actions=NORMAL")),
                    FlowChange.add(OfctlText.parse("table=3,priority=9,actions=drop")),
                    FlowChange.modify(OfctlText.parse("priority=1,actions=NORMAL")),
                    FlowChange.add(OfctlText.parse("priority=9,ip,actions=dec_ttl,output:1")),
                    FlowChange.add(OfctlText.parse("priority=9,tun_id=5,actions=drop")),
                    FlowChange.add(OfctlText.parse("priority=9,actions=goto_table:1")));
            CompletableFuture<BundleResult> apply = CompletableFuture.supplyAsync(() -> c.applyBundle(changes));

            List<OFFlowMod> firstRound = new ArrayList<>();
            OFMessage m;
            while ((m = sw.nextAnsweringEchoes(Duration.ofSeconds(10))) != null && m.getType() == OFType.FLOW_MOD) {
                firstRound.add((OFFlowMod) m);
            }
            assertThat(firstRound).extracting(OFFlowMod::getCommand)
                    .containsExactly(OFFlowModCommand.ADD, OFFlowModCommand.MODIFY_STRICT);
            assertThat(m).isNotNull();
            assertThat(m.getType()).isEqualTo(OFType.BARRIER_REQUEST);
            // the switch refuses the MODIFY
            sw.send(sw.factory.errorMsgs().buildFlowModFailedErrorMsg().setXid(firstRound.get(1).getXid())
                    .setCode(org.projectfloodlight.openflow.protocol.OFFlowModFailedCode.EPERM)
                    .setData(org.projectfloodlight.openflow.types.OFErrorCauseData.NONE).build());
            sw.send(sw.factory.buildBarrierReply().setXid(m.getXid()).build());
            OFFlowMod delete = (OFFlowMod) sw.expectAnsweringEchoes(OFType.FLOW_MOD);
            assertThat(delete.getCommand()).isEqualTo(OFFlowModCommand.DELETE_STRICT);
            OFMessage barrier = sw.expectAnsweringEchoes(OFType.BARRIER_REQUEST);
            sw.send(sw.factory.buildBarrierReply().setXid(barrier.getXid()).build());

            BundleResult r = apply.get(10, TimeUnit.SECONDS);
            assertThat(r.committed()).isFalse();
            assertThat(r.messages()).isEqualTo(7);
            assertThat(r.failures()).extracting(BundleResult.Failure::index).containsExactly(2, 3, 4, 5, 6);
            assertThat(r.failures().get(0).error()).contains("only table 0");
            assertThat(r.failures().get(1).error()).contains("FLOW_MOD_FAILED");
            assertThat(r.failures().get(2).error()).contains("has no action");
            assertThat(r.failures().get(3).error()).contains("cannot match tun_id");
            assertThat(r.failures().get(4).error()).contains("goto_table");
        }
    }

    @Test
    void theWritePermitIsCheckedBeforeEachRoundSoALapsedLeaseSendsNoDeletes() throws Exception {
        try (ScriptedSwitch sw = new ScriptedSwitch(LOOPBACK, port, OFVersion.OF_10)) {
            SwitchConnection c = handshake(sw, 0x15);
            c.requestRole(ControllerRole.MASTER, 1);
            java.util.concurrent.atomic.AtomicInteger checks = new java.util.concurrent.atomic.AtomicInteger();
            c.writePermit(() -> checks.incrementAndGet() <= 1); // the lease lapses during the first round
            CompletableFuture<BundleResult> apply = CompletableFuture.supplyAsync(() -> c.applyBundle(List.of(
                    FlowChange.add(OfctlText.parse("priority=9,ip,nw_dst=10.9.0.2,actions=NORMAL")),
                    FlowChange.delete(OfctlText.parse("priority=9,ip,nw_dst=10.9.0.1,actions=drop")))));
            assertThat(((OFFlowMod) sw.expectAnsweringEchoes(OFType.FLOW_MOD)).getCommand())
                    .isEqualTo(OFFlowModCommand.ADD);
            OFMessage barrier = sw.expectAnsweringEchoes(OFType.BARRIER_REQUEST);
            sw.send(sw.factory.buildBarrierReply().setXid(barrier.getXid()).build());
            assertThatThrownBy(() -> apply.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(
                    SwitchException.NotMaster.class).hasMessageContaining("permit");
            assertThat(sw.nextAnsweringEchoes(Duration.ofMillis(700))).as("the delete round").isNull();
            // and no later write either
            assertThatThrownBy(() -> c.install(List.of(OfctlText.parse("priority=1,actions=drop"))))
                    .isInstanceOf(SwitchException.NotMaster.class);
        }
    }

    @Test
    void aFlowDumpIsReadBackIntoTheModel() throws Exception {
        try (ScriptedSwitch sw = new ScriptedSwitch(LOOPBACK, port, OFVersion.OF_10)) {
            SwitchConnection c = handshake(sw, 0x13);
            Flow wanted = OfctlText.parse("cookie=0xf100000000000007,priority=5,ip,nw_dst=10.0.0.0/24,"
                    + "actions=mod_dl_dst:02:00:00:00:00:09,output:2");
            CompletableFuture<List<Flow>> dump = CompletableFuture.supplyAsync(c::dumpFlows);
            OFMessage request = sw.expectAnsweringEchoes(OFType.STATS_REQUEST);
            // the entry as the switch holds it: the FLOW_MOD we would send, echoed back
            OFFlowMod mod = LoxiFlows.flowMod(sw.factory, wanted, LoxiFlows.Command.ADD, 0);
            sw.send(sw.factory.buildFlowStatsReply().setXid(request.getXid()).setEntries(List.of(
                    sw.factory.buildFlowStatsEntry().setMatch(mod.getMatch()).setPriority(5)
                            .setCookie(U64.of(0xf100000000000007L)).setActions(mod.getActions())
                            .setPacketCount(U64.ZERO).setByteCount(U64.ZERO).build(),
                    // a flow the model cannot express (a VLAN PCP match): reported, not fatal
                    sw.factory.buildFlowStatsEntry().setMatch(sw.factory.buildMatch()
                            .setExact(MatchField.ETH_TYPE, EthType.IPv4)
                            .setExact(MatchField.VLAN_PCP, org.projectfloodlight.openflow.types.VlanPcp.of((byte) 3))
                            .build()).setPriority(6).setActions(List.of())
                            .setPacketCount(U64.ZERO).setByteCount(U64.ZERO).build())).build());
            assertThat(dump.get(10, TimeUnit.SECONDS)).containsExactly(wanted);
        }
    }

    @Test
    void packetInsReachTheProcessorsOnlyOnTheMasterConnection() throws Exception {
        try (ScriptedSwitch sw = new ScriptedSwitch(LOOPBACK, port, OFVersion.OF_10)) {
            SwitchConnection c = handshake(sw, 0x14);
            OFMessage packetIn = sw.factory.buildPacketIn().setXid(0).setBufferId(OFBufferId.NO_BUFFER)
                    .setInPort(OFPort.of(2)).setReason(OFPacketInReason.NO_MATCH).setTotalLen(60)
                    .setData(new byte[60]).build();
            c.requestRole(ControllerRole.SLAVE, 1);
            sw.send(packetIn);
            assertThat(packets.poll(700, TimeUnit.MILLISECONDS)).as("a packet-in on a SLAVE connection").isNull();
            c.requestRole(ControllerRole.MASTER, 2);
            sw.send(packetIn);
            PacketIn p = packets.poll(10, TimeUnit.SECONDS);
            assertThat(p).isNotNull();
            assertThat(p.inPort()).isEqualTo(2);
        }
    }
}
