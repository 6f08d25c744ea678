/**
 * The neutral flow model: immutable {@link io.flowkeeper.api.flow.Flow}s (table, priority, match, instructions,
 * cookie, timeouts, flags) that the API, the network service and the reconciler use without knowing any OpenFlow
 * library; the OpenFlow module alone translates them to wire messages. {@link io.flowkeeper.api.flow.OfctlText}
 * reads and writes them in {@code ovs-ofctl} syntax, so operators and tests speak the same language as OVS.
 *
 * <p>Identity: two flows are "the same flow" in a switch when table, priority and match are equal
 * ({@link io.flowkeeper.api.flow.FlowId}); the rest (instructions, cookie, timeouts, flags) is what a modification
 * changes.
 */
package io.flowkeeper.api.flow;
