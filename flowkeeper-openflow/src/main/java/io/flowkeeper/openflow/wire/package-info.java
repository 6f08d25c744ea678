/**
 * The hand-written OpenFlow 1.4 wire codec both sessions share (the controller's TCP session and the host agent's
 * Unix-socket session): message framing and builders ({@code OfWire}), the one bundle algorithm
 * ({@link io.flowkeeper.openflow.wire.BundleWriter}, over a small transport seam each session implements), the flow
 * monitor ({@code FlowMonitorWire}, {@code FlowUpdate}: Loxi 3.6 has none), the one wire-to-model reader of flow
 * statistics ({@code WireFlows}), and ovs-ofctl's text of stored FLOW_MODs ({@code OfpParseText}).
 *
 * <p>Written without Loxi on purpose: the agent's hot paths (journaling monitor events, replaying 200,000 stored
 * FLOW_MODs into a bundle) are byte copies that must not parse and re-encode every flow. The model-to-wire
 * direction of the TCP session stays Loxi's ({@code LoxiFlows}).
 */
package io.flowkeeper.openflow.wire;
