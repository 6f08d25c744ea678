/**
 * The OpenFlow 1.3/1.4 southbound: switches connect to {@link io.flowkeeper.openflow.OpenFlowServer} (Netty,
 * TCP or TLS), go through an explicit handshake ({@link io.flowkeeper.openflow.HandshakeState}), and are then
 * driven through a {@link io.flowkeeper.openflow.SwitchConnection}: roles with generation ids (a separate
 * handshake, {@code RoleHandshake}: writes held until the ROLE_REPLY, role status tracked), pipelined flow
 * batches, atomic bundles, dumps, deletes by cookie, statistics, packet-in/out. Loxi is used here and only here
 * ({@code LoxiFlows} translates the neutral model); the reconciler's diff lives in {@code reconcile}, pure.
 */
package io.flowkeeper.openflow;
