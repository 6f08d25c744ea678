package io.flowkeeper.openflow;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowkeeper.api.switches.ControllerRole;
import io.flowkeeper.api.switches.Switch;
import io.flowkeeper.api.switches.SwitchListener;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.projectfloodlight.openflow.protocol.OFMessage;
import org.projectfloodlight.openflow.protocol.OFType;
import org.projectfloodlight.openflow.protocol.OFVersion;

/**
 * Issue 15, D4 without TLS: a second connection claiming a connected dpid, played by a fake switch against the
 * real OpenFlow server. From another address it is refused before anyone hears of it; from the switch's own address
 * it replaces the older connection, which is closed.
 */
class DpidClaimTest {
    private final LinkedBlockingQueue<Switch> connected = new LinkedBlockingQueue<>();
    private final LinkedBlockingQueue<Switch> disconnected = new LinkedBlockingQueue<>();
    private OpenFlowServer server;
    private int port;

    @BeforeEach
    void start() throws Exception {
        server = new OpenFlowServer(OpenFlowConfig.tcp("127.0.0.1", 0), new SwitchListener() {
            @Override
            public void switchConnected(Switch sw) {
                connected.add(sw);
            }

            @Override
            public void switchDisconnected(Switch sw) {
                disconnected.add(sw);
            }
        });
        port = server.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void theRuleAsAFunction() {
        assertThat(DpidClaim.judge(null, "/10.0.0.9:4000", false)).isEqualTo(DpidClaim.FIRST);
        assertThat(DpidClaim.judge("/10.0.0.1:4000", "/10.0.0.1:4001", false)).isEqualTo(DpidClaim.REPLACES_OLDER);
        assertThat(DpidClaim.judge("/10.0.0.1:4000", "/10.0.0.9:4001", false)).isEqualTo(DpidClaim.REFUSED);
        assertThat(DpidClaim.judge("/10.0.0.1:4000", "/10.0.0.9:4001", true)).isEqualTo(DpidClaim.REPLACES_OLDER);
        assertThat(DpidClaim.host("/[::1]:6653")).isEqualTo("[::1]");
    }

    @Test
    void aClaimFromAnotherAddressIsRefusedAndTheSwitchKeepsItsConnection() throws Exception {
        try (ScriptedSwitch real = new ScriptedSwitch("127.0.0.1", port, OFVersion.OF_14, "127.0.0.1")) {
            real.handshake(0x51);
            Switch held = connected.poll(10, TimeUnit.SECONDS);
            assertThat(held).isNotNull();
            try (ScriptedSwitch impostor = new ScriptedSwitch("127.0.0.1", port, OFVersion.OF_14, "127.0.0.3")) {
                impostor.handshake(0x51);
                assertThat(impostor.closedWithin(Duration.ofSeconds(5))).isTrue();
            }
            assertThat(connected.poll(500, TimeUnit.MILLISECONDS)).as("nobody hears of the impostor").isNull();
            assertThat(disconnected).isEmpty();
            assertThat(server.refusedClaims()).isEqualTo(1);
            assertThat(server.getSwitch(0x51)).containsSame(held);
            // the real switch is still served: a role request reaches it and its answer comes back
            CompletableFuture<ControllerRole> role = CompletableFuture.supplyAsync(
                    () -> held.requestRole(ControllerRole.MASTER, 3));
            OFMessage request = real.expectAnsweringEchoes(OFType.ROLE_REQUEST);
            real.send(real.factory.buildRoleReply().setXid(request.getXid())
                    .setRole(org.projectfloodlight.openflow.protocol.OFControllerRole.ROLE_MASTER)
                    .setGenerationId(org.projectfloodlight.openflow.types.U64.of(3)).build());
            assertThat(role.get(10, TimeUnit.SECONDS)).isEqualTo(ControllerRole.MASTER);
        }
    }

    @Test
    void aReconnectFromTheSameAddressReplacesTheOlderConnection() throws Exception {
        try (ScriptedSwitch first = new ScriptedSwitch("127.0.0.1", port, OFVersion.OF_14, "127.0.0.1");
             ScriptedSwitch again = new ScriptedSwitch("127.0.0.1", port, OFVersion.OF_14, "127.0.0.1")) {
            first.handshake(0x52);
            Switch old = connected.poll(10, TimeUnit.SECONDS);
            again.handshake(0x52);
            Switch now = connected.poll(10, TimeUnit.SECONDS);
            assertThat(now).isNotNull().isNotSameAs(old);
            assertThat(first.closedWithin(Duration.ofSeconds(5))).as("older connection closed").isTrue();
            assertThat(server.getSwitch(0x52)).containsSame(now);
            assertThat(server.refusedClaims()).isZero();
            // the old connection's end is heard, but the registry keeps the new one
            assertThat(disconnected.poll(5, TimeUnit.SECONDS)).isSameAs(old);
            assertThat(server.switches()).containsExactly(now);
        }
    }
}
