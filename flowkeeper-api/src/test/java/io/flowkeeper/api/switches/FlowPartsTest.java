package io.flowkeeper.api.switches;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.OfctlText;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FlowPartsTest {
    private static Flow flow(int port, String action) {
        return OfctlText.parse("table=0,priority=100,in_port=" + port + ",actions=" + action);
    }

    /** The step a master computes by comparing every flow: what changesSince must equal. */
    private static Map<String, Flow> naive(Map<String, Flow> before, Map<String, Flow> now) {
        Map<String, Flow> out = new HashMap<>();
        now.forEach((id, f) -> {
            if (!f.equals(before.get(id))) {
                out.put(id, f);
            }
        });
        before.keySet().forEach(id -> {
            if (!now.containsKey(id)) {
                out.put(id, null);
            }
        });
        return out;
    }

    @Test
    void aMapOfItsParts() {
        Map<String, Flow> a = Map.of("a1", flow(1, "drop"), "a2", flow(2, "drop"));
        Map<String, Flow> b = Map.of("b1", flow(3, "output:4"));
        FlowParts parts = new FlowParts(List.of(a, b, Map.of()));
        Map<String, Flow> all = new HashMap<>(a);
        all.putAll(b);
        assertThat(parts).hasSize(3).isEqualTo(all);
        assertThat(parts.get("b1")).isEqualTo(flow(3, "output:4"));
        assertThat(parts.containsKey("a3")).isFalse();
        Map<String, Flow> visited = new LinkedHashMap<>();
        parts.forEach(visited::put);
        assertThat(visited).isEqualTo(all);
    }

    @Test
    void changesReadOnlyThePartsNotShared() {
        Map<String, Flow> shared = Map.of("s1", flow(1, "drop"));
        Map<String, Flow> before = Map.of("n1", flow(2, "drop"), "n2", flow(3, "drop"), "n3", flow(4, "drop"));
        // n1 the same (an equal flow in a new part: no change), n2 changed, n3 gone, n4 new
        Map<String, Flow> after = Map.of("n1", flow(2, "drop"), "n2", flow(3, "output:9"), "n4", flow(5, "drop"));
        FlowParts earlier = new FlowParts(List.of(shared, before));
        FlowParts now = new FlowParts(List.of(shared, after));
        assertThat(now.changesSince(earlier)).isEqualTo(naive(earlier, now)).containsOnlyKeys("n2", "n3", "n4")
                .containsEntry("n3", null);
        // any two maps: every flow compared
        assertThat(FlowParts.changes(new HashMap<>(earlier), new HashMap<>(now))).isEqualTo(naive(earlier, now));
        assertThat(FlowParts.changes(earlier, now)).isEqualTo(naive(earlier, now));
        assertThat(now.changesSince(now)).isEmpty();
    }

    @Test
    void equalsComparingEveryFlowAfterRandomChanges() {
        Random random = new Random(7);
        int nextPort = 1;
        List<Map<String, Flow>> parts = new java.util.ArrayList<>();
        for (int p = 0; p < 20; p++) {
            Map<String, Flow> part = new HashMap<>();
            for (int i = 0; i < 5; i++) {
                part.put("f" + nextPort, flow(nextPort, "drop"));
                nextPort++;
            }
            parts.add(Map.copyOf(part));
        }
        FlowParts last = new FlowParts(parts);
        for (int step = 0; step < 300; step++) {
            int p = random.nextInt(parts.size());
            Map<String, Flow> part = new HashMap<>(parts.get(p));
            switch (random.nextInt(4)) {
                case 0 -> part.put("f" + nextPort, flow(nextPort++, "drop"));
                case 1 -> part.keySet().stream().findFirst().ifPresent(part::remove);
                case 2 -> part.replaceAll((id, f) -> random.nextBoolean() ? f : flow(Integer.parseInt(id.substring(1)),
                        "output:" + random.nextInt(9)));
                default -> { // an id moves to another part, unchanged
                    int q = (p + 1) % parts.size();
                    Map<String, Flow> other = new HashMap<>(parts.get(q));
                    String id = part.keySet().stream().findFirst().orElse(null);
                    if (id != null) {
                        other.put(id, part.remove(id));
                        parts.set(q, Map.copyOf(other));
                    }
                }
            }
            parts.set(p, Map.copyOf(part));
            switch (random.nextInt(8)) { // now and then parts come, go or change places
                case 0 -> parts.add(random.nextInt(parts.size() + 1), Map.of("f" + nextPort,
                        flow(nextPort++, "drop")));
                case 1 -> {
                    if (parts.size() > 2) {
                        parts.remove(random.nextInt(parts.size()));
                    }
                }
                case 2 -> java.util.Collections.shuffle(parts, random);
                default -> {
                }
            }
            FlowParts now = new FlowParts(parts);
            assertThat(now.changesSince(last)).as("step %d", step).isEqualTo(naive(last, now));
            last = now;
        }
    }

    /**
     * Parts matched by reference: every match is the same instance, no earlier part is matched twice, and every
     * shared part is matched, whether a few parts were added, removed or replaced (the walk), many (the identity
     * map), or the order changed.
     */
    @Test
    void matchByReferenceFindsTheSharedParts() {
        Random random = new Random(11);
        for (int round = 0; round < 200; round++) {
            List<Object> before = new java.util.ArrayList<>();
            for (int i = 0; i < 50 + random.nextInt(200); i++) {
                before.add(new Object());
            }
            List<Object> now = new java.util.ArrayList<>(before);
            int edits = round % 10 == 0 ? 40 : round % 10 == 1 ? 12 : 1 + random.nextInt(4);
            if (round % 10 == 2) {
                java.util.Collections.swap(now, 0, now.size() - 1);
            }
            for (int e = 0; e < edits; e++) {
                int at = random.nextInt(now.size());
                switch (random.nextInt(3)) {
                    case 0 -> now.add(at, new Object());
                    case 1 -> now.remove(at);
                    default -> now.set(at, new Object());
                }
            }
            int[] match = FlowParts.matchByReference(before, now);
            java.util.Set<Integer> used = new java.util.HashSet<>();
            java.util.Set<Object> in = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            in.addAll(before);
            for (int i = 0; i < now.size(); i++) {
                if (match[i] >= 0) {
                    assertThat(before.get(match[i])).isSameAs(now.get(i));
                    assertThat(used.add(match[i])).isTrue();
                } else {
                    assertThat(in.contains(now.get(i))).as("round %d: shared part %d not matched", round, i).isFalse();
                }
            }
        }
    }
}
