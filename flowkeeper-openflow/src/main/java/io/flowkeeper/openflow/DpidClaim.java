package io.flowkeeper.openflow;

/**
 * The rule for a connection that completes its handshake with a datapath id another connection of this server
 * already holds (issue 15, D4). Without it the newest connection silently took the switch over: any TCP client
 * naming a connected dpid became its master and received its flow table, and the real switch's connection was
 * orphaned. Now:
 * <ul>
 *   <li>with TLS, the certificate binds the dpid (checked before this rule): the newest certified connection wins
 *       and the older one is closed (a switch that reconnected before its old session timed out);</li>
 *   <li>without TLS, the newest connection wins only if it comes from the same IP address as the connection it
 *       replaces (OVS reconnecting after a restart or a lost TCP session); from any other address it is refused:
 *       closed before any listener hears of it, logged, and counted ({@link OpenFlowServer#refusedClaims()}). A
 *       switch whose address really changed is accepted once its old connection is gone (closed, or dead after
 *       the dead-peer timeout, 15 s by default).</li>
 * </ul>
 * Without TLS this stops a client elsewhere from hijacking a connected switch; it cannot stop one from claiming a
 * dpid that is not connected, or from the switch's own address: only TLS does (docs/security.md).
 */
enum DpidClaim {
    /** No other connection holds the dpid. */
    FIRST,
    /** The new connection replaces the one that held it, which is closed. */
    REPLACES_OLDER,
    /** The new connection is closed; the one holding the dpid keeps it. */
    REFUSED;

    /**
     * @param heldFrom the remote address of the connection holding the dpid ({@code /ip:port}), null if none
     * @param claimFrom the new connection's remote address
     * @param certified the new connection's certificate binds the dpid
     */
    static DpidClaim judge(String heldFrom, String claimFrom, boolean certified) {
        if (heldFrom == null) {
            return FIRST;
        }
        return certified || host(heldFrom).equals(host(claimFrom)) ? REPLACES_OLDER : REFUSED;
    }

    /** {@code /198.18.7.1:40000} to {@code 198.18.7.1}; {@code /[::1]:40000} to {@code [::1]}. */
    static String host(String address) {
        String a = address.startsWith("/") ? address.substring(1) : address;
        int colon = a.lastIndexOf(':');
        return colon < 0 ? a : a.substring(0, colon);
    }
}
