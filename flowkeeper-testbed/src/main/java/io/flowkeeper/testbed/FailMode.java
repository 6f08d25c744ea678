package io.flowkeeper.testbed;

/** What a bridge does while it has no controller: OVS's {@code fail_mode}. */
public enum FailMode {
    /** Keep the flow table as it is and forward only by it (what an SDN-managed bridge wants). */
    SECURE,
    /** Fall back to a learning switch ({@code NORMAL}) when no controller is connected. */
    STANDALONE;

    String ovsName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
