package io.flowkeeper.api.flow.reconcile;

import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.FlowChange;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What to change so the switch holds the desired flows.
 *
 * @param add desired flows the switch lacks
 * @param modify desired flows whose instructions differ (MODIFY_STRICT keeps their counters)
 * @param replace desired flows whose cookie, timeouts or flags differ (a modify cannot change those: delete and
 *     add again, atomically inside the bundle)
 * @param delete flows to remove: stale ones with our cookie, and foreign ones only when configured
 */
public record ReconcilePlan(List<Flow> add, List<Flow> modify, List<Flow> replace, List<Flow> delete) {
    public ReconcilePlan {
        add = List.copyOf(add);
        modify = List.copyOf(modify);
        replace = List.copyOf(replace);
        delete = List.copyOf(delete);
    }

    public static Builder builder() {
        return new Builder();
    }

    public boolean isEmpty() {
        return add.isEmpty() && modify.isEmpty() && replace.isEmpty() && delete.isEmpty();
    }

    public int size() {
        return add.size() + modify.size() + 2 * replace.size() + delete.size();
    }

    /** The bundle's messages: deletes first (a replaced flow is deleted before it is added back), then the rest. */
    public List<FlowChange> changes() {
        List<FlowChange> out = new ArrayList<>(size());
        delete.forEach(f -> out.add(FlowChange.delete(f)));
        replace.forEach(f -> out.add(FlowChange.delete(f)));
        modify.forEach(f -> out.add(FlowChange.modify(f)));
        replace.forEach(f -> out.add(FlowChange.add(f)));
        add.forEach(f -> out.add(FlowChange.add(f)));
        return out;
    }

    @Override
    public String toString() {
        return add.size() + " to add, " + modify.size() + " to modify, " + replace.size() + " to replace, "
                + delete.size() + " to delete";
    }

    /**
     * Collects changes flow by flow. {@link #change} is the one place that decides how a flow the switch holds
     * becomes the wanted one: the full reconciler and a master's incremental updates both go through it.
     */
    public static final class Builder {
        private final List<Flow> add = new ArrayList<>();
        private final List<Flow> modify = new ArrayList<>();
        private final List<Flow> replace = new ArrayList<>();
        private final List<Flow> delete = new ArrayList<>();

        /**
         * Plans the step from {@code installed} (null: the switch holds none) to {@code wanted} (null: remove it).
         * Same identity and only the instructions differ: a strict modify, which keeps the counters. Same identity
         * but cookie, timeouts or flags differ: replace, since a strict modify cannot change those. Another identity:
         * the old flow deleted, the new one added (deletes run first in {@link #changes}, so two flows trading
         * identities in one batch do not delete each other).
         */
        public Builder change(Flow installed, Flow wanted) {
            if (Objects.equals(installed, wanted)) {
                return this;
            }
            if (installed == null) {
                add.add(wanted);
            } else if (wanted == null) {
                delete.add(installed);
            } else if (!installed.id().equals(wanted.id())) {
                delete.add(installed);
                add.add(wanted);
            } else if (installed.cookie() == wanted.cookie() && installed.idleTimeout() == wanted.idleTimeout()
                    && installed.hardTimeout() == wanted.hardTimeout()
                    && Objects.equals(installed.flags(), wanted.flags())) {
                modify.add(wanted);
            } else {
                replace.add(wanted);
            }
            return this;
        }

        public ReconcilePlan build() {
            return new ReconcilePlan(add, modify, replace, delete);
        }
    }
}
