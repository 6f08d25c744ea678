/**
 * The OpenFlow 1.3/1.4 southbound, the implementation of the neutral switch services
 * ({@code io.flowkeeper.api.switches}): switches connect to {@link io.flowkeeper.openflow.OpenFlowServer} (Netty,
 * TCP or TLS; it is the {@code SwitchService} and {@code PacketService}), go through an explicit handshake
 * ({@link io.flowkeeper.openflow.HandshakeState}), and are then each a
 * {@link io.flowkeeper.openflow.SwitchConnection} (the {@code Switch}), made of focused parts over one
 * request/reply session ({@code SwitchSession}): roles with generation ids ({@code RoleHandshake}: writes held
 * until the ROLE_REPLY, role status tracked), the programmer ({@code OpenFlowProgrammer}: pipelined installs,
 * atomic bundles through the shared {@code wire.BundleWriter}, reconciliation, deletes by cookie), statistics
 * ({@code StatisticsReader}), the flow monitor ({@code FlowMonitor}), and event fan-out ({@code SwitchEvents}).
 * Loxi is used here and only here ({@code LoxiFlows} translates the neutral model).
 */
package io.flowkeeper.openflow;
