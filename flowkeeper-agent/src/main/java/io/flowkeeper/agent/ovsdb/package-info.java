/**
 * A small OVSDB client (RFC 7047 JSON-RPC over the {@code db.sock} Unix socket): the agent's view of the host's
 * Open vSwitch configuration. It sets and clears {@code other_config:flow-restore-wait} and reads the VM ports
 * ({@code external_ids:iface-id}) without shelling out to {@code ovs-vsctl}.
 */
package io.flowkeeper.agent.ovsdb;
