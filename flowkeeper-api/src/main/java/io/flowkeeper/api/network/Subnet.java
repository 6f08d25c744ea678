package io.flowkeeper.api.network;

import java.util.List;

/**
 * An IPv4 subnet of a network.
 *
 * @param gatewayIp null when the subnet has no gateway
 * @param allocationPools where addresses are allocated from when a port does not ask for one
 */
public record Subnet(String id, String name, String projectId, String networkId, String cidr, String gatewayIp,
                     List<IpRange> allocationPools, List<String> dnsNameservers, List<HostRoute> hostRoutes,
                     boolean enableDhcp, long revision) {
    public Subnet {
        allocationPools = List.copyOf(allocationPools);
        dnsNameservers = List.copyOf(dnsNameservers);
        hostRoutes = List.copyOf(hostRoutes);
    }
}
