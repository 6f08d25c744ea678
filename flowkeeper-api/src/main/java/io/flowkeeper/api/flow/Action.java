package io.flowkeeper.api.flow;

/** One OpenFlow action of an apply-actions instruction. */
public sealed interface Action {
    /** Reserved port numbers (OpenFlow 1.3 {@code ofp_port_no}). */
    long PORT_IN_PORT = 0xfffffff8L;
    long PORT_TABLE = 0xfffffff9L;
    long PORT_NORMAL = 0xfffffffaL;
    long PORT_FLOOD = 0xfffffffbL;
    long PORT_ALL = 0xfffffffcL;
    long PORT_CONTROLLER = 0xfffffffdL;
    long PORT_LOCAL = 0xfffffffeL;

    /** Send the packet out of a port (or a reserved port: IN_PORT, NORMAL, CONTROLLER, ...). */
    record Output(long port, int maxLength) implements Action {
        public static Output to(long port) {
            return new Output(port, port == PORT_CONTROLLER ? 0xffff : 0);
        }
    }

    /** Rewrite a header field. */
    record SetField(MatchField field, long value) implements Action {
        public SetField {
            if (field.setFieldName() == null) {
                throw new IllegalArgumentException(field.ofctlName() + " cannot be set");
            }
        }
    }

    /** Decrement the IP TTL (dropping the packet when it reaches zero). */
    record DecTtl() implements Action {
    }

    /** Push a VLAN header with this ethertype (0x8100). */
    record PushVlan(int ethertype) implements Action {
    }

    /** Pop the outer VLAN header. */
    record PopVlan() implements Action {
    }

    /** Process the packet through a group. */
    record Group(long groupId) implements Action {
    }

    /**
     * Sends the packet through the connection tracker ({@code ct(...)}, Nicira extension): looks it up in a zone,
     * optionally commits the connection (with a {@code ct_mark}) and NATs it, then either continues here (the
     * packet's {@code ct_*} fields are set only for the recirculated copy) or recirculates a copy to {@code table},
     * where {@link MatchField#CT_STATE} and the other ct fields can be matched.
     *
     * @param zone the zone as a constant (0..65535), used when {@code zoneField} is null
     * @param zoneField the zone from the low 16 bits of this field (per packet), or null for {@code zone}
     * @param table the table the packet is recirculated to, or {@link #CT_NO_TABLE}
     * @param nat the NAT to apply, or null for none
     * @param mark the {@code ct_mark} written on commit ({@code exec(set_field:..->ct_mark)}), or null
     */
    record Ct(boolean commit, int zone, MatchField zoneField, int table, Nat nat, Long mark) implements Action {
        public Ct {
            if (zone < 0 || zone > 0xffff) {
                throw new IllegalArgumentException("ct zone must be 0..65535: " + zone);
            }
            if (zoneField != null && (zone != 0 || zoneField.bits() < 16)) {
                throw new IllegalArgumentException("ct zone is a constant or the low 16 bits of a field, not both");
            }
            if (table != CT_NO_TABLE && (table < 0 || table > 254)) {
                throw new IllegalArgumentException("ct table must be 0..254: " + table);
            }
            if (mark != null && (!commit || mark < 0 || mark > 0xffffffffL)) {
                throw new IllegalArgumentException("ct_mark is a 32-bit value written on commit only");
            }
        }

        /** Looks the packet up in {@code zone} and recirculates it to {@code table}. */
        public static Ct lookup(int zone, int table) {
            return new Ct(false, zone, null, table, null, null);
        }

        /** Commits the connection in {@code zone} with {@code mark} (null: none), continuing in this table. */
        public static Ct commit(int zone, Long mark) {
            return new Ct(true, zone, null, CT_NO_TABLE, null, mark);
        }
    }

    /** {@link Ct}'s {@code table} when the packet is not recirculated. */
    int CT_NO_TABLE = 255;

    /**
     * NAT inside {@link Ct}: plain {@code nat} (an existing connection's translation), {@code nat(src=...)} or
     * {@code nat(dst=...)} with an address range and optionally a port range.
     *
     * @param kind which translation
     * @param ipMin first address (IPv4 as 32 bits), 0 for none (plain nat only)
     * @param ipMax last address, equal to {@code ipMin} for one
     * @param portMin first port, 0 for none
     * @param portMax last port, equal to {@code portMin} for one
     */
    record Nat(Kind kind, long ipMin, long ipMax, int portMin, int portMax) {
        /** Which translation. */
        public enum Kind { EXISTING, SRC, DST }

        public Nat {
            if ((kind == Kind.EXISTING) != (ipMin == 0) || Long.compareUnsigned(ipMax, ipMin) < 0
                    || ipMax > 0xffffffffL || portMin < 0 || portMax < portMin || portMax > 0xffff
                    || (portMin != 0 && ipMin == 0)) {
                throw new IllegalArgumentException("bad NAT range: " + kind + " " + ipMin + "-" + ipMax + ":"
                        + portMin + "-" + portMax);
            }
        }

        /** Plain {@code nat}: applies the translation an existing connection was committed with. */
        public static Nat existing() {
            return new Nat(Kind.EXISTING, 0, 0, 0, 0);
        }
    }

    /**
     * One clause of a conjunctive match ({@code conjunction(id, clause/nClauses)}, Nicira extension): a packet that
     * matches a flow of every clause 1..nClauses of {@code id} (at the same priority) matches the flow with
     * {@code conj_id=id}. Cross products of address sets and port sets cost the sum of their sizes, not the product.
     *
     * @param clause 1-based, as {@code ovs-ofctl} writes it
     */
    record Conjunction(long id, int clause, int nClauses) implements Action {
        public Conjunction {
            if (id < 0 || id > 0xffffffffL || nClauses < 2 || nClauses > 64 || clause < 1 || clause > nClauses) {
                throw new IllegalArgumentException("bad conjunction(" + id + "," + clause + "/" + nClauses + ")");
            }
        }
    }
}
