package io.flowkeeper.api.flow.reconcile;

import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.FlowChange;
import java.util.ArrayList;
import java.util.List;

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
}
