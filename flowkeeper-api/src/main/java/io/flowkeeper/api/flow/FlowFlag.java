package io.flowkeeper.api.flow;

/** OpenFlow flow-mod flags, with their {@code ovs-ofctl} keywords. */
public enum FlowFlag {
    SEND_FLOW_REM("send_flow_rem"),
    CHECK_OVERLAP("check_overlap"),
    RESET_COUNTS("reset_counts"),
    NO_PACKET_COUNTS("no_packet_counts"),
    NO_BYTE_COUNTS("no_byte_counts");

    private final String keyword;

    FlowFlag(String keyword) {
        this.keyword = keyword;
    }

    public String keyword() {
        return keyword;
    }

    public static FlowFlag byKeyword(String keyword) {
        for (FlowFlag f : values()) {
            if (f.keyword.equals(keyword)) {
                return f;
            }
        }
        return null;
    }
}
