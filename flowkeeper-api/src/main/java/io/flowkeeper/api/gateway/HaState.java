package io.flowkeeper.api.gateway;

import java.util.Locale;

/**
 * A gateway host's state for one router, as keepalived and Neutron's L3 agent name them: the text is what the agent
 * writes to {@code <state-dir>/ha_confs/<router>/state} and what {@code l3-agents} shows as {@code ha_state}.
 */
public enum HaState {
    /** This host holds the router's external address and answers for it. */
    ACTIVE,
    /** Placed here, alive, and not active: ready to take over. */
    STANDBY,
    /** This host cannot know whether it may act (it lost the cluster): it answers for nothing. */
    FAULT;

    /** {@code active}, {@code standby} or {@code fault}. */
    public String text() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static HaState parse(String text) {
        return valueOf(text.toUpperCase(Locale.ROOT));
    }
}
