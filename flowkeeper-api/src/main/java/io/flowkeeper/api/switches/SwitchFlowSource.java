package io.flowkeeper.api.switches;

import io.flowkeeper.api.flow.Flow;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * Flows a service computes for a switch from its own model (the tenant data plane compiles them from the network
 * model), programmed by the switch's master beside the desired flows written through the API: reconciled with them
 * when the master syncs, and each change applied as one bundle. Such flows are never stored; every master computes
 * the same ones. Their flow ids contain a {@code /}, which API flow ids cannot, so the two never clash.
 */
public interface SwitchFlowSource {
    /** No flows for any switch. */
    SwitchFlowSource NONE = new SwitchFlowSource() {
        @Override
        public Map<String, Flow> flows(Switch sw) {
            return Map.of();
        }

        @Override
        public void onChange(LongConsumer listener) {
        }
    };

    /**
     * The flows wanted on {@code sw} now, by flow id. Called on the switch's thread while this node is its master;
     * the same flow (table, priority, match) keeps its id from one call to the next. A source whose answers change
     * little of many flows answers {@link FlowParts}, sharing its unchanged parts with the last answer: the master
     * then compares only the parts that differ.
     *
     * @throws RuntimeException when the source cannot tell now (its model not read yet): the master then changes
     *     nothing and asks again, since an empty answer would delete the flows the switch holds
     */
    Map<String, Flow> flows(Switch sw);

    /**
     * The switch now holds {@code flows} (the last result of {@link #flows}, less any flow it refused; a view, valid
     * during the call only). Called on the switch's thread after each successful programming: hand slow work (store
     * writes) to another thread.
     */
    default void installed(Switch sw, Map<String, Flow> flows) {
    }

    /**
     * Whether {@code sw}'s host restores its flow table from a snapshot of its own when its switch comes back empty
     * (the host agent's snapshot of the bridge holds flows, and the agent is alive: it beat within the agent-down
     * time). A master that finds such a switch empty as it connects waits for that restore before its first
     * reconcile, which then finds the restored table rather than writing every flow itself meanwhile; it asks again
     * while it waits, and stops waiting once the answer is no (the agent died). Called on the switch's thread, every
     * few milliseconds during such a wait: must be cheap.
     */
    default boolean restoresFromSnapshot(Switch sw) {
        return false;
    }

    /**
     * Registers {@code listener}, called (on any thread) with a datapath id when that switch's flows may have
     * changed, or with -1 when any switch's may have.
     */
    void onChange(LongConsumer listener);
}
