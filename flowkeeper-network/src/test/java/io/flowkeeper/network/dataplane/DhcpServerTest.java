package io.flowkeeper.network.dataplane;

import io.flowkeeper.api.dhcp.DhcpPacket;
import io.flowkeeper.api.dhcp.DhcpResponder;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowkeeper.api.network.Network;
import io.flowkeeper.api.network.NetworkType;
import io.flowkeeper.api.network.Port;
import io.flowkeeper.api.network.Subnet;
import io.flowkeeper.network.Ipv4;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DhcpServerTest {
    private static final String MAC = "fa:16:3e:00:00:0a";
    private final TestModel m = new TestModel();
    private final Network net = m.network("net1", "p1", NetworkType.VXLAN, null, 100, "10.0.0.0/24", true);
    private final Port port = m.port("a", net, MAC, "10.0.0.3", "h1");
    private final List<Subnet> subnets = m.subnets;

    private static DhcpPacket request(int type, long ciaddr, Map<Integer, byte[]> extra) {
        Map<Integer, byte[]> options = new LinkedHashMap<>();
        options.put(DhcpPacket.OPT_MESSAGE_TYPE, new byte[] {(byte) type});
        options.putAll(extra);
        options.put(55, new byte[] {1, 3, 6, 121}); // parameter request list
        return new DhcpPacket(DhcpPacket.BOOTREQUEST, 0x1234abcdL, 3, 0, ciaddr, 0, 0, 0, FlowCompiler.mac(MAC),
                options);
    }

    private static byte[] ip(String a) {
        return ByteBuffer.allocate(4).putInt((int) Ipv4.parse(a)).array();
    }

    /** A client's frame: from its MAC and 0.0.0.0 to the broadcast, UDP 68 -> 67. */
    private static byte[] clientFrame(DhcpPacket p) {
        return p.encodeFrame(FlowCompiler.mac(MAC), DhcpResponder.BROADCAST_MAC, 0, 0xffffffffL, DhcpPacket.CLIENT_PORT,
                DhcpPacket.SERVER_PORT);
    }

    private DhcpResponder.Reply answer(DhcpPacket request) {
        Optional<DhcpResponder.Reply> r = DhcpServer.answer(request, port, net, subnets, 86400);
        return r.orElse(null);
    }

    @Test
    void discoverGetsAnOfferOfTheFixedAddressWithEveryOption() throws Exception {
        DhcpPacket discover = DhcpPacket.parseFrame(clientFrame(request(DhcpPacket.DISCOVER, 0, Map.of())));
        DhcpResponder.Reply r = answer(discover);
        DhcpPacket offer = DhcpPacket.parseFrame(r.frame());
        assertEquals(DhcpPacket.OFFER, offer.messageType());
        assertEquals(DhcpPacket.BOOTREPLY, offer.op());
        assertEquals(0x1234abcdL, offer.xid());
        assertEquals(Ipv4.parse("10.0.0.3"), offer.yiaddr());
        assertEquals(FlowCompiler.mac(MAC), offer.chaddr());
        assertEquals(Ipv4.parse("10.0.0.1"), offer.addressOption(DhcpPacket.OPT_SERVER_ID));
        assertEquals(Ipv4.parse("255.255.255.0"), offer.addressOption(DhcpPacket.OPT_SUBNET_MASK));
        assertEquals(Ipv4.parse("10.0.0.1"), offer.addressOption(DhcpPacket.OPT_ROUTER));
        assertEquals(Ipv4.parse("8.8.8.8"), offer.addressOption(DhcpPacket.OPT_DNS));
        assertEquals(86400, ByteBuffer.wrap(offer.options().get(DhcpPacket.OPT_LEASE_TIME)).getInt());
        assertEquals(43200, ByteBuffer.wrap(offer.options().get(DhcpPacket.OPT_RENEWAL_TIME)).getInt());
        assertArrayEquals(new byte[] {0x05, (byte) 0xaa}, offer.options().get(DhcpPacket.OPT_MTU));
        assertEquals("host-10-0-0-3", new String(offer.options().get(DhcpPacket.OPT_HOSTNAME)));
        // RFC 3442: 192.168.0.0/16 via 10.0.0.254, then the default route via the gateway
        assertArrayEquals(new byte[] {16, (byte) 192, (byte) 168, 10, 0, 0, (byte) 254, 0, 10, 0, 0, 1},
                offer.options().get(DhcpPacket.OPT_CLASSLESS_ROUTES));
        assertEquals(FlowCompiler.mac(MAC), r.ethDst());
        assertEquals(Ipv4.parse("10.0.0.3"), r.ipDst());
        // the frame's IPv4 header and UDP checksums verify
        byte[] f = r.frame();
        assertEquals(0, DhcpPacket.checksum(f, 14, 20, 0));
        long pseudo = (Ipv4.parse("10.0.0.1") >> 16) + (Ipv4.parse("10.0.0.1") & 0xffff)
                + (Ipv4.parse("10.0.0.3") >> 16) + (Ipv4.parse("10.0.0.3") & 0xffff) + 17 + (f.length - 34);
        assertEquals(0, DhcpPacket.checksum(f, 34, f.length - 34, pseudo));
    }

    @Test
    void requestForTheFixedAddressIsAckedAndForAnotherNakedByBroadcast() {
        DhcpPacket ack = answer(request(DhcpPacket.REQUEST, 0, Map.of(DhcpPacket.OPT_REQUESTED_IP, ip("10.0.0.3"),
                DhcpPacket.OPT_SERVER_ID, ip("10.0.0.1")))).message();
        assertEquals(DhcpPacket.ACK, ack.messageType());
        assertEquals(Ipv4.parse("10.0.0.3"), ack.yiaddr());
        DhcpResponder.Reply nak = answer(request(DhcpPacket.REQUEST, 0,
                Map.of(DhcpPacket.OPT_REQUESTED_IP, ip("10.0.0.9"))));
        assertEquals(DhcpPacket.NAK, nak.message().messageType());
        assertEquals(0, nak.message().yiaddr());
        assertEquals(DhcpResponder.BROADCAST_MAC, nak.ethDst());
        assertEquals(0xffffffffL, nak.ipDst());
        assertFalse(nak.message().options().containsKey(DhcpPacket.OPT_LEASE_TIME));
    }

    @Test
    void renewalFromTheLeasedAddressIsAckedByUnicast() {
        DhcpResponder.Reply r = answer(request(DhcpPacket.REQUEST, Ipv4.parse("10.0.0.3"), Map.of()));
        assertEquals(DhcpPacket.ACK, r.message().messageType());
        assertEquals(Ipv4.parse("10.0.0.3"), r.message().ciaddr());
        assertEquals(Ipv4.parse("10.0.0.3"), r.ipDst());
    }

    @Test
    void aRequestNamingAnotherServerGetsNothing() {
        assertNull(answer(request(DhcpPacket.REQUEST, 0, Map.of(DhcpPacket.OPT_REQUESTED_IP, ip("10.0.0.3"),
                DhcpPacket.OPT_SERVER_ID, ip("10.0.0.200")))));
    }

    @Test
    void informGetsOptionsWithoutALease() {
        DhcpPacket ack = answer(request(DhcpPacket.INFORM, Ipv4.parse("10.0.0.3"), Map.of())).message();
        assertEquals(DhcpPacket.ACK, ack.messageType());
        assertEquals(0, ack.yiaddr());
        assertFalse(ack.options().containsKey(DhcpPacket.OPT_LEASE_TIME));
        assertTrue(ack.options().containsKey(DhcpPacket.OPT_SUBNET_MASK));
    }

    @Test
    void releaseDeclineAnotherMacAndDhcpOffGetNothing() {
        assertNull(answer(request(DhcpPacket.RELEASE, Ipv4.parse("10.0.0.3"), Map.of())));
        assertNull(answer(request(DhcpPacket.DECLINE, 0, Map.of())));
        DhcpPacket d = request(DhcpPacket.DISCOVER, 0, Map.of());
        DhcpPacket otherMac = new DhcpPacket(d.op(), d.xid(), 0, 0, 0, 0, 0, 0, 0x020000000001L, d.options());
        assertNull(answer(otherMac));
        List<Subnet> off = List.of(new Subnet("sub-net1", "s", "p1", "net1", "10.0.0.0/24", "10.0.0.1", List.of(),
                List.of(), List.of(), false, 1));
        assertTrue(DhcpServer.answer(d, port, net, off, 86400).isEmpty());
    }

    @Test
    void malformedFramesAreRefusedWithMalformedAndNothingElse() {
        byte[] good = clientFrame(request(DhcpPacket.DISCOVER, 0, Map.of(12, "vm".getBytes())));
        assertThrows(DhcpPacket.Malformed.class, () -> DhcpPacket.parseFrame(new byte[0]));
        assertThrows(DhcpPacket.Malformed.class, () -> DhcpPacket.parseFrame(java.util.Arrays.copyOf(good, 100)));
        byte[] noEnd = good.clone();
        for (int i = noEnd.length - 1; noEnd[i] != (byte) 255; i--) {
            noEnd[i] = 0;
        }
        noEnd[lastIndexOf(noEnd, (byte) 255)] = 0;
        assertThrows(DhcpPacket.Malformed.class, () -> DhcpPacket.parseFrame(noEnd));

        Random random = new Random(18);
        Map<String, Integer> outcomes = new HashMap<>();
        for (int i = 0; i < 200_000; i++) {
            byte[] frame;
            if (i % 2 == 0) {
                frame = good.clone();
                for (int k = 0, n = 1 + random.nextInt(8); k < n; k++) {
                    frame[random.nextInt(frame.length)] = (byte) random.nextInt(256);
                }
                if (random.nextInt(4) == 0) {
                    frame = java.util.Arrays.copyOf(frame, random.nextInt(frame.length + 1));
                }
            } else {
                frame = new byte[random.nextInt(400)];
                random.nextBytes(frame);
            }
            try {
                DhcpPacket p = DhcpPacket.parseFrame(frame);
                DhcpServer.answer(p, port, net, subnets, 86400).ifPresent(DhcpResponder.Reply::frame);
                outcomes.merge("parsed", 1, Integer::sum);
            } catch (DhcpPacket.Malformed e) {
                outcomes.merge("malformed", 1, Integer::sum);
            }
        }
        assertTrue(outcomes.getOrDefault("parsed", 0) > 1000, outcomes.toString());
        assertTrue(outcomes.getOrDefault("malformed", 0) > 1000, outcomes.toString());
    }

    private static int lastIndexOf(byte[] a, byte v) {
        for (int i = a.length - 1; i >= 0; i--) {
            if (a[i] == v) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void eachHostGetsTheBindingsOfItsOwnPlugsAndTheyAnswerAsTheModelDoes() {
        Port b = m.port("b", net, "fa:16:3e:00:00:0b", "10.0.0.4", "h2");
        m.port("c", net, "fa:16:3e:00:00:0c", "10.0.0.5", "h2");
        Map<String, List<io.flowkeeper.api.dhcp.DhcpBinding>> byHost = TenantDataplane.dhcpBindingsByHost(m.model());
        assertEquals(List.of("a"), byHost.get("h1").stream().map(io.flowkeeper.api.dhcp.DhcpBinding::portId).toList());
        assertEquals(List.of("b", "c"), byHost.get("h2").stream().map(io.flowkeeper.api.dhcp.DhcpBinding::portId)
                .toList());
        io.flowkeeper.api.dhcp.DhcpBinding binding = byHost.get("h2").get(0);
        assertEquals("10.0.0.4", binding.ipAddress());
        assertEquals(24, binding.prefixLength());
        DhcpPacket discover = new DhcpPacket(DhcpPacket.BOOTREQUEST, 7, 0, 0, 0, 0, 0, 0,
                FlowCompiler.mac(b.macAddress()), Map.of(DhcpPacket.OPT_MESSAGE_TYPE, new byte[] {DhcpPacket.DISCOVER}));
        assertArrayEquals(DhcpServer.answer(discover, b, net, subnets, 600).orElseThrow().frame(),
                DhcpResponder.answer(discover, binding, 600).orElseThrow().frame());
    }
}
