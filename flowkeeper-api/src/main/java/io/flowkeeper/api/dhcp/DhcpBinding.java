package io.flowkeeper.api.dhcp;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.flowkeeper.api.network.HostRoute;
import java.util.List;

/**
 * Everything one port's DHCP answers say, as the model fixed it when the port was created: its MAC and IPv4
 * address, the subnet's prefix, the address the answers come from, the gateway, DNS servers, host routes and the
 * network's MTU. Any node, and the port's own host agent, answer from it alike; none keeps lease state. Addresses
 * are dotted text (the agents' {@code /v1/network/hosts/{name}/dhcp} route carries it as JSON).
 *
 * @param gatewayIp the subnet's gateway, or null when it has none
 * @param mtu the network's MTU; below 68, none is offered
 */
public record DhcpBinding(@JsonProperty("port_id") String portId,
                          @JsonProperty("mac_address") String macAddress,
                          @JsonProperty("ip_address") String ipAddress,
                          @JsonProperty("prefix_length") int prefixLength,
                          @JsonProperty("server_ip") String serverIp,
                          @JsonProperty("gateway_ip") String gatewayIp,
                          @JsonProperty("dns_nameservers") List<String> dnsNameservers,
                          @JsonProperty("host_routes") List<HostRoute> hostRoutes,
                          @JsonProperty("mtu") int mtu) {
    public DhcpBinding {
        dnsNameservers = dnsNameservers == null ? List.of() : List.copyOf(dnsNameservers);
        hostRoutes = hostRoutes == null ? List.of() : List.copyOf(hostRoutes);
    }
}
