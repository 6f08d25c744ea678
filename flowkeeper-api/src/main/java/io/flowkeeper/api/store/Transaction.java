package io.flowkeeper.api.store;

import java.util.ArrayList;
import java.util.List;

/**
 * An atomic, all-or-nothing change to one shard: every {@link Precondition} is checked against the committed state
 * and, only if all hold, every {@link Operation} is applied under one new shard revision. Transactions are one Raft
 * log entry, so a hundred keys cost about what one does.
 */
public record Transaction(List<Precondition> preconditions, List<Operation> operations) {
    public Transaction {
        preconditions = List.copyOf(preconditions);
        operations = List.copyOf(operations);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Collects preconditions and operations in order. */
    public static final class Builder {
        private final List<Precondition> preconditions = new ArrayList<>();
        private final List<Operation> operations = new ArrayList<>();

        public Builder require(Precondition p) {
            preconditions.add(p);
            return this;
        }

        public Builder put(String path, String json) {
            operations.add(Operation.put(path, json));
            return this;
        }

        public Builder delete(String path) {
            operations.add(Operation.delete(path));
            return this;
        }

        public Transaction build() {
            return new Transaction(preconditions, operations);
        }
    }
}
