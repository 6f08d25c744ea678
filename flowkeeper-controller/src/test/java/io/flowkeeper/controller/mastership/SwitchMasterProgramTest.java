package io.flowkeeper.controller.mastership;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowkeeper.api.flow.Action;
import io.flowkeeper.api.flow.BundleResult;
import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.FlowChange;
import io.flowkeeper.api.flow.FlowId;
import io.flowkeeper.api.flow.OfctlText;
import io.flowkeeper.api.flow.reconcile.ReconcilePlan;
import io.flowkeeper.api.flow.reconcile.ReconcileResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A master's incremental programming against a flow table that behaves like a switch with atomic bundles: it
 * refuses any flow sending to a group (it has none) and then discards the whole bundle. The master's view of what
 * the switch holds must stay true, and the refused flows must be named.
 */
class SwitchMasterProgramTest {
    private final Map<FlowId, Flow> table = new HashMap<>();
    private final Map<String, Flow> programmed = new HashMap<>();
    private final Map<String, SwitchMaster.Refusal> refused = new TreeMap<>();
    private int bundles;

    private BundleResult bundle(List<FlowChange> changes) {
        bundles++;
        Map<FlowId, Flow> after = new HashMap<>(table);
        List<BundleResult.Failure> failures = new ArrayList<>();
        for (int i = 0; i < changes.size(); i++) {
            FlowChange c = changes.get(i);
            Flow f = c.flow();
            if (c.kind() != FlowChange.Kind.DELETE
                    && f.instructions().applyActions().stream().anyMatch(a -> a instanceof Action.Group)) {
                failures.add(new BundleResult.Failure(i, "OFPBAC_BAD_OUT_GROUP for " + c.kind() + " " + f));
                continue;
            }
            switch (c.kind()) {
                case ADD -> after.put(f.id(), f);
                case MODIFY -> after.computeIfPresent(f.id(), (k, old) -> old.withInstructions(f.instructions()));
                case DELETE -> after.remove(f.id());
                default -> throw new AssertionError(c);
            }
        }
        if (failures.isEmpty()) {
            table.clear();
            table.putAll(after);
        }
        return new BundleResult(changes.size(), failures.isEmpty(), failures, Duration.ZERO);
    }

    private boolean program(Object... idsAndFlows) {
        Map<String, Flow> next = new LinkedHashMap<>();
        for (int i = 0; i < idsAndFlows.length; i += 2) {
            String text = (String) idsAndFlows[i + 1];
            next.put((String) idsAndFlows[i], text == null ? null : FlowDocuments.parseFlow((String) idsAndFlows[i], text));
        }
        return SwitchMaster.program(programmed, refused, next, this::bundle);
    }

    /** The master's view equals the table, flow for flow. */
    private void assertViewIsTrue() {
        assertThat(new HashMap<>(table)).isEqualTo(programmed.values().stream()
                .collect(Collectors.toMap(Flow::id, f -> f)));
    }

    @Test
    void aRefusedFlowIsNamedAndTheRestOfItsBatchIsInstalled() {
        boolean changed = program("a", "table=0,priority=10,ip,nw_dst=10.0.0.1,actions=drop",
                "bad", "table=0,priority=10,ip,nw_dst=10.0.0.2,actions=group:7",
                "c", "table=0,priority=10,ip,nw_dst=10.0.0.3,actions=NORMAL");
        assertThat(changed).isTrue();
        assertThat(refused).containsOnlyKeys("bad");
        assertThat(refused.get("bad").error()).contains("OFPBAC_BAD_OUT_GROUP");
        assertThat(refused.get("bad").flow().toString()).contains("group:7");
        assertThat(programmed).containsOnlyKeys("a", "c");
        assertThat(bundles).isEqualTo(2); // refused and discarded, then the rest again
        assertViewIsTrue();
    }

    @Test
    void aRefusedRewriteKeepsTheFlowTheSwitchHeldAndAnAcceptedOneClearsTheRefusal() {
        program("a", "table=0,priority=10,ip,nw_dst=10.0.0.1,actions=drop");
        Flow before = programmed.get("a");
        assertThat(program("a", "table=0,priority=10,ip,nw_dst=10.0.0.1,actions=group:3")).isTrue();
        assertThat(programmed.get("a")).isEqualTo(before);
        assertThat(refused).containsOnlyKeys("a");
        assertViewIsTrue();
        assertThat(program("a", "table=0,priority=10,ip,nw_dst=10.0.0.1,actions=NORMAL")).isTrue();
        assertThat(refused).isEmpty();
        assertThat(programmed.get("a").toString()).contains("actions=NORMAL");
        assertViewIsTrue();
    }

    @Test
    void deletingARefusedFlowClearsItsRefusal() {
        program("bad", "table=0,priority=10,ip,actions=group:1");
        assertThat(refused).containsOnlyKeys("bad");
        assertThat(program("bad", null)).isTrue();
        assertThat(refused).isEmpty();
        assertThat(table).isEmpty();
        assertThat(program("x", "table=0,priority=10,ip,actions=drop")).isFalse();
    }

    @Test
    void modifyReplaceAndMoveReachTheTable() {
        program("a", "table=0,priority=10,ip,nw_dst=10.0.0.1,actions=drop",
                "b", "table=0,priority=10,ip,nw_dst=10.0.0.2,actions=drop");
        program("a", "table=0,priority=10,ip,nw_dst=10.0.0.1,actions=NORMAL", // modify
                "b", "table=0,priority=10,idle_timeout=30,ip,nw_dst=10.0.0.2,actions=drop"); // replace
        assertViewIsTrue();
        program("a", "table=0,priority=10,ip,nw_dst=10.0.0.2,actions=NORMAL", // a and b trade matches
                "b", "table=0,priority=10,ip,nw_dst=10.0.0.1,actions=drop");
        assertViewIsTrue();
        assertThat(table).hasSize(2);
        assertThat(refused).isEmpty();
    }

    @Test
    void aTakeoverReconcilesEverythingTheSwitchAcceptsAndNamesTheRest() {
        Flow stale = FlowDocuments.parseFlow("gone", "table=0,priority=5,ip,actions=drop");
        Flow foreign = OfctlText.parse("table=0,priority=6,ip,cookie=0x1,actions=drop");
        table.put(stale.id(), stale);
        table.put(foreign.id(), foreign);
        Map<String, Flow> wanted = new HashMap<>();
        Map<FlowId, String> idOf = new HashMap<>();
        for (String[] f : new String[][] {{"a", "table=0,priority=10,ip,nw_dst=10.0.0.1,actions=drop"},
                {"bad", "table=0,priority=10,ip,nw_dst=10.0.0.2,actions=group:7"},
                {"c", "table=0,priority=10,ip,nw_dst=10.0.0.3,actions=NORMAL"}}) {
            Flow flow = FlowDocuments.parseFlow(f[0], f[1]);
            wanted.put(f[0], flow);
            idOf.put(flow.id(), f[0]);
        }
        ReconcileResult r = SwitchMaster.reconcile(wanted, idOf, refused, flows -> {
            ReconcilePlan plan = SwitchMaster.RECONCILER.diff(flows, table.values());
            return new ReconcileResult(plan, plan.isEmpty() ? null : bundle(plan.changes()));
        });
        assertThat(r.applied()).isTrue();
        assertThat(refused).containsOnlyKeys("bad");
        assertThat(wanted).containsOnlyKeys("a", "c");
        assertThat(table.values()).containsExactlyInAnyOrder(wanted.get("a"), wanted.get("c"), foreign);
        assertThat(bundles).isEqualTo(2);
    }
}
