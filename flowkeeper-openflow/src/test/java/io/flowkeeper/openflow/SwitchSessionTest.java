package io.flowkeeper.openflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowkeeper.api.flow.OfctlText;
import io.flowkeeper.api.switches.ControllerRole;
import io.flowkeeper.api.switches.Switch;
import io.flowkeeper.api.switches.SwitchListener;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.projectfloodlight.openflow.protocol.OFControllerRole;
import org.projectfloodlight.openflow.protocol.OFErrorMsg;
import org.projectfloodlight.openflow.protocol.OFErrorType;
import org.projectfloodlight.openflow.protocol.OFMessage;
import org.projectfloodlight.openflow.protocol.OFType;
import org.projectfloodlight.openflow.protocol.OFVersion;
import org.projectfloodlight.openflow.types.U64;

/**
 * Session edges that need a switch acting on cue (see {@link ScriptedSwitch}): writes held until the ROLE_REPLY,
 * keepalive and dead-peer timing, handshake timeout, version negotiation, a truncated frame. Short timeouts here
 * so the test is quick; assertions allow several times the configured value.
 */
class SwitchSessionTest {
    private static final String LOOPBACK = "127.0.0.1";
    private final LinkedBlockingQueue<SwitchConnection> connected = new LinkedBlockingQueue<>();
    private final LinkedBlockingQueue<SwitchConnection> disconnected = new LinkedBlockingQueue<>();
    private OpenFlowServer server;
    private int port;

    @BeforeEach
    void start() throws Exception {
        OpenFlowConfig config = new OpenFlowConfig(List.of(LOOPBACK, "127.0.0.2"), 0, null, Duration.ofMillis(300), Duration.ofMillis(2500),
                Duration.ofMillis(2000), 1 << 20);
        server = new OpenFlowServer(config, new SwitchListener() {
            @Override
            public void switchConnected(Switch sw) {
                SwitchConnection c = (SwitchConnection) sw;
                connected.add(c);
            }

            @Override
            public void switchDisconnected(Switch sw) {
                SwitchConnection c = (SwitchConnection) sw;
                disconnected.add(c);
            }
        });
        port = server.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private SwitchConnection session() throws InterruptedException {
        SwitchConnection c = connected.poll(10, TimeUnit.SECONDS);
        assertThat(c).as("session ACTIVE").isNotNull();
        return c;
    }

    @Test
    void writesWaitForTheRoleReplyAndAreThenSentNotDropped() throws Exception {
        try (ScriptedSwitch sw = new ScriptedSwitch(LOOPBACK, port, OFVersion.OF_14)) {
            sw.handshake(0x42);
            SwitchConnection c = session();
            assertThat(c.dpid()).isEqualTo(0x42);

            CompletableFuture<ControllerRole> role = CompletableFuture.supplyAsync(
                    () -> c.requestRole(ControllerRole.MASTER, 7));
            OFMessage request = sw.expectAnsweringEchoes(OFType.ROLE_REQUEST);
            CompletableFuture<Void> install = CompletableFuture.runAsync(
                    () -> c.install(List.of(OfctlText.parse("table=0,priority=1,actions=drop"))));

            // The switch holds its answer: nothing may be written meanwhile, and the writer waits.
            assertThat(sw.nextAnsweringEchoes(Duration.ofMillis(700))).as("a write before the ROLE_REPLY").isNull();
            assertThat(install).isNotDone();

            sw.send(sw.factory.buildRoleReply().setXid(request.getXid()).setRole(OFControllerRole.ROLE_MASTER)
                    .setGenerationId(U64.of(7)).build());
            assertThat(role.get(10, TimeUnit.SECONDS)).isEqualTo(ControllerRole.MASTER);
            assertThat(sw.expectAnsweringEchoes(OFType.FLOW_MOD)).isNotNull();
            OFMessage barrier = sw.expectAnsweringEchoes(OFType.BARRIER_REQUEST);
            sw.send(sw.factory.buildBarrierReply().setXid(barrier.getXid()).build());
            install.get(10, TimeUnit.SECONDS);
            assertThat(c.role()).isEqualTo(ControllerRole.MASTER);
            assertThat(c.generationId()).isEqualTo(7);
        }
    }

    @Test
    void aQuietSwitchIsProbedWithEchoesAndClosedOnlyWhenItStopsAnswering() throws Exception {
        try (ScriptedSwitch sw = new ScriptedSwitch(LOOPBACK, port, OFVersion.OF_14)) {
            sw.handshake(0x43);
            SwitchConnection c = session();
            // Answer every probe for two dead-peer timeouts: the session must stay up.
            long until = System.nanoTime() + Duration.ofMillis(5000).toNanos();
            int probes = 0;
            while (System.nanoTime() < until) {
                OFMessage m = sw.next(Duration.ofMillis(100));
                if (m != null && m.getType() == OFType.ECHO_REQUEST) {
                    probes++;
                    sw.send(sw.factory.buildEchoReply().setXid(m.getXid()).setData(new byte[0]).build());
                }
            }
            assertThat(probes).as("echo requests while the switch was quiet").isGreaterThanOrEqualTo(3);
            assertThat(c.isActive()).isTrue();

            CompletableFuture<Duration> rtt = CompletableFuture.supplyAsync(c::echo);
            sw.nextAnsweringEchoes(Duration.ofSeconds(1)); // ours among the keepalives: all answered
            assertThat(rtt.get(10, TimeUnit.SECONDS)).isPositive();
        }
    }

    @Test
    void aSwitchThatStopsAnsweringIsDeclaredDead() throws Exception {
        try (ScriptedSwitch sw = new ScriptedSwitch(LOOPBACK, port, OFVersion.OF_14)) {
            sw.handshake(0x44);
            SwitchConnection c = session();
            assertThat(sw.closedWithin(Duration.ofSeconds(10))).as("closed by the dead-peer timeout").isTrue();
            assertThat(disconnected.poll(10, TimeUnit.SECONDS)).isSameAs(c);
            assertThat(c.isActive()).isFalse();
        }
    }

    @Test
    void aPeerThatNeverFinishesTheHandshakeIsClosed() throws Exception {
        try (ScriptedSwitch sw = new ScriptedSwitch(LOOPBACK, port, OFVersion.OF_14)) {
            sw.helloWithBitmap(5);
            sw.expect(OFType.HELLO);
            sw.expect(OFType.FEATURES_REQUEST); // and never answered
            assertThat(sw.closedWithin(Duration.ofSeconds(10))).isTrue();
        }
        assertThat(connected).isEmpty();
    }

    @Test
    void versionsAreNegotiatedFromTheBitmapAndAnOldSwitchIsToldWhy() throws Exception {
        try (ScriptedSwitch sw = new ScriptedSwitch(LOOPBACK, port, OFVersion.OF_13)) {
            sw.helloWithBitmap(1, 4); // 1.0 and 1.3: we pick 1.3
            sw.expect(OFType.HELLO);
            assertThat(sw.expect(OFType.FEATURES_REQUEST).getVersion()).isEqualTo(OFVersion.OF_13);
        }
        try (ScriptedSwitch sw = new ScriptedSwitch(LOOPBACK, port, OFVersion.OF_10)) {
            sw.send(sw.factory.buildHello().setXid(9).build()); // 1.0 only (no bitmap): 1.0 it is
            sw.expect(OFType.HELLO);
            assertThat(sw.expect(OFType.FEATURES_REQUEST).getVersion()).isEqualTo(OFVersion.OF_10);
        }
        try (ScriptedSwitch sw = new ScriptedSwitch(LOOPBACK, port, OFVersion.OF_13)) {
            sw.helloWithBitmap(2, 3); // 1.1 and 1.2 only: nothing in common
            sw.expect(OFType.HELLO);
            OFMessage error = sw.expect(OFType.ERROR);
            assertThat(((OFErrorMsg) error).getErrType()).isEqualTo(OFErrorType.HELLO_FAILED);
            assertThat(sw.closedWithin(Duration.ofSeconds(10))).isTrue();
        }
    }

    @Test
    void everyConfiguredAddressAcceptsSwitchesOnTheOnePort() throws Exception {
        try (ScriptedSwitch sw = new ScriptedSwitch("127.0.0.2", port, OFVersion.OF_14)) {
            sw.handshake(0x46);
            assertThat(session().dpid()).isEqualTo(0x46);
        }
        assertThatThrownBy(() -> OpenFlowConfig.tcp(List.of(), 0)).hasMessageContaining("no address");
    }

    @Test
    void aFrameLoxiCannotParseIsSkippedAndCountedAndTheSessionGoesOn() throws Exception {
        try (ScriptedSwitch sw = new ScriptedSwitch(LOOPBACK, port, OFVersion.OF_14)) {
            sw.handshake(0x47);
            SwitchConnection c = session();
            long before = server.unparsedMessages();
            byte[] odd = new byte[24]; // a well-framed EXPERIMENTER message from an experimenter nobody knows
            odd[0] = 5;
            odd[1] = 4;
            odd[3] = 24;
            odd[8] = 0x12;
            odd[9] = 0x34;
            sw.sendRaw(odd);
            CompletableFuture<Void> barrier = CompletableFuture.runAsync(c::barrier);
            OFMessage m = sw.expectAnsweringEchoes(OFType.BARRIER_REQUEST);
            sw.send(sw.factory.buildBarrierReply().setXid(m.getXid()).build());
            barrier.get(10, TimeUnit.SECONDS);
            assertThat(server.unparsedMessages()).isEqualTo(before + 1);
            assertThat(c.isActive()).isTrue();
        }
    }

    @Test
    void aSwitchThatStopsReadingHoldsTheWriterNotTheHeap() throws Exception {
        List<io.flowkeeper.api.flow.Flow> flows = new java.util.ArrayList<>();
        for (int i = 0; i < 200_000; i++) {
            flows.add(OfctlText.parse("table=1,priority=" + (i % 60_000) + ",ip,nw_dst=10." + (i >> 16) + "."
                    + ((i >> 8) & 0xff) + "." + (i & 0xff) + ",actions=output:2"));
        }
        try (ScriptedSwitch sw = new ScriptedSwitch(LOOPBACK, port, OFVersion.OF_14)) {
            sw.handshake(0x48);
            SwitchConnection c = session();
            // The switch reads nothing from here on (~25 MB of flow-mods cannot all be queued), but it still
            // talks, so the dead-peer timeout does not end the test early.
            CompletableFuture<Void> push = CompletableFuture.runAsync(() -> c.install(flows));
            long peak = 0;
            for (int i = 0; i < 30; i++) {
                Thread.sleep(100);
                sw.send(sw.factory.buildEchoRequest().setXid(900 + i).setData(new byte[0]).build());
                peak = Math.max(peak, c.queuedBytes());
            }
            assertThat(push).as("the writer waits for the switch").isNotDone();
            assertThat(peak).as("bytes queued in the controller").isLessThanOrEqualTo((1 << 20) + (128 << 10));
            sw.close(); // the switch goes away: the held writer fails, nothing hangs
            assertThatThrownBy(() -> push.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(OpenFlowException.class);
        }
    }

    @Test
    void aTruncatedFrameClosesOnlyItsOwnConnection() throws Exception {
        try (ScriptedSwitch good = new ScriptedSwitch(LOOPBACK, port, OFVersion.OF_14)) {
            good.handshake(0x45);
            SwitchConnection c = session();
            try (ScriptedSwitch bad = new ScriptedSwitch(LOOPBACK, port, OFVersion.OF_14)) {
                bad.helloWithBitmap(5);
                bad.expect(OFType.HELLO);
                byte[] truncated = new byte[100];
                truncated[0] = 5;
                truncated[1] = 6; // FEATURES_REPLY ...
                truncated[2] = (byte) 0xff; // ... claiming 65,535 bytes, of which 100 arrive
                truncated[3] = (byte) 0xff;
                bad.sendRaw(truncated);
            } // the peer goes away mid-frame
            CompletableFuture<Void> barrier = CompletableFuture.runAsync(c::barrier);
            OFMessage m = good.expectAnsweringEchoes(OFType.BARRIER_REQUEST);
            good.send(good.factory.buildBarrierReply().setXid(m.getXid()).build());
            barrier.get(10, TimeUnit.SECONDS);
            assertThat(c.isActive()).isTrue();
        }
    }
}
