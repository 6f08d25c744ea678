package io.flowkeeper.testbed;

import java.util.List;
import java.util.Objects;

/**
 * What bridge to create on an {@link OvsHost}: name, OpenFlow versions, fail mode and controller targets. Always
 * the userspace datapath ({@code datapath_type=netdev}) and in-band control disabled (controllers are reached
 * over the host's management link, never through the bridge itself).
 */
public record BridgeSpec(String name, List<String> protocols, FailMode failMode, List<String> controllers) {
    public BridgeSpec {
        Objects.requireNonNull(name, "name");
        if (!name.matches("[a-z][a-z0-9-]{0,14}")) {
            throw new IllegalArgumentException("bridge name must be 1-15 chars of [a-z0-9-]: " + name);
        }
        protocols = List.copyOf(protocols);
        controllers = List.copyOf(controllers);
        Objects.requireNonNull(failMode, "failMode");
    }

    /** A bridge speaking OpenFlow 1.3 and 1.4, fail mode secure, no controller. */
    public static BridgeSpec named(String name) {
        return new BridgeSpec(name, List.of("OpenFlow13", "OpenFlow14"), FailMode.SECURE, List.of());
    }

    public BridgeSpec protocols(String... versions) {
        return new BridgeSpec(name, List.of(versions), failMode, controllers);
    }

    public BridgeSpec failMode(FailMode mode) {
        return new BridgeSpec(name, protocols, mode, controllers);
    }

    /** Controller targets in OVS syntax, e.g. {@code tcp:198.18.7.254:6653} or {@code ssl:...}. */
    public BridgeSpec controllers(String... targets) {
        return new BridgeSpec(name, protocols, failMode, List.of(targets));
    }
}
