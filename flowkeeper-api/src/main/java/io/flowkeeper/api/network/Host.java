package io.flowkeeper.api.network;

import java.util.Map;

/**
 * A compute or network host as its agent registered it: where tunnels to it end and which bridges carry its
 * provider networks. Written by the agent (through the API) into the {@code network-config} shard; read by the flow
 * compiler and shown as a Neutron agent.
 *
 * @param name the host name, as in a port's {@code binding:host_id}
 * @param tunnelIp the underlay address VXLAN tunnels to this host end at
 * @param integrationBridge the bridge VM interfaces plug into ({@code br-int} by convention)
 * @param datapathId the integration bridge's datapath id, as the controller sees the switch
 * @param bridgeMappings physical network name → provider bridge on this host (VLAN and flat networks)
 * @param agentVersion the agent's version string
 * @param heartbeatMillis wall-clock time of the agent's last heartbeat (epoch ms); alive is judged against it
 * @param flowSnapshot whether the agent's snapshot of the integration bridge held flows at its last heartbeat: it
 *     then restores the bridge's table itself when {@code ovs-vswitchd} comes back empty (the switch's master waits
 *     for that restore before its first reconcile)
 */
public record Host(String name, String tunnelIp, String integrationBridge, long datapathId,
                   Map<String, String> bridgeMappings, String agentVersion, long heartbeatMillis,
                   boolean flowSnapshot) {
    /**
     * An agent whose last heartbeat is older than this is dead: three missed beats at the agent's default 10 s
     * interval, as Neutron's {@code agent_down_time} (75 s) is two and a half of its agents' 30 s
     * {@code report_interval}.
     */
    public static final java.time.Duration AGENT_DOWN_TIME = java.time.Duration.ofSeconds(30);

    public Host {
        bridgeMappings = Map.copyOf(bridgeMappings);
    }

    /** Whether an agent whose last heartbeat was at {@code heartbeatMillis} is alive at {@code nowMillis}. */
    public static boolean agentAlive(long heartbeatMillis, long nowMillis) {
        return nowMillis - heartbeatMillis <= AGENT_DOWN_TIME.toMillis();
    }

    /**
     * The name of the VXLAN port, on any host's integration bridge, whose tunnels end at {@code remoteTunnelIp}:
     * {@code vx-} and the CRC-32 of the address's text in 8 hex digits. The agent creates the port under this name
     * and the flow compiler finds its OpenFlow port number by it, so this is the one place the name is decided
     * (interface names are limited to 15 characters, hence a hash rather than the address).
     */
    public static String tunnelPortName(String remoteTunnelIp) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(remoteTunnelIp.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return String.format("vx-%08x", crc.getValue());
    }

    /** The integration bridge's end of the patch port to provider bridge {@code providerBridge}. */
    public static String providerPatchPortName(String providerBridge) {
        return "int-" + providerBridge;
    }
}
