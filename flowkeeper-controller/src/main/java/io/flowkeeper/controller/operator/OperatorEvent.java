package io.flowkeeper.controller.operator;

import java.util.Map;

/**
 * One entry of the timeline.
 *
 * @param seq increasing per node, so a client that reconnects asks for what came after the last it saw
 * @param epochMillis when this node saw it happen
 * @param kind {@code leader-change}, {@code mastership-move}, {@code master-granted}, {@code reconcile},
 *     {@code restore}, {@code gateway-failover}, {@code gateway-active}, {@code node-gone}, {@code node-back}, {@code lease-lapsed} or {@code lease-held}
 * @param text one line for people
 * @param fields the same facts for programs (shard, switch, from, to, generation, millis, ...)
 */
public record OperatorEvent(long seq, long epochMillis, String kind, String text, Map<String, Object> fields) {
    public OperatorEvent {
        fields = Map.copyOf(fields);
    }
}
