package io.flowkeeper.network;

import java.util.regex.Pattern;

/** IPv4 addresses as unsigned 32-bit values in a long, and CIDR prefixes. Pure functions. */
public final class Ipv4 {
    private static final Pattern DOTTED = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");

    private Ipv4() {}

    /** Parses dotted-quad text; returns -1 when it is not an IPv4 address. */
    public static long parse(String text) {
        if (text == null) {
            return -1;
        }
        var m = DOTTED.matcher(text);
        if (!m.matches()) {
            return -1;
        }
        long value = 0;
        for (int i = 1; i <= 4; i++) {
            String octet = m.group(i);
            if (octet.length() > 1 && octet.startsWith("0")) {
                return -1; // leading zeros read as octal by some tools: refuse the ambiguity
            }
            int o = Integer.parseInt(octet);
            if (o > 255) {
                return -1;
            }
            value = (value << 8) | o;
        }
        return value;
    }

    public static String format(long value) {
        return ((value >> 24) & 255) + "." + ((value >> 16) & 255) + "." + ((value >> 8) & 255) + "." + (value & 255);
    }

    /** A prefix such as {@code 10.0.0.0/24}. */
    public record Cidr(long network, int prefixLength) {
        /** Parses {@code a.b.c.d/n}; null when malformed. {@code hostBitsSet} tells whether a.b.c.d had host bits. */
        public static Cidr parse(String text) {
            if (text == null) {
                return null;
            }
            int slash = text.indexOf('/');
            if (slash < 0) {
                return null;
            }
            long address = Ipv4.parse(text.substring(0, slash));
            String len = text.substring(slash + 1);
            if (address < 0 || !len.matches("\\d{1,2}") || Integer.parseInt(len) > 32) {
                return null;
            }
            return new Cidr(address, Integer.parseInt(len));
        }

        public long mask() {
            return prefixLength == 0 ? 0 : (0xFFFFFFFFL << (32 - prefixLength)) & 0xFFFFFFFFL;
        }

        /** True when the address has no host bits set (it names the network itself). */
        public boolean isNetworkAddress() {
            return (network & ~mask() & 0xFFFFFFFFL) == 0;
        }

        public Cidr normalized() {
            return new Cidr(network & mask(), prefixLength);
        }

        public long first() {
            return network & mask();
        }

        public long last() {
            return first() | (~mask() & 0xFFFFFFFFL);
        }

        public boolean contains(long address) {
            return address >= first() && address <= last();
        }

        public boolean overlaps(Cidr other) {
            return first() <= other.last() && other.first() <= last();
        }

        /** The usable host range: without the network and broadcast addresses when the prefix is /30 or shorter. */
        public long firstHost() {
            return prefixLength >= 31 ? first() : first() + 1;
        }

        public long lastHost() {
            return prefixLength >= 31 ? last() : last() - 1;
        }

        @Override
        public String toString() {
            return format(network) + "/" + prefixLength;
        }
    }
}
