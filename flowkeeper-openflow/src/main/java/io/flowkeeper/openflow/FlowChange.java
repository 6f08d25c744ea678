package io.flowkeeper.openflow;

import io.flowkeeper.api.flow.Flow;

/** One change inside a bundle: add a flow, modify it (strict: same table, priority, match), or delete it. */
public record FlowChange(Kind kind, Flow flow) {
    public enum Kind { ADD, MODIFY, DELETE }

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
