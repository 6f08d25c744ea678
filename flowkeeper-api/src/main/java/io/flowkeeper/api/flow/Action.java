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
}
