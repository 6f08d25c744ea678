package io.flowkeeper.api.flow;

import io.flowkeeper.api.flow.Flow;

/**
 * One change inside a bundle: add a flow, modify it (strict: same table, priority, match), delete it, or delete
 * by cookie in one table (for a flow the model cannot read back, so cannot name by its match).
 */
public record FlowChange(Kind kind, Flow flow) {
    public enum Kind { ADD, MODIFY, DELETE, DELETE_BY_COOKIE }

    /** Every flow of {@code tableId} whose cookie is exactly {@code cookie}. */
    public static FlowChange deleteByCookie(int tableId, long cookie) {
        return new FlowChange(Kind.DELETE_BY_COOKIE,
                Flow.of(tableId, 0, io.flowkeeper.api.flow.Match.ALL, io.flowkeeper.api.flow.Instructions.DROP)
                        .withCookie(cookie));
    }

    public static FlowChange add(Flow f) {
        return new FlowChange(Kind.ADD, f);
    }

    public static FlowChange modify(Flow f) {
        return new FlowChange(Kind.MODIFY, f);
    }

    public static FlowChange delete(Flow f) {
        return new FlowChange(Kind.DELETE, f);
    }
}
