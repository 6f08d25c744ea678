package io.flowkeeper.agent.cluster;

import io.flowkeeper.api.gateway.HaState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * A gateway host's settings ({@code flowkeeper agent --gateway}).
 *
 * @param stateDir where {@code ha_confs/<router id>/state} is written, as Neutron's L3 agent does
 * @param hooks the script to run on each transition (to active, standby, fault), with the router id and the state
 *     as arguments; a state may have none
 * @param hookTimeout a hook still running after this is killed (its exit code is logged as -1)
 * @param renew how often the gateway lease is renewed; several renewals must fit in the cluster's hold time
 * @param ofctl the {@code ovs-ofctl} program that writes the responder flows on the provider bridges
 */
public record GatewaySettings(Path stateDir, Map<HaState, Path> hooks, Duration hookTimeout, Duration renew,
                              String ofctl) {
    /** Long enough for a script that calls a local API; a hung one must not pile up behind each transition. */
    public static final Duration DEFAULT_HOOK_TIMEOUT = Duration.ofSeconds(10);
    /** The cluster's advice ({@code GatewayRegistry.RENEW}): four renewals per 900 ms hold. */
    public static final Duration DEFAULT_RENEW = Duration.ofMillis(200);

    public GatewaySettings {
        Objects.requireNonNull(stateDir, "stateDir");
        hooks = hooks.isEmpty() ? Map.of() : Map.copyOf(new EnumMap<>(hooks));
        if (hookTimeout.isNegative() || hookTimeout.isZero()) {
            throw new IllegalArgumentException("--notify-timeout-ms must be positive");
        }
        if (renew.toMillis() < 20 || renew.toMillis() > 400) {
            throw new IllegalArgumentException("the gateway lease renewal must be 20..400 ms: the cluster holds a"
                    + " lease 900 ms after a renewal was sent");
        }
    }
}
