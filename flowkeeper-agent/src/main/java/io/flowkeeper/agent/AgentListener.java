package io.flowkeeper.agent;

import java.time.Duration;

/** Hears the agent's state changes (for the CLI's output, tests and benchmarks). All methods are optional. */
public interface AgentListener {
    /**
     * A snapshot was installed into a bridge.
     *
     * @param flows flows in the committed bundle
     * @param bundle from the bundle's OPEN to its commit reply
     * @param sinceSwitchStart from {@code ovs-vswitchd}'s start (its pidfile's time) to the commit, when known
     */
    default void restored(String bridge, int flows, Duration bundle, Duration sinceSwitchStart) {
    }

    /** The snapshot now mirrors the switch (after the flow monitor's initial dump) and journaling runs. */
    default void journaling(String bridge, int flows) {
    }

    /** {@code changes} flow changes (adds, modifications, deletions) were written to the snapshot journal. */
    default void journaled(String bridge, int changes) {
    }

    /** The switch went away ({@code ovs-vswitchd} stopped or restarted). */
    default void disconnected(String bridge) {
    }

    /** The snapshot cannot be written (full disk, I/O error); the last good snapshot is kept. */
    default void degraded(String bridge, String reason) {
    }

    /** {@code flow-restore-wait} was cleared: OVS forwards again. */
    default void forwardingReleased() {
    }

    /** The host is registered with the cluster (the first time, and again after the cluster had forgotten it). */
    default void registered(String host) {
    }

    /** A batch of plugs and unplugs was accepted; {@code errors} names the ports the cluster refused, and why. */
    default void reported(int plugged, int unplugged, java.util.List<String> errors) {
    }

    /** Tunnel ports were added (name → remote IP) or removed. */
    default void tunnelsChanged(java.util.Map<String, String> added, java.util.List<String> removed) {
    }

    /** A call to the cluster failed: no node answered, or one refused it (the agent retries; OVS forwards on). */
    default void clusterCallFailed(String reason) {
    }

    /**
     * This host's state for an HA router's gateway changed ({@code active}, {@code standby}, {@code fault}, or
     * {@code removed} when the router is no longer placed here), under the cluster's decision {@code generation}.
     */
    default void gatewayState(String router, String from, String to, long generation, String why) {
    }

    /** A notify hook ran for a transition: its exit code, or -1 when it was killed at the timeout or failed to start. */
    default void gatewayHook(String router, String state, String script, int exitCode) {
    }

    /**
     * The agent's own DHCP server on {@code bridge} serves {@code bindings} ports (said when its session with the
     * bridge starts and when the number changes).
     */
    default void dhcpServing(String bridge, int bindings) {
    }

    /** A DHCP request reached the agent: {@code answered} (or not: not a port of this host, RELEASE, malformed). */
    default void dhcpRequest(boolean answered) {
    }
}
