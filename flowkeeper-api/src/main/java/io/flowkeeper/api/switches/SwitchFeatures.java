package io.flowkeeper.api.switches;

import java.util.Set;

/**
 * What the switch said of itself at the handshake (its FEATURES_REPLY).
 *
 * @param tables number of flow tables
 * @param buffers packets the switch can buffer for the controller
 * @param capabilities OpenFlow's names of its capabilities (FLOW_STATS, PORT_STATS, ...)
 */
public record SwitchFeatures(int tables, long buffers, Set<String> capabilities) {
    public SwitchFeatures {
        capabilities = Set.copyOf(capabilities);
    }
}
