/**
 * The data plane of tenant networks, as pure functions of the model: {@link
 * io.flowkeeper.network.dataplane.FlowCompiler} turns one host's view of the model ({@link
 * io.flowkeeper.network.dataplane.HostView}, built by {@link io.flowkeeper.network.dataplane.HostViews}) into its
 * integration bridge's flow set along the {@link io.flowkeeper.network.dataplane.Pipeline}; {@link
 * io.flowkeeper.network.dataplane.DhcpPacket} and {@link io.flowkeeper.network.dataplane.DhcpServer} answer DHCP from
 * the model. No I/O here: the switch's master feeds these functions and programs what they return.
 */
package io.flowkeeper.network.dataplane;
