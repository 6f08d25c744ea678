package io.flowkeeper.api.gateway;

/**
 * One host a router's gateway is placed on, with its priority (higher wins, as keepalived's {@code priority}).
 *
 * @param host the host name, as its agent registered it
 * @param priority 1..255; distinct within a placement, so preemption always has one answer
 */
public record GatewayHost(String host, int priority) {
    public GatewayHost {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("a gateway host needs a name");
        }
        if (priority < 1 || priority > 255) {
            throw new IllegalArgumentException("priority must be 1..255: " + priority);
        }
    }
}
