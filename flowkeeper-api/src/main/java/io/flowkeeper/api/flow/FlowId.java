package io.flowkeeper.api.flow;

/** What makes two flows the same flow in a switch: table, priority and match (OpenFlow's strict identity). */
public record FlowId(int tableId, int priority, Match match) {
}
