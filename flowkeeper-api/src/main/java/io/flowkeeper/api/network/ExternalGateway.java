package io.flowkeeper.api.network;

import java.util.List;

/** A router's way out: its address(es) on an external network and whether it source-NATs. */
public record ExternalGateway(String networkId, boolean enableSnat, List<FixedIp> externalFixedIps) {
    public ExternalGateway {
        externalFixedIps = List.copyOf(externalFixedIps);
    }
}
