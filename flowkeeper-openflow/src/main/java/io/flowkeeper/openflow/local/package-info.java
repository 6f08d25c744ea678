/**
 * The host agent's OpenFlow 1.4 session with a bridge's local management socket ({@code <rundir>/<bridge>.mgmt},
 * always present, no controller needed): restore a flow table in one bundle, watch every flow change through
 * the flow monitor, count flows.
 *
 * <p>Written on the wire by hand, without Loxi: Loxi 3.6 has no OpenFlow 1.4 flow monitor, and the agent's hot
 * paths (journaling monitor events, replaying 200,000 stored flow-mods into a bundle) are byte copies that must
 * not parse and re-encode every flow. The session is a blocking Java Unix-domain socket (Netty 4.1 has no JDK
 * Unix-socket transport): one reader thread, writers serialized.
 */
package io.flowkeeper.openflow.local;
