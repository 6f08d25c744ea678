package io.flowkeeper.agent.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.agent.cluster.VifTable.Vif;
import io.flowkeeper.api.dhcp.DhcpBinding;
import io.flowkeeper.api.dhcp.DhcpPacket;
import io.flowkeeper.api.dhcp.DhcpResponder;
import io.flowkeeper.api.network.HostRoute;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LocalDhcpTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MAC = "fa:16:3e:00:00:0a";
    private static final DhcpBinding BINDING = new DhcpBinding("port-a", MAC, "10.0.0.3", 24, "10.0.0.1", "10.0.0.1",
            List.of("10.0.0.53"), List.of(new HostRoute("192.168.0.0/16", "10.0.0.254")), 1450);

    /** The cluster's answer, as {@code AgentEndpoint} writes it. */
    private static ObjectNode answer(String version, DhcpBinding... bindings) {
        ObjectNode out = JSON.createObjectNode().put("version", version).put("lease_seconds", 600);
        out.set("bindings", JSON.valueToTree(List.of(bindings)));
        return out;
    }

    private static byte[] discover(String mac) {
        DhcpPacket p = new DhcpPacket(DhcpPacket.BOOTREQUEST, 0x55aa, 0, 0, 0, 0, 0, 0,
                Long.parseLong(mac.replace(":", ""), 16),
                Map.of(DhcpPacket.OPT_MESSAGE_TYPE, new byte[] {DhcpPacket.DISCOVER}));
        return p.encodeFrame(Long.parseLong(mac.replace(":", ""), 16), DhcpResponder.BROADCAST_MAC, 0, 0xffffffffL,
                DhcpPacket.CLIENT_PORT, DhcpPacket.SERVER_PORT);
    }

    @Test
    void theClustersAnswerRoundTripsAndADiscoverOnTheBoundPortGetsTheSameOfferAsTheMastersWould() throws Exception {
        LocalDhcp.Bindings b = LocalDhcp.parse(answer("v1", BINDING));
        assertEquals("v1", b.version());
        assertEquals(600, b.leaseSeconds());
        assertEquals(BINDING, b.byPort().get("port-a"));
        Map<String, Vif> vifs = Map.of("port-a", new Vif("port-a", 7, MAC));
        byte[] frame = discover(MAC);
        assertTrue(DhcpPacket.isToServer(frame));
        Optional<DhcpResponder.Reply> reply = LocalDhcp.reply(7, frame, b, vifs);
        assertTrue(reply.isPresent());
        DhcpPacket offer = DhcpPacket.parseFrame(reply.get().frame());
        assertEquals(DhcpPacket.OFFER, offer.messageType());
        assertEquals(0x0a000003L, offer.yiaddr());
        assertArrayEquals(DhcpResponder.answer(DhcpPacket.parseFrame(frame), BINDING, 600).orElseThrow().frame(),
                reply.get().frame(), "the agent's reply is the one the master computes from the same binding");
    }

    @Test
    void anotherPortAnotherMacAnUnboundPortAndMalformedFramesGetNothing() {
        LocalDhcp.Bindings b = LocalDhcp.parse(answer("v1", BINDING));
        Map<String, Vif> vifs = Map.of("port-a", new Vif("port-a", 7, MAC), "port-b", new Vif("port-b", 8,
                "fa:16:3e:00:00:0b"));
        assertFalse(LocalDhcp.reply(8, discover("fa:16:3e:00:00:0b"), b, vifs).isPresent(), "no binding");
        assertFalse(LocalDhcp.reply(7, discover("fa:16:3e:00:00:0b"), b, vifs).isPresent(), "not the port's MAC");
        assertFalse(LocalDhcp.reply(9, discover(MAC), b, vifs).isPresent(), "no such interface");
        byte[] cut = java.util.Arrays.copyOf(discover(MAC), 60);
        assertFalse(LocalDhcp.reply(7, cut, b, vifs).isPresent(), "truncated");
        assertFalse(DhcpPacket.isToServer(new byte[] {1, 2, 3}));
        assertFalse(LocalDhcp.reply(7, discover(MAC), LocalDhcp.Bindings.NONE, vifs).isPresent(), "none held");
    }

    @Test
    void bindingsAreKeptOnDiskAndReadBackByARestartedAgent(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path file = dir.resolve("dhcp-bindings.json");
        java.nio.file.Path socket = dir.resolve("br-int.mgmt"); // absent: the session is retried, nothing else
        Map<String, Vif> vifs = Map.of("port-a", new Vif("port-a", 7, MAC));
        try (LocalDhcp first = new LocalDhcp(socket, file, () -> vifs, new io.flowkeeper.agent.AgentListener() { })
                .start()) {
            assertEquals("", first.version());
            first.update(answer("v2", BINDING));
            assertEquals("v2", first.version());
            first.update(JSON.createObjectNode().put("version", "v2").put("unchanged", true));
            assertEquals("v2", first.version());
        }
        try (LocalDhcp restarted = new LocalDhcp(socket, file, () -> vifs, new io.flowkeeper.agent.AgentListener() { })
                .start()) {
            assertEquals("v2", restarted.version(), "read back from " + file);
        }
    }
}
