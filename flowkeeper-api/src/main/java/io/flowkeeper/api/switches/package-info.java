/**
 * Neutral switch services: what code above the southbound (mastership, the REST routes, the coming network
 * service) may know about switches. {@link io.flowkeeper.api.switches.SwitchService} lists the connected
 * switches and announces them; each {@link io.flowkeeper.api.switches.Switch} carries its identity, ports,
 * features, negotiated version and role (requested with a generation id), and is a
 * {@link io.flowkeeper.api.switches.FlowProgrammer} (atomic bundles of {@code FlowChange}s, dumps, deletes by
 * cookie, reconciliation) and a {@link io.flowkeeper.api.switches.SwitchStatistics} source;
 * {@link io.flowkeeper.api.switches.PacketService} hands packet-ins to processors by priority and sends
 * packet-outs. Failures are {@link io.flowkeeper.api.switches.SwitchException}s, with the two outcomes a master
 * must act on typed: {@code StaleGeneration} and {@code NotMaster}.
 *
 * <p>No Netty, Loxi or Ratis type appears here: the OpenFlow module implements these, and the in-memory double
 * in {@code io.flowkeeper.api.switches.testing} implements them for fast tests.
 */
package io.flowkeeper.api.switches;
