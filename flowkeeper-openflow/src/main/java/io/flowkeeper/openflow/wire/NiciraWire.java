package io.flowkeeper.openflow.wire;

import io.flowkeeper.api.flow.Action;
import io.flowkeeper.api.flow.MatchField;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The Nicira extensions Flowkeeper uses, both ways on the wire: the connection tracking and conjunction match fields
 * (NXM class 0x0001 inside an OXM match, as OVS accepts and dumps them on OpenFlow 1.3/1.4) and the {@code ct},
 * {@code nat} and {@code conjunction} actions (vendor actions, vendor 0x00002320). Loxi knows none of the actions
 * and not {@code conj_id}, so the encoder writes these bytes into its messages ({@code LoxiFlows}) and
 * {@link WireFlows} reads them back. Layouts are those of OVS's {@code nx_action_conntrack}, {@code nx_action_nat}
 * and {@code nx_action_conjunction}.
 */
public final class NiciraWire {
    static final int NXM_CLASS = 0x0001;
    static final int VENDOR_ACTION = 0xffff;
    static final int NX_VENDOR_ID = 0x00002320;
    private static final int SUBTYPE_REG_LOAD2 = 33;
    private static final int SUBTYPE_CONJUNCTION = 34;
    private static final int SUBTYPE_CT = 35;
    private static final int SUBTYPE_NAT = 36;
    private static final int CT_FLAG_COMMIT = 1;
    private static final int NAT_FLAG_SRC = 1;
    private static final int NAT_FLAG_DST = 2;
    private static final int NAT_RANGE_IPV4_MIN = 1;
    private static final int NAT_RANGE_IPV4_MAX = 2;
    private static final int NAT_RANGE_PROTO_MIN = 0x10;
    private static final int NAT_RANGE_PROTO_MAX = 0x20;
    private static final int OFPAT_SET_FIELD = 25;

    private NiciraWire() {
    }

    /** The NXM field number of a Nicira match field, or -1 for a standard (OXM basic) one. */
    public static int nxmField(MatchField f) {
        return switch (f) {
            case CT_STATE -> 105;
            case CT_ZONE -> 106;
            case CT_MARK -> 107;
            case CONJ_ID -> 37;
            default -> -1;
        };
    }

    /** The Nicira match field with this NXM number, or null. */
    static MatchField field(int nxmField) {
        return switch (nxmField) {
            case 105 -> MatchField.CT_STATE;
            case 106 -> MatchField.CT_ZONE;
            case 107 -> MatchField.CT_MARK;
            case 37 -> MatchField.CONJ_ID;
            default -> null;
        };
    }

    /** The 32-bit OXM/NXM header of a field: class, field, has-mask, length. */
    static int header(int oxmClass, int field, boolean masked, int bytes) {
        return oxmClass << 16 | field << 9 | (masked ? 1 << 8 : 0) | (masked ? 2 * bytes : bytes);
    }

    /** A Nicira field's match entry (header, value, mask if any): what goes into an OXM match's list. */
    public static byte[] matchEntry(MatchField f, long value, Long mask) {
        int bytes = f.bits() / 8;
        ByteBuffer b = ByteBuffer.allocate(4 + (mask == null ? bytes : 2 * bytes));
        b.putInt(header(NXM_CLASS, nxmField(f), mask != null, bytes));
        putNumber(b, value, bytes);
        if (mask != null) {
            putNumber(b, mask, bytes);
        }
        return b.array();
    }

    /** Whether an action is one of the Nicira actions written here. */
    public static boolean isNicira(Action a) {
        return a instanceof Action.Ct || a instanceof Action.Conjunction;
    }

    /** A Nicira action's bytes (a multiple of 8). */
    public static byte[] action(Action a) {
        if (a instanceof Action.Conjunction c) {
            ByteBuffer b = vendorHeader(16, SUBTYPE_CONJUNCTION);
            b.put((byte) (c.clause() - 1)).put((byte) c.nClauses()).putInt((int) c.id());
            return b.array();
        }
        if (a instanceof Action.Ct ct) {
            List<byte[]> nested = new ArrayList<>();
            if (ct.nat() != null) {
                nested.add(nat(ct.nat()));
            }
            if (ct.mark() != null) {
                ByteBuffer set = ByteBuffer.allocate(16);
                set.putShort((short) OFPAT_SET_FIELD).putShort((short) 16)
                        .putInt(header(NXM_CLASS, nxmField(MatchField.CT_MARK), false, 4)).putInt((int) (long) ct.mark());
                nested.add(set.array());
            }
            int length = 24 + nested.stream().mapToInt(n -> n.length).sum();
            ByteBuffer b = vendorHeader(length, SUBTYPE_CT);
            b.putShort((short) (ct.commit() ? CT_FLAG_COMMIT : 0));
            if (ct.zoneField() == null) {
                b.putInt(0).putShort((short) ct.zone());
            } else {
                int id = WireFlows.oxmId(ct.zoneField());
                if (id < 0) {
                    throw new IllegalArgumentException("ct zone from " + ct.zoneField().ofctlName()
                            + " is not supported");
                }
                // zone_src names the field; ofs_nbits = offset << 6 | (bits - 1): its low 16 bits
                b.putInt(header(WireFlows.OXM_CLASS_BASIC, id, false, ct.zoneField().bits() / 8)).putShort((short) 15);
            }
            b.put((byte) ct.table()).put(new byte[3]).putShort((short) 0);
            nested.forEach(b::put);
            return b.array();
        }
        throw new IllegalArgumentException("not a Nicira action: " + a);
    }

    private static byte[] nat(Action.Nat n) {
        int range = 0;
        int bytes = 0;
        if (n.ipMin() != 0) {
            range |= NAT_RANGE_IPV4_MIN;
            bytes += 4;
            if (n.ipMax() != n.ipMin()) {
                range |= NAT_RANGE_IPV4_MAX;
                bytes += 4;
            }
        }
        if (n.portMin() != 0) {
            range |= NAT_RANGE_PROTO_MIN;
            bytes += 2;
            if (n.portMax() != n.portMin()) {
                range |= NAT_RANGE_PROTO_MAX;
                bytes += 2;
            }
        }
        int length = (16 + bytes + 7) / 8 * 8;
        ByteBuffer b = vendorHeader(length, SUBTYPE_NAT);
        int flags = switch (n.kind()) {
            case EXISTING -> 0;
            case SRC -> NAT_FLAG_SRC;
            case DST -> NAT_FLAG_DST;
        };
        b.putShort((short) 0).putShort((short) flags).putShort((short) range);
        if ((range & NAT_RANGE_IPV4_MIN) != 0) {
            b.putInt((int) n.ipMin());
        }
        if ((range & NAT_RANGE_IPV4_MAX) != 0) {
            b.putInt((int) n.ipMax());
        }
        if ((range & NAT_RANGE_PROTO_MIN) != 0) {
            b.putShort((short) n.portMin());
        }
        if ((range & NAT_RANGE_PROTO_MAX) != 0) {
            b.putShort((short) n.portMax());
        }
        return b.array();
    }

    private static ByteBuffer vendorHeader(int length, int subtype) {
        ByteBuffer b = ByteBuffer.allocate(length);
        b.putShort((short) VENDOR_ACTION).putShort((short) length).putInt(NX_VENDOR_ID).putShort((short) subtype);
        return b;
    }

    /** Reads the vendor action at {@code at} ({@code len} bytes). */
    static Action readAction(ByteBuffer b, int at, int len) {
        if (len < 10 || b.getInt(at + 4) != NX_VENDOR_ID) {
            throw new IllegalArgumentException("vendor action of vendor 0x" + Integer.toHexString(b.getInt(at + 4))
                    + " not supported by Flowkeeper");
        }
        int subtype = Short.toUnsignedInt(b.getShort(at + 8));
        switch (subtype) {
            case SUBTYPE_CONJUNCTION -> {
                return new Action.Conjunction(Integer.toUnsignedLong(b.getInt(at + 12)),
                        Byte.toUnsignedInt(b.get(at + 10)) + 1, Byte.toUnsignedInt(b.get(at + 11)));
            }
            case SUBTYPE_CT -> {
                boolean commit = (b.getShort(at + 10) & CT_FLAG_COMMIT) != 0;
                int zoneSrc = b.getInt(at + 12);
                int zone = Short.toUnsignedInt(b.getShort(at + 16));
                MatchField zoneField = null;
                if (zoneSrc != 0) {
                    zoneField = zoneSrc >>> 16 == WireFlows.OXM_CLASS_BASIC ? WireFlows.field(zoneSrc >> 9 & 0x7f)
                            : null;
                    if (zoneField == null || zone != 15) {
                        throw new IllegalArgumentException("ct zone source 0x" + Integer.toHexString(zoneSrc)
                                + " not supported by Flowkeeper");
                    }
                    zone = 0;
                }
                int table = Byte.toUnsignedInt(b.get(at + 18));
                if (b.getShort(at + 22) != 0) {
                    throw new IllegalArgumentException("ct alg not supported by Flowkeeper");
                }
                Action.Nat nat = null;
                Long mark = null;
                int p = at + 24;
                while (p + 4 <= at + len) {
                    int type = Short.toUnsignedInt(b.getShort(p));
                    int l = Short.toUnsignedInt(b.getShort(p + 2));
                    if (l < 8 || p + l > at + len) {
                        throw new IllegalArgumentException("malformed action in ct (length " + l + ")");
                    }
                    if (type == VENDOR_ACTION && l >= 16 && b.getInt(p + 4) == NX_VENDOR_ID
                            && b.getShort(p + 8) == SUBTYPE_NAT) {
                        nat = readNat(b, p);
                    } else if (type == OFPAT_SET_FIELD && b.getInt(p + 4) == header(NXM_CLASS, 107, false, 4)) {
                        mark = Integer.toUnsignedLong(b.getInt(p + 8));
                    } else if (type == VENDOR_ACTION && l >= 16 && b.getInt(p + 4) == NX_VENDOR_ID
                            && b.getShort(p + 8) == SUBTYPE_REG_LOAD2
                            && b.getInt(p + 10) == header(NXM_CLASS, 107, false, 4)) {
                        // OVS may hand a set_field back as its own "load" form: header at 10, value at 14
                        mark = Integer.toUnsignedLong(b.getInt(p + 14));
                    } else {
                        throw new IllegalArgumentException("action type " + type + " inside ct not supported");
                    }
                    p += l;
                }
                return new Action.Ct(commit, zone, zoneField, table, nat, mark);
            }
            default -> throw new IllegalArgumentException("Nicira action subtype " + subtype
                    + " not supported by Flowkeeper");
        }
    }

    private static Action.Nat readNat(ByteBuffer b, int at) {
        int flags = Short.toUnsignedInt(b.getShort(at + 12));
        int range = Short.toUnsignedInt(b.getShort(at + 14));
        int p = at + 16;
        long ipMin = 0;
        long ipMax = 0;
        int portMin = 0;
        int portMax = 0;
        if ((range & NAT_RANGE_IPV4_MIN) != 0) {
            ipMin = Integer.toUnsignedLong(b.getInt(p));
            p += 4;
        }
        ipMax = ipMin;
        if ((range & NAT_RANGE_IPV4_MAX) != 0) {
            ipMax = Integer.toUnsignedLong(b.getInt(p));
            p += 4;
        }
        if ((range & NAT_RANGE_PROTO_MIN) != 0) {
            portMin = Short.toUnsignedInt(b.getShort(p));
            p += 2;
        }
        portMax = portMin;
        if ((range & NAT_RANGE_PROTO_MAX) != 0) {
            portMax = Short.toUnsignedInt(b.getShort(p));
        }
        if ((range & ~(NAT_RANGE_IPV4_MIN | NAT_RANGE_IPV4_MAX | NAT_RANGE_PROTO_MIN | NAT_RANGE_PROTO_MAX)) != 0) {
            throw new IllegalArgumentException("IPv6 NAT ranges not supported by Flowkeeper");
        }
        Action.Nat.Kind kind = (flags & NAT_FLAG_SRC) != 0 ? Action.Nat.Kind.SRC
                : (flags & NAT_FLAG_DST) != 0 ? Action.Nat.Kind.DST : Action.Nat.Kind.EXISTING;
        return new Action.Nat(kind, ipMin, ipMax, portMin, portMax);
    }

    private static void putNumber(ByteBuffer b, long v, int bytes) {
        for (int i = bytes - 1; i >= 0; i--) {
            b.put((byte) (v >>> (8 * i)));
        }
    }
}
