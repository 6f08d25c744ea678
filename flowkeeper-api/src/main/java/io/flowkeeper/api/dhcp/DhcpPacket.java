package io.flowkeeper.api.dhcp;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A DHCP (BOOTP) message, and its codec over Ethernet/IPv4/UDP (RFC 2131, 2132). Parsing checks every length
 * against the bytes present and throws {@link Malformed} for anything it cannot read; it never reads past the
 * frame. Options are kept as raw bytes in the order they came; option overload (52) is not supported (the client's
 * requests never need it).
 *
 * @param op 1 BOOTREQUEST, 2 BOOTREPLY
 * @param flags bit 15: the client asks for broadcast replies
 * @param chaddr the client's hardware address (48 bits)
 * @param options option code to value, in order; no pad or end
 */
public record DhcpPacket(int op, long xid, int secs, int flags, long ciaddr, long yiaddr, long siaddr, long giaddr,
                         long chaddr, Map<Integer, byte[]> options) {
    public static final int BOOTREQUEST = 1;
    public static final int BOOTREPLY = 2;
    public static final int DISCOVER = 1;
    public static final int OFFER = 2;
    public static final int REQUEST = 3;
    public static final int DECLINE = 4;
    public static final int ACK = 5;
    public static final int NAK = 6;
    public static final int RELEASE = 7;
    public static final int INFORM = 8;

    public static final int OPT_SUBNET_MASK = 1;
    public static final int OPT_ROUTER = 3;
    public static final int OPT_DNS = 6;
    public static final int OPT_HOSTNAME = 12;
    public static final int OPT_MTU = 26;
    public static final int OPT_BROADCAST = 28;
    public static final int OPT_REQUESTED_IP = 50;
    public static final int OPT_LEASE_TIME = 51;
    public static final int OPT_MESSAGE_TYPE = 53;
    public static final int OPT_SERVER_ID = 54;
    public static final int OPT_RENEWAL_TIME = 58;
    public static final int OPT_REBINDING_TIME = 59;
    public static final int OPT_CLASSLESS_ROUTES = 121;

    public static final int FLAG_BROADCAST = 0x8000;
    public static final int SERVER_PORT = 67;
    public static final int CLIENT_PORT = 68;
    private static final int MAGIC_COOKIE = 0x63825363;
    private static final int BOOTP_FIXED = 236;
    private static final int ETH_HEADER = 14;
    private static final int IP_HEADER = 20;
    private static final int UDP_HEADER = 8;

    /** A frame that is not a readable DHCP message. */
    public static final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;

        public Malformed(String message) {
            super(message);
        }
    }

    public DhcpPacket {
        options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }

    /** The DHCP message type (option 53), or 0 for plain BOOTP. */
    public int messageType() {
        byte[] t = options.get(OPT_MESSAGE_TYPE);
        return t != null && t.length == 1 ? Byte.toUnsignedInt(t[0]) : 0;
    }

    /** An option holding one IPv4 address, or -1. */
    public long addressOption(int code) {
        byte[] v = options.get(code);
        return v != null && v.length == 4 ? Integer.toUnsignedLong(ByteBuffer.wrap(v).getInt()) : -1;
    }

    /**
     * True when {@code frame} is an IPv4 UDP datagram to the DHCP server port (67), untagged or 802.1Q-tagged: what a
     * listener that gets every kind of packet keeps for {@link #parseFrame}. Reads only within the frame.
     */
    public static boolean isToServer(byte[] frame) {
        int at = 12;
        if (frame.length < ETH_HEADER) {
            return false;
        }
        int type = (frame[at] & 0xff) << 8 | frame[at + 1] & 0xff;
        if (type == 0x8100) {
            at += 4;
            if (frame.length < at + 2) {
                return false;
            }
            type = (frame[at] & 0xff) << 8 | frame[at + 1] & 0xff;
        }
        int ip = at + 2;
        if (type != 0x0800 || frame.length < ip + IP_HEADER || (frame[ip + 9] & 0xff) != 17) {
            return false;
        }
        int udp = ip + (frame[ip] & 0xf) * 4;
        return frame.length >= udp + UDP_HEADER && ((frame[udp + 2] & 0xff) << 8 | frame[udp + 3] & 0xff) == SERVER_PORT;
    }

    /**
     * Parses an Ethernet frame (untagged or one 802.1Q tag) holding IPv4/UDP to port 67 or 68 and a DHCP message.
     *
     * @throws Malformed naming what does not fit
     */
    public static DhcpPacket parseFrame(byte[] frame) throws Malformed {
        ByteBuffer b = ByteBuffer.wrap(frame);
        need(b, 0, ETH_HEADER, "Ethernet header");
        int at = 12;
        int type = Short.toUnsignedInt(b.getShort(at));
        if (type == 0x8100) {
            need(b, 0, ETH_HEADER + 4, "802.1Q header");
            at += 4;
            type = Short.toUnsignedInt(b.getShort(at));
        }
        if (type != 0x0800) {
            throw new Malformed("not IPv4: ethertype 0x" + Integer.toHexString(type));
        }
        int ip = at + 2;
        need(b, ip, IP_HEADER, "IPv4 header");
        int versionIhl = Byte.toUnsignedInt(b.get(ip));
        int ihl = (versionIhl & 0xf) * 4;
        if (versionIhl >> 4 != 4 || ihl < IP_HEADER) {
            throw new Malformed("bad IPv4 version or header length");
        }
        need(b, ip, ihl, "IPv4 options");
        int totalLength = Short.toUnsignedInt(b.getShort(ip + 2));
        if (totalLength < ihl + UDP_HEADER || ip + totalLength > frame.length) {
            throw new Malformed("IPv4 total length " + totalLength + " does not fit the frame");
        }
        if ((Short.toUnsignedInt(b.getShort(ip + 6)) & 0x3fff) != 0) {
            throw new Malformed("fragmented");
        }
        if (Byte.toUnsignedInt(b.get(ip + 9)) != 17) {
            throw new Malformed("not UDP");
        }
        int udp = ip + ihl;
        int dstPort = Short.toUnsignedInt(b.getShort(udp + 2));
        int udpLength = Short.toUnsignedInt(b.getShort(udp + 4));
        if (dstPort != SERVER_PORT && dstPort != CLIENT_PORT) {
            throw new Malformed("not to a DHCP port: " + dstPort);
        }
        if (udpLength < UDP_HEADER || udp + udpLength > ip + totalLength) {
            throw new Malformed("UDP length " + udpLength + " does not fit the IPv4 packet");
        }
        return parse(ByteBuffer.wrap(frame, udp + UDP_HEADER, udpLength - UDP_HEADER).slice());
    }

    /** Parses a DHCP message (the UDP payload). */
    public static DhcpPacket parse(ByteBuffer b) throws Malformed {
        need(b, 0, BOOTP_FIXED + 4, "BOOTP header and magic cookie");
        int op = Byte.toUnsignedInt(b.get(0));
        if (op != BOOTREQUEST && op != BOOTREPLY) {
            throw new Malformed("op " + op);
        }
        if (Byte.toUnsignedInt(b.get(1)) != 1 || Byte.toUnsignedInt(b.get(2)) != 6) {
            throw new Malformed("hardware type/length is not Ethernet");
        }
        if (b.getInt(BOOTP_FIXED) != MAGIC_COOKIE) {
            throw new Malformed("no DHCP magic cookie");
        }
        long chaddr = 0;
        for (int i = 0; i < 6; i++) {
            chaddr = chaddr << 8 | Byte.toUnsignedInt(b.get(28 + i));
        }
        Map<Integer, byte[]> options = new LinkedHashMap<>();
        int p = BOOTP_FIXED + 4;
        while (true) {
            if (p >= b.limit()) {
                throw new Malformed("options end without the end option");
            }
            int code = Byte.toUnsignedInt(b.get(p++));
            if (code == 255) {
                break;
            }
            if (code == 0) {
                continue;
            }
            need(b, p, 1, "option " + code + " length");
            int len = Byte.toUnsignedInt(b.get(p++));
            need(b, p, len, "option " + code + " value");
            byte[] v = new byte[len];
            b.get(p, v);
            p += len;
            // RFC 3396: a repeated option's values are concatenated
            options.merge(code, v, (x, y) -> {
                byte[] joined = Arrays.copyOf(x, x.length + y.length);
                System.arraycopy(y, 0, joined, x.length, y.length);
                return joined;
            });
        }
        if (options.containsKey(52)) {
            throw new Malformed("option overload is not supported");
        }
        return new DhcpPacket(op, Integer.toUnsignedLong(b.getInt(4)), Short.toUnsignedInt(b.getShort(8)),
                Short.toUnsignedInt(b.getShort(10)), address(b, 12), address(b, 16), address(b, 20), address(b, 24),
                chaddr, options);
    }

    private static long address(ByteBuffer b, int at) {
        return Integer.toUnsignedLong(b.getInt(at));
    }

    private static void need(ByteBuffer b, int at, int length, String what) throws Malformed {
        if (at < 0 || length < 0 || at + length > b.limit()) {
            throw new Malformed("truncated " + what);
        }
    }

    /** The DHCP message (UDP payload), padded to the 300 bytes BOOTP clients expect at least. */
    public byte[] encode() {
        int optionBytes = 4 + 1;
        for (byte[] v : options.values()) {
            optionBytes += Math.max(1, (v.length + 254) / 255) * 2 + v.length;
        }
        ByteBuffer b = ByteBuffer.allocate(Math.max(300, BOOTP_FIXED + optionBytes));
        b.put((byte) op).put((byte) 1).put((byte) 6).put((byte) 0).putInt((int) xid).putShort((short) secs)
                .putShort((short) flags).putInt((int) ciaddr).putInt((int) yiaddr).putInt((int) siaddr)
                .putInt((int) giaddr);
        for (int i = 5; i >= 0; i--) {
            b.put((byte) (chaddr >> (8 * i)));
        }
        b.position(BOOTP_FIXED);
        b.putInt(MAGIC_COOKIE);
        options.forEach((code, v) -> {
            int off = 0;
            do { // values over 255 bytes are split (RFC 3396)
                int len = Math.min(255, v.length - off);
                b.put(code.byteValue()).put((byte) len).put(v, off, len);
                off += len;
            } while (off < v.length);
        });
        b.put((byte) 255);
        return b.array();
    }

    /** The message in an Ethernet/IPv4/UDP frame from the server port to the client port, with checksums. */
    public byte[] encodeFrame(long ethSrc, long ethDst, long ipSrc, long ipDst) {
        return encodeFrame(ethSrc, ethDst, ipSrc, ipDst, SERVER_PORT, CLIENT_PORT);
    }

    /** The message in an Ethernet/IPv4/UDP frame between these UDP ports, with checksums. */
    public byte[] encodeFrame(long ethSrc, long ethDst, long ipSrc, long ipDst, int srcPort, int dstPort) {
        byte[] payload = encode();
        int udpLength = UDP_HEADER + payload.length;
        ByteBuffer b = ByteBuffer.allocate(ETH_HEADER + IP_HEADER + udpLength);
        putMac(b, ethDst);
        putMac(b, ethSrc);
        b.putShort((short) 0x0800);
        int ip = b.position();
        b.put((byte) 0x45).put((byte) 0x10).putShort((short) (IP_HEADER + udpLength)).putShort((short) 0)
                .putShort((short) 0).put((byte) 64).put((byte) 17).putShort((short) 0).putInt((int) ipSrc)
                .putInt((int) ipDst);
        b.putShort(ip + 10, (short) checksum(b.array(), ip, IP_HEADER, 0));
        int udp = b.position();
        b.putShort((short) srcPort).putShort((short) dstPort).putShort((short) udpLength).putShort((short) 0)
                .put(payload);
        long pseudo = (ipSrc >> 16) + (ipSrc & 0xffff) + (ipDst >> 16) + (ipDst & 0xffff) + 17 + udpLength;
        int sum = checksum(b.array(), udp, udpLength, pseudo);
        b.putShort(udp + 6, (short) (sum == 0 ? 0xffff : sum));
        return b.array();
    }

    private static void putMac(ByteBuffer b, long mac) {
        for (int i = 5; i >= 0; i--) {
            b.put((byte) (mac >> (8 * i)));
        }
    }

    /** The Internet checksum (RFC 1071) of {@code length} bytes from {@code at}, plus {@code initial}. */
    public static int checksum(byte[] data, int at, int length, long initial) {
        long sum = initial;
        for (int i = 0; i + 1 < length; i += 2) {
            sum += (Byte.toUnsignedInt(data[at + i]) << 8) | Byte.toUnsignedInt(data[at + i + 1]);
        }
        if (length % 2 == 1) {
            sum += Byte.toUnsignedInt(data[at + length - 1]) << 8;
        }
        while (sum >> 16 != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) (~sum & 0xffff);
    }
}
