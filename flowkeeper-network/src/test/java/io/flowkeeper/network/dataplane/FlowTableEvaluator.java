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
 * are an error (the switch would pick either), unless they are clauses of conjunctive matches, which are resolved as
 * OVS does (every clause of an id matched: the {@code conj_id} flow at that priority; none complete: lower
 * priorities). A small connection tracker stands in for OVS's: {@code ct(table=T)} sets {@code ct_state} (new, or
 * established when the zone holds the connection, reply when seen backwards) and {@code ct_mark}, then goes on in
 * T; {@code ct(commit)} stores the connection with its mark. It remembers across {@link #run} calls.
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
    /** Committed connections: zone and 5-tuple in the original direction, to their mark. */
    private final Map<List<Long>, Long> connections = new java.util.HashMap<>();

    private static List<Long> tuple(long zone, Map<MatchField, Long> p, boolean reversed) {
        long proto = p.getOrDefault(MatchField.IP_PROTO, 0L);
        long sport = p.getOrDefault(proto == 6 ? MatchField.TCP_SRC : MatchField.UDP_SRC, 0L);
        long dport = p.getOrDefault(proto == 6 ? MatchField.TCP_DST : MatchField.UDP_DST, 0L);
        long src = p.getOrDefault(MatchField.IPV4_SRC, 0L);
        long dst = p.getOrDefault(MatchField.IPV4_DST, 0L);
        return reversed ? List.of(zone, proto, dst, src, dport, sport) : List.of(zone, proto, src, dst, sport, dport);
    }

    /** An evaluator of other flows sharing this one's connection tracker (the switch after a flow change). */
    FlowTableEvaluator withFlows(Collection<Flow> flows) {
        FlowTableEvaluator e = new FlowTableEvaluator(flows);
        e.connections.putAll(connections);
        return e;
    }

    /** Forgets every connection (a restarted switch, a flushed tracker). */
    void flushConnections() {
        connections.clear();
    }

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
            Integer recirculate = null;
            for (Action a : f.instructions().applyActions()) {
                if (a instanceof Action.Ct ct) {
                    List<Long> forward = tuple(ct.zone(), p, false);
                    List<Long> backward = tuple(ct.zone(), p, true);
                    if (ct.commit()) {
                        connections.put(connections.containsKey(backward) ? backward : forward,
                                ct.mark() == null ? 0L : ct.mark());
                    }
                    if (ct.table() != Action.CT_NO_TABLE) {
                        Long mark = connections.get(forward);
                        boolean reply = mark == null && connections.containsKey(backward);
                        if (reply) {
                            mark = connections.get(backward);
                        }
                        p.put(MatchField.CT_STATE, MatchField.CT_TRK | (mark == null ? MatchField.CT_NEW
                                : MatchField.CT_EST | (reply ? MatchField.CT_RPL : 0)));
                        p.put(MatchField.CT_MARK, mark == null ? 0L : mark);
                        p.put(MatchField.CT_ZONE, (long) ct.zone());
                        recirculate = ct.table();
                    }
                } else if (a instanceof Action.SetField s) {
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
            Integer next = recirculate != null ? recirculate : f.instructions().gotoTable();
            if (next != null && next <= table) {
                throw new IllegalStateException("backward goto in " + f);
            }
            table = next;
        }
        return out;
    }

    private Flow lookup(int table, Map<MatchField, Long> p) {
        p.put(MatchField.CONJ_ID, 0L);
        List<Flow> flows = tables.getOrDefault(table, List.of());
        int i = 0;
        while (i < flows.size()) {
            int priority = flows.get(i).priority();
            List<Flow> hits = new ArrayList<>();
            for (; i < flows.size() && flows.get(i).priority() == priority; i++) {
                if (matches(flows.get(i), p)) {
                    hits.add(flows.get(i));
                }
            }
            List<Flow> plain = hits.stream().filter(f -> f.instructions().applyActions().stream()
                    .noneMatch(a -> a instanceof Action.Conjunction)).toList();
            if (plain.size() > 1) {
                throw new IllegalStateException("ambiguous: " + plain.get(0) + " and " + plain.get(1));
            }
            if (plain.size() == 1) {
                return plain.get(0);
            }
            // only clauses matched here: which conjunctions have all their clauses?
            Map<Long, java.util.Set<Integer>> seen = new TreeMap<>();
            Map<Long, Integer> needed = new TreeMap<>();
            for (Flow f : hits) {
                for (Action a : f.instructions().applyActions()) {
                    Action.Conjunction c = (Action.Conjunction) a;
                    seen.computeIfAbsent(c.id(), k -> new java.util.HashSet<>()).add(c.clause());
                    needed.put(c.id(), c.nClauses());
                }
            }
            for (Map.Entry<Long, java.util.Set<Integer>> e : seen.entrySet()) {
                if (e.getValue().size() == needed.get(e.getKey())) {
                    p.put(MatchField.CONJ_ID, e.getKey());
                    for (Flow f : flows) {
                        if (f.priority() == priority && f.match().has(MatchField.CONJ_ID) && matches(f, p)) {
                            return f;
                        }
                    }
                    p.put(MatchField.CONJ_ID, 0L);
                }
            }
        }
        return null;
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
