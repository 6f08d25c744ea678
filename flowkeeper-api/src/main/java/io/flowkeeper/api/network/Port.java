package io.flowkeeper.api.network;

import java.util.List;

/**
 * An attachment point on a network: a VM's interface, a router's interface or gateway, a DHCP server.
 *
 * @param deviceOwner who uses it ({@code compute:nova}, {@code network:router_interface}, ...), may be empty
 * @param hostId the host it is bound to ({@code binding:host_id}), may be empty
 */
public record Port(String id, String name, String projectId, String networkId, String macAddress,
                   List<FixedIp> fixedIps, String deviceId, String deviceOwner, String hostId, String vifType,
                   boolean adminStateUp, List<String> securityGroups, List<AddressPair> allowedAddressPairs,
                   boolean portSecurityEnabled, long revision) {
    public Port {
        fixedIps = List.copyOf(fixedIps);
        securityGroups = List.copyOf(securityGroups);
        allowedAddressPairs = List.copyOf(allowedAddressPairs);
    }
}
