/**
 * The data plane of tenant networks, as pure functions of the model: {@link
 * io.flowkeeper.network.dataplane.FlowCompiler} turns one host's view of the model ({@link
 * io.flowkeeper.network.dataplane.HostView}, built by {@link io.flowkeeper.network.dataplane.HostViews}) into its
 * integration bridge's flow set along the {@link io.flowkeeper.network.dataplane.Pipeline}; {@link
 * io.flowkeeper.network.dataplane.DhcpServer} gives a port's DHCP binding from the model (answered by {@link
 * io.flowkeeper.api.dhcp.DhcpResponder}, here and in the port's host agent). No I/O here: the switch's master feeds these functions and programs what they return.
 */
package io.flowkeeper.network.dataplane;
