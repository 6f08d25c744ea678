package io.flowkeeper.api.network;

/**
 * An address on an external network, optionally mapped (1:1 NAT) to a fixed IP of a port.
 *
 * @param portId null when not associated; then {@code fixedIpAddress} and {@code routerId} are null too
 */
public record FloatingIp(String id, String projectId, String floatingNetworkId, String floatingIpAddress,
                         String portId, String fixedIpAddress, String routerId, long revision) {}
