/**
 * The host agent's OpenFlow 1.4 session with a bridge's management socket ({@code <rundir>/<bridge>.mgmt}, always
 * present, no controller needed): restore a flow table in one bundle (the shared
 * {@link io.flowkeeper.openflow.wire.BundleWriter}), watch every flow change through the flow monitor, count
 * flows. A blocking Java Unix-domain socket (Netty 4.1 has no JDK Unix-socket transport): one reader thread,
 * writers serialized; the wire itself is {@code io.flowkeeper.openflow.wire}'s.
 */
package io.flowkeeper.openflow.unix;
