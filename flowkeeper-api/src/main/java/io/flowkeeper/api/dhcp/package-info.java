/**
 * DHCP for IPv4 as pure functions, shared by the two places that answer it: the switch's master (packet-in) and the
 * host agent (its own OpenFlow connection to the integration bridge, so renewals go on with every controller down).
 * {@link io.flowkeeper.api.dhcp.DhcpBinding} is what one port's answers say, computed from the model by the network
 * module; {@link io.flowkeeper.api.dhcp.DhcpResponder} turns a request and a binding into the reply, so both places
 * answer byte for byte the same; {@link io.flowkeeper.api.dhcp.DhcpPacket} is the wire format.
 */
package io.flowkeeper.api.dhcp;
