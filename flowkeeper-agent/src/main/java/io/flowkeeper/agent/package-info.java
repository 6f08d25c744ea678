/**
 * The host agent ({@code flowkeeper agent}), one per compute host beside Open vSwitch. For each configured bridge a
 * {@link io.flowkeeper.agent.BridgeJournal} keeps the flow snapshot equal to what the switch really holds (flow
 * monitor on the management socket) and, when {@code ovs-vswitchd} comes back with an empty table, restores the
 * snapshot in one bundle before anything else, with no controller involved. {@link io.flowkeeper.agent.HostAgent}
 * owns the bridges and clears {@code flow-restore-wait} once every bridge is restored.
 */
package io.flowkeeper.agent;
