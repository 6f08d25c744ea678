package io.flowkeeper.network.dataplane;

import io.flowkeeper.api.flow.Action;
import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.MatchField;
import io.flowkeeper.api.flow.MatchValue;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A small OpenFlow table evaluator for tests: "where does this packet go, and how does it look there". Highest
 * priority match per table, apply-actions in order, write-metadata, goto; output to the ingress port is skipped
 * unless it is IN_PORT, as a switch does. Two flows of one table with the same priority that both match a packet
 * are an error (the switch would pick either).
 */
final class FlowTableEvaluator {
    /**
     * A packet leaving the switch: the port (or CONTROLLER), its header fields there, and how many times its TTL
     * was decremented on the way.
     */
    record Emitted(long port, Map<MatchField, Long> fields, long cookie, int ttlDecrements) {
        long get(MatchField f) {
            return fields.getOrDefault(f, 0L);
        }
    }

    private final Map<Integer, List<Flow>> tables = new TreeMap<>();

    FlowTableEvaluator(Collection<Flow> flows) {
        for (Flow f : flows) {
            tables.computeIfAbsent(f.tableId(), t -> new ArrayList<>()).add(f);
        }
        tables.values().forEach(l -> l.sort(Comparator.comparingInt(Flow::priority).reversed()));
    }

    /** Runs a packet from table 0; {@code packet} must hold IN_PORT. */
    List<Emitted> run(Map<MatchField, Long> packet) {
        EnumMap<MatchField, Long> p = new EnumMap<>(MatchField.class);
        p.putAll(packet);
        p.putIfAbsent(MatchField.VLAN_VID, 0L);
        p.putIfAbsent(MatchField.TUNNEL_ID, 0L);
        p.put(MatchField.METADATA, 0L);
        long inPort = p.get(MatchField.IN_PORT);
        List<Emitted> out = new ArrayList<>();
        int decrements = 0;
        Integer table = 0;
        while (table != null) {
            Flow f = lookup(table, p);
            if (f == null) {
                return out;
            }
            for (Action a : f.instructions().applyActions()) {
                if (a instanceof Action.SetField s) {
                    p.put(s.field(), s.value());
                } else if (a instanceof Action.DecTtl) {
                    decrements++;
                } else if (a instanceof Action.PushVlan) {
                    p.put(MatchField.VLAN_VID, 0x1000L);
                } else if (a instanceof Action.PopVlan) {
                    p.put(MatchField.VLAN_VID, 0L);
                } else if (a instanceof Action.Output o) {
                    long port = o.port() == Action.PORT_IN_PORT ? inPort : o.port();
                    if (o.port() == Action.PORT_IN_PORT || port != inPort) {
                        EnumMap<MatchField, Long> copy = new EnumMap<>(p);
                        copy.remove(MatchField.METADATA);
                        out.add(new Emitted(port, copy, f.cookie(), decrements));
                    }
                } else {
                    throw new IllegalStateException("the evaluator does not know " + a);
                }
            }
            if (f.instructions().writeMetadata() != null) {
                long mask = f.instructions().metadataMask();
                p.put(MatchField.METADATA, (p.get(MatchField.METADATA) & ~mask)
                        | (f.instructions().writeMetadata() & mask));
            }
            Integer next = f.instructions().gotoTable();
            if (next != null && next <= table) {
                throw new IllegalStateException("backward goto in " + f);
            }
            table = next;
        }
        return out;
    }

    private Flow lookup(int table, Map<MatchField, Long> p) {
        Flow found = null;
        for (Flow f : tables.getOrDefault(table, List.of())) {
            if (found != null && f.priority() < found.priority()) {
                break;
            }
            if (matches(f, p)) {
                if (found != null) {
                    throw new IllegalStateException("ambiguous: " + found + " and " + f);
                }
                found = f;
            }
        }
        return found;
    }

    private static boolean matches(Flow f, Map<MatchField, Long> p) {
        for (Map.Entry<MatchField, MatchValue> e : f.match().fields().entrySet()) {
            Long v = p.get(e.getKey());
            if (v == null) {
                return false;
            }
            long mask = e.getValue().mask() == null ? -1L : e.getValue().mask();
            if ((v & mask) != (e.getValue().value() & mask)) {
                return false;
            }
        }
        return true;
    }
}
