package io.flowkeeper.network.dataplane;

import io.flowkeeper.api.flow.Action;
import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.Instructions;
import io.flowkeeper.api.flow.Match;
import io.flowkeeper.api.flow.MatchField;
import io.flowkeeper.api.network.SecurityGroupRule;
import io.flowkeeper.network.Ipv4;
import io.flowkeeper.network.dataplane.HostView.SecuredPort;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32;

/**
 * Compiles security groups into stateful conntrack flows, per secured local port (port security on), along
 * {@link Pipeline#SG_EGRESS_CT}, {@link Pipeline#SG_EGRESS}, {@link Pipeline#SG_INGRESS_CT} and
 * {@link Pipeline#SG_INGRESS}; flooded IPv4 (broadcast, multicast, unknown unicast) reaches a secured port through
 * {@link Pipeline#SG_FLOOD} and the same ingress rules ({@link #floodCopy}). Pure: a port's own flows depend on its
 * {@link SecuredPort}'s rules alone and are kept between calls while they are unchanged; the member address flows
 * are the host's, shared.
 *
 * <p><b>State.</b> Each port has its own conntrack zone (its OpenFlow port number): a packet between two ports of the
 * host is tracked once leaving one (egress rules) and once entering the other (ingress rules). Invalid packets are
 * dropped. A new connection the rules allow is committed.
 *
 * <p><b>Rule changes cut existing connections (a mark check, not a zone flush).</b> Every commit writes the port's
 * rule-set generation ({@link #generation}, a CRC of its rules and its network's gateways) into {@code ct_mark}.
 * Established and related packets pass without a rule lookup only when their connection's mark is the current
 * generation. After a change, a packet in the original direction of an older connection is checked against the rules
 * again: allowed, it is committed again under the new mark (the connection lives on); refused, it is dropped, and so
 * is every reply until then. A flush would need the agent and a conntrack command, and would also kill connections
 * the new rules still allow; the mark check is in the flows, takes effect with them, and keeps those.
 *
 * <p><b>Remote groups</b> compile to conjunctive matches, as Neutron's OVS firewall does: one conjunction per remote
 * group and direction on the host ({@link #conjunctionIds}), whose clause 1 is one flow per member address, shared
 * by every local port whose rules name the group ({@link #addresses}), and whose clause 2 is each such port's rule
 * matches; a flow per port then matches the completed conjunction and commits in the port's zone. A port in a
 * 500-member group costs about 500 flows, not members × rules, and ten ports in it on one host cost 500 + 10 × a
 * few. <b>Membership is not part of the generation</b>: a port joining or leaving a group changes the one address
 * flow per direction of its address on each host, never the flows (or the {@code ct_mark}) of the group's member
 * ports. So a member that leaves is refused new connections at once, while a connection it opened before lives on
 * until it ends (Neutron's agent deletes such conntrack entries; the switch has no flow for that).
 *
 * <p><b>Always allowed:</b> ARP and DHCP never reach these tables (port security handles them), nor do the router's
 * answers to a ping of its gateway address (sent back in {@link Pipeline#ROUTING}); packets to a subnet's gateway
 * address pass egress without a rule. <b>Not enforced:</b> IPv6 rules (stored, listed as refused until IPv6 lands),
 * and unknown protocol names.
 */
public final class SecurityGroupFlows {
    /** Cookie kind {@code 0x53} ('S'), then the port's network tag (as {@link FlowCompiler}'s flows). */
    public static final long COOKIE_SECURITY = 0xf153000000000000L;

    static final int PRIO_INVALID = 300;
    static final int PRIO_ESTABLISHED = 290;
    static final int PRIO_GATEWAY = 280;
    static final int PRIO_RULE = 70;
    static final int PRIO_CONJUNCTION = 60;
    static final int PRIO_TRACK = 100;

    private static final int ETH_IP = FlowCompiler.ETH_IP;
    private static final Map<String, Integer> PROTOCOLS = Map.ofEntries(Map.entry("icmp", 1), Map.entry("igmp", 2),
            Map.entry("ipip", 4), Map.entry("tcp", 6), Map.entry("egp", 8), Map.entry("udp", 17),
            Map.entry("dccp", 33), Map.entry("rsvp", 46), Map.entry("gre", 47), Map.entry("esp", 50),
            Map.entry("ah", 51), Map.entry("ospf", 89), Map.entry("pgm", 113), Map.entry("vrrp", 112),
            Map.entry("l2tp", 115), Map.entry("sctp", 132), Map.entry("udplite", 136));

    /** Why a rule of a port is not in its flows, for {@code ports show}. */
    public record Refused(SecurityGroupRule rule, String reason) {
    }

    /** What a port's own flows depend on: not the member addresses of the groups its rules name. */
    private record PortKey(String portId, long ofPort, long tag, List<Long> gateways, List<SecurityGroupRule> rules,
                           Map<String, Long> conjunctions) {
    }

    /** A port's flows as last compiled, with what they were compiled from and the last call that had the port. */
    private static final class Compiled {
        SecuredPort port;
        Map<String, Long> ids;
        PortKey key;
        List<Flow> flows;
        long seen;
    }

    private final Map<String, Compiled> compiled = new HashMap<>();
    private long calls;
    /**
     * Each remote group's member lists among the compiled ports, by reference (ports resolved alike share one), with
     * how many ports hold each: kept as ports change, so a change does not walk every port to find the members.
     */
    private final Map<String, IdentityHashMap<List<Long>, int[]>> memberLists = new TreeMap<>();
    /** Whether a member list came or went since the member address flows were compiled. */
    private boolean membersMoved;
    /** The member address flows as last compiled, with the conjunction ids they came from. */
    private Map<String, Long> addressIds = Map.of();
    private List<Flow> addressFlows = List.of();

    /**
     * Every secured port's flows and the member address flows they share; reuses those of ports whose rules are
     * unchanged since the last call (found by reference first: a {@link HostViewBuilder} hands back the same
     * {@link SecuredPort} for an unchanged port).
     */
    public List<Flow> compile(List<SecuredPort> ports) {
        List<Flow> out = new ArrayList<>();
        compileParts(ports).forEach(out::addAll);
        return out;
    }

    /**
     * {@link #compile}'s flows in parts: each port's own flows, then the member address flows; a part unchanged
     * since the last call is the same list instance.
     */
    List<List<Flow>> compileParts(List<SecuredPort> ports) {
        Map<String, Long> ids = conjunctionIds(ports);
        if (ids.equals(addressIds)) {
            ids = addressIds; // the last call's: ports compiled with it are found unchanged by reference below
        }
        long call = ++calls;
        List<List<Flow>> out = new ArrayList<>(ports.size() + 1);
        for (SecuredPort p : ports) {
            Compiled c = compiled.get(p.portId());
            if (c == null) {
                c = new Compiled();
                compiled.put(p.portId(), c);
            }
            if (c.port != p || c.ids != ids) {
                PortKey key = key(p, ids);
                if (c.key == null || !c.key.equals(key)) {
                    c.flows = List.copyOf(own(p, key.conjunctions()));
                }
                if (c.port != p) {
                    countMembers(c.port, -1);
                    countMembers(p, 1);
                }
                c.port = p;
                c.ids = ids;
                c.key = key;
            }
            c.seen = call;
            out.add(c.flows);
        }
        if (compiled.size() > ports.size()) { // some ports went
            compiled.values().removeIf(c -> {
                if (c.seen != call) {
                    countMembers(c.port, -1);
                    return true;
                }
                return false;
            });
        }
        if (ids != addressIds || membersMoved) {
            Map<String, List<List<Long>>> members = new TreeMap<>();
            memberLists.forEach((group, lists) -> members.put(group, new ArrayList<>(lists.keySet())));
            addressFlows = List.copyOf(addresses(members, ids));
            addressIds = ids;
            membersMoved = false;
        }
        out.add(addressFlows);
        return out;
    }

    /** Counts a port's member lists in or out of {@link #memberLists}. */
    private void countMembers(SecuredPort p, int delta) {
        if (p == null) {
            return;
        }
        p.remoteGroups().forEach((group, list) -> {
            IdentityHashMap<List<Long>, int[]> lists = memberLists.computeIfAbsent(group, k -> new IdentityHashMap<>());
            int[] n = lists.computeIfAbsent(list, k -> new int[1]);
            n[0] += delta;
            if (n[0] == 0) {
                lists.remove(list);
                if (lists.isEmpty()) {
                    memberLists.remove(group);
                }
                membersMoved = true;
            } else if (delta > 0 && n[0] == delta) {
                membersMoved = true;
            }
        });
    }

    /** Each remote group's member lists among the ports, distinct by reference (ports resolved alike share one). */
    private static Map<String, List<List<Long>>> members(List<SecuredPort> ports) {
        Map<String, List<List<Long>>> out = new TreeMap<>();
        for (SecuredPort p : ports) {
            p.remoteGroups().forEach((group, members) -> {
                List<List<Long>> lists = out.computeIfAbsent(group, k -> new ArrayList<>(1));
                if (lists.stream().noneMatch(l -> l == members)) {
                    lists.add(members);
                }
            });
        }
        return out;
    }

    private static PortKey key(SecuredPort p, Map<String, Long> ids) {
        Map<String, Long> used = new TreeMap<>();
        for (SecurityGroupRule r : p.rules()) {
            String k = conjunctionKey(r);
            if (k != null) {
                used.put(k, ids.get(k));
            }
        }
        return new PortKey(p.portId(), p.ofPort(), p.tag(), p.gateways(), p.rules(), used);
    }

    /**
     * What one port costs on its host, alone: its own flows and the address flows of the groups its rules name
     * ({@code flowkeeper ports show}, the bench). On a host with more ports, those address flows are shared.
     */
    public static List<Flow> port(SecuredPort p) {
        Map<String, Long> ids = conjunctionIds(List.of(p));
        List<Flow> out = new ArrayList<>(own(p, key(p, ids).conjunctions()));
        out.addAll(addresses(members(List.of(p)), ids));
        return out;
    }

    /**
     * The conjunction of a rule that names a remote group: its group and direction (null for other rules, and for
     * rules not enforced).
     */
    private static String conjunctionKey(SecurityGroupRule r) {
        if (r.remoteGroupId() == null || r.remoteGroupId().isEmpty() || refusal(r) != null) {
            return null;
        }
        return r.direction() + " " + r.remoteGroupId();
    }

    /**
     * A {@code conj_id} for each remote group and direction the ports' rules name: a hash of the two, so it stays
     * the same as ports and groups come and go; two that collide are told apart in key order (the later one takes
     * the next free id), so every id is unique within the host's tables.
     */
    static Map<String, Long> conjunctionIds(List<SecuredPort> ports) {
        TreeMap<String, Long> out = new TreeMap<>();
        java.util.Set<List<SecurityGroupRule>> seen = java.util.Collections.newSetFromMap(
                new java.util.IdentityHashMap<>()); // ports resolved alike share their rule list
        for (SecuredPort p : ports) {
            if (!seen.add(p.rules())) {
                continue;
            }
            for (SecurityGroupRule r : p.rules()) {
                String k = conjunctionKey(r);
                if (k != null) {
                    out.put(k, 0L);
                }
            }
        }
        java.util.Set<Long> taken = new java.util.HashSet<>();
        for (Map.Entry<String, Long> e : out.entrySet()) {
            CRC32 crc = new CRC32();
            crc.update(e.getKey().getBytes(StandardCharsets.UTF_8));
            long id = crc.getValue();
            while (id == 0 || !taken.add(id)) {
                id = (id + 1) & 0xffffffffL;
            }
            e.setValue(id);
        }
        return out;
    }

    /**
     * Clause 1 of every conjunction: one flow per table and member address, shared by the ports (and rules) whose
     * conjunctions it is part of. A port joining a group adds or changes only its own addresses' flows here.
     */
    static List<Flow> addresses(Map<String, List<List<Long>>> members, Map<String, Long> ids) {
        List<Flow> out = new ArrayList<>();
        for (boolean ingress : new boolean[] {false, true}) {
            String direction = ingress ? "ingress" : "egress";
            TreeMap<Long, java.util.TreeSet<Long>> byAddress = new TreeMap<>();
            members.forEach((group, lists) -> {
                Long id = ids.get(direction + " " + group);
                if (id != null) {
                    lists.forEach(l -> l.forEach(a -> byAddress.computeIfAbsent(a, k -> new java.util.TreeSet<>())
                            .add(id)));
                }
            });
            Pipeline table = ingress ? Pipeline.SG_INGRESS : Pipeline.SG_EGRESS;
            MatchField remote = ingress ? MatchField.IPV4_SRC : MatchField.IPV4_DST;
            byAddress.forEach((address, conj) -> {
                List<Action> actions = new ArrayList<>();
                conj.forEach(id -> actions.add(new Action.Conjunction(id, 1, 2)));
                out.add(FlowCompiler.flow(table, PRIO_CONJUNCTION, Match.builder().exact(MatchField.ETH_TYPE, ETH_IP)
                        .exact(remote, address).build(), new Instructions(actions, null, -1L, null), COOKIE_SECURITY));
            });
        }
        return out;
    }

    /**
     * The most secured ports of one network on one host that flooded IPv4 is copied to ({@link #floodCopy}, 24 bytes
     * each, 48 KB of a flow's 64 KB); beyond, flooded IPv4 reaches none of them.
     */
    static final int MAX_FLOOD_COPIES = 2_000;

    /**
     * In a flood of IPv4, the copy for secured local port {@code ofPort}: looked up in the port's zone and
     * recirculated to {@link Pipeline#SG_FLOOD}, which finds the port by the zone and sends the copy through the
     * port's ingress rules. OVS forks the packet at each such action, so one flood action list serves every port.
     */
    static Action floodCopy(long ofPort) {
        return Action.Ct.lookup((int) (ofPort & 0xffff), Pipeline.SG_FLOOD.id());
    }

    /** The tables' defaults: whatever no flow lets through is dropped. */
    static List<Flow> defaults() {
        List<Flow> out = new ArrayList<>();
        for (Pipeline t : List.of(Pipeline.SG_EGRESS_CT, Pipeline.SG_EGRESS, Pipeline.SG_FLOOD,
                Pipeline.SG_INGRESS_CT, Pipeline.SG_INGRESS)) {
            out.add(FlowCompiler.flow(t, FlowCompiler.PRIO_DEFAULT, Match.ALL, Instructions.DROP,
                    FlowCompiler.COOKIE_PIPELINE));
        }
        return out;
    }

    /**
     * The rule-set generation written into {@code ct_mark} on commit: nonzero, equal for equal rule sets. What a
     * change must revoke existing connections for, and only that: the port's rules and the gateways they exempt, not
     * the members of the groups they name (see the class comment).
     */
    public static long generation(SecuredPort p) {
        CRC32 crc = new CRC32();
        StringBuilder sb = new StringBuilder();
        p.rules().forEach(r -> sb.append(r).append('\n'));
        p.gateways().forEach(g -> sb.append(g).append(','));
        crc.update(sb.toString().getBytes(StandardCharsets.UTF_8));
        return crc.getValue() == 0 ? 1 : crc.getValue();
    }

    /** The rules of the port that are not in its flows, and why. */
    public static List<Refused> refused(SecuredPort p) {
        List<Refused> out = new ArrayList<>();
        for (SecurityGroupRule r : p.rules()) {
            String why = refusal(r);
            if (why != null) {
                out.add(new Refused(r, why));
            }
        }
        return out;
    }

    private static String refusal(SecurityGroupRule r) {
        if (!"IPv4".equalsIgnoreCase(r.ethertype())) {
            return "not enforced: " + r.ethertype() + " rules wait for IPv6 in the data plane";
        }
        if (protocol(r) == -2) {
            return "not enforced: unknown protocol '" + r.protocol() + "'";
        }
        if (r.remoteIpPrefix() != null && !r.remoteIpPrefix().isEmpty() && Ipv4.Cidr.parse(
                r.remoteIpPrefix().contains("/") ? r.remoteIpPrefix() : r.remoteIpPrefix() + "/32") == null) {
            return "not enforced: remote_ip_prefix '" + r.remoteIpPrefix() + "' is not IPv4";
        }
        return null;
    }

    /** The rule's IP protocol number, -1 for any, -2 when unknown. */
    static int protocol(SecurityGroupRule r) {
        String p = r.protocol();
        if (p == null || p.isEmpty() || p.equalsIgnoreCase("any")) {
            return -1;
        }
        Integer named = PROTOCOLS.get(p.toLowerCase(Locale.ROOT));
        if (named != null) {
            return named;
        }
        try {
            int n = Integer.parseInt(p);
            return n >= 0 && n <= 255 ? n : -2;
        } catch (NumberFormatException e) {
            return -2;
        }
    }

    /** One secured port's own flows, in all four tables, with {@code conj_id}s from {@link #conjunctionIds}. */
    private static List<Flow> own(SecuredPort p, Map<String, Long> conjunctionIds) {
        long cookie = COOKIE_SECURITY | p.tag();
        // OVS numbers ports below 0xff00: the port number is a zone of its own (16 bits, as metadata's port bits)
        int zone = (int) (p.ofPort() & 0xffff);
        long mark = generation(p);
        Match base = Match.builder().masked(MatchField.METADATA, p.ofPort() << FlowCompiler.PORT_SHIFT,
                FlowCompiler.PORT_MASK).exact(MatchField.ETH_TYPE, ETH_IP).build();
        List<Flow> out = new ArrayList<>();
        out.add(FlowCompiler.flow(Pipeline.SG_EGRESS_CT, PRIO_TRACK, base,
                Instructions.actions(Action.Ct.lookup(zone, Pipeline.SG_EGRESS.id())), cookie));
        out.add(FlowCompiler.flow(Pipeline.SG_INGRESS_CT, PRIO_TRACK, base,
                Instructions.actions(Action.Ct.lookup(zone, Pipeline.SG_INGRESS.id())), cookie));
        // a flooded copy for this port (floodCopy) comes back tracked in its zone: on through its ingress rules
        out.add(FlowCompiler.flow(Pipeline.SG_FLOOD, PRIO_TRACK, Match.builder().exact(MatchField.CT_ZONE, zone)
                .exact(MatchField.ETH_TYPE, ETH_IP).build(), new Instructions(List.of(),
                p.ofPort() << FlowCompiler.PORT_SHIFT, FlowCompiler.PORT_MASK, Pipeline.SG_INGRESS.id()), cookie));
        for (boolean ingress : new boolean[] {false, true}) {
            Pipeline table = ingress ? Pipeline.SG_INGRESS : Pipeline.SG_EGRESS;
            Instructions pass = ingress ? Instructions.actions(Action.Output.to(p.ofPort()))
                    : new Instructions(List.of(), null, -1L, Pipeline.ARP_RESPONDER.id());
            List<Action> commitActions = new ArrayList<>();
            commitActions.add(Action.Ct.commit(zone, mark));
            commitActions.addAll(pass.applyActions());
            Instructions commit = new Instructions(commitActions, null, -1L, pass.gotoTable());

            out.add(FlowCompiler.flow(table, PRIO_INVALID, base.toBuilder().masked(MatchField.CT_STATE,
                    MatchField.CT_INV | MatchField.CT_TRK, MatchField.CT_INV | MatchField.CT_TRK).build(),
                    Instructions.DROP, cookie));
            for (long state : new long[] {MatchField.CT_EST, MatchField.CT_REL}) {
                out.add(FlowCompiler.flow(table, PRIO_ESTABLISHED, base.toBuilder()
                        .masked(MatchField.CT_STATE, state | MatchField.CT_TRK,
                                state | MatchField.CT_INV | MatchField.CT_TRK)
                        .exact(MatchField.CT_MARK, mark).build(), pass, cookie));
            }
            if (!ingress) {
                for (long gw : p.gateways()) {
                    out.add(FlowCompiler.flow(table, PRIO_GATEWAY, base.toBuilder()
                            .exact(MatchField.IPV4_DST, gw).build(), pass, cookie));
                }
            }
            // New connections, and those of an older rule set in their original direction (not replies).
            Match fresh = base.toBuilder().masked(MatchField.CT_STATE, MatchField.CT_TRK,
                    MatchField.CT_RPL | MatchField.CT_TRK).build();
            MatchField remote = ingress ? MatchField.IPV4_SRC : MatchField.IPV4_DST;
            Map<Match, Flow> plain = new LinkedHashMap<>();
            Map<Match, List<Action>> clauses = new LinkedHashMap<>();
            Map<Match, Flow> conjunctions = new LinkedHashMap<>();
            for (SecurityGroupRule r : p.rules()) {
                if (!r.direction().equals(ingress ? "ingress" : "egress") || refusal(r) != null) {
                    continue;
                }
                List<Match> l4 = l4(fresh, r);
                String group = r.remoteGroupId();
                if (group == null || group.isEmpty()) {
                    for (Match m : l4) {
                        Match.Builder b = m.toBuilder();
                        if (r.remoteIpPrefix() != null && !r.remoteIpPrefix().isEmpty()) {
                            Ipv4.Cidr c = Ipv4.Cidr.parse(r.remoteIpPrefix().contains("/") ? r.remoteIpPrefix()
                                    : r.remoteIpPrefix() + "/32");
                            if (c.prefixLength() > 0) {
                                b.masked(remote, c.first(), c.mask());
                            }
                        }
                        Match built = b.build();
                        plain.putIfAbsent(built, FlowCompiler.flow(table, PRIO_RULE, built, commit, cookie));
                    }
                    continue;
                }
                // clause 2: the rule's matches for this port; clause 1, the group's addresses, is shared (addresses)
                long id = conjunctionIds.get(conjunctionKey(r));
                for (Match m : l4) {
                    List<Action> actions = clauses.computeIfAbsent(m, k -> new ArrayList<>());
                    Action.Conjunction c = new Action.Conjunction(id, 2, 2);
                    if (!actions.contains(c)) {
                        actions.add(c);
                    }
                }
                Match completed = base.toBuilder().exact(MatchField.CONJ_ID, id).build();
                conjunctions.putIfAbsent(completed, FlowCompiler.flow(table, PRIO_CONJUNCTION, completed, commit,
                        cookie));
            }
            out.addAll(plain.values());
            clauses.forEach((m, actions) -> out.add(FlowCompiler.flow(table, PRIO_CONJUNCTION, m,
                    new Instructions(actions, null, -1L, null), cookie)));
            out.addAll(conjunctions.values());
        }
        return out;
    }

    /** The rule's protocol part: one match, or one per masked block of a port range. */
    private static List<Match> l4(Match fresh, SecurityGroupRule r) {
        int proto = protocol(r);
        if (proto < 0) {
            return List.of(fresh);
        }
        Match.Builder b = fresh.toBuilder().exact(MatchField.IP_PROTO, proto);
        if (proto == 1) {
            if (r.portRangeMin() != null && r.portRangeMin() >= 0) {
                b.exact(MatchField.ICMPV4_TYPE, r.portRangeMin());
                if (r.portRangeMax() != null && r.portRangeMax() >= 0) {
                    b.exact(MatchField.ICMPV4_CODE, r.portRangeMax());
                }
            }
            return List.of(b.build());
        }
        if ((proto == 6 || proto == 17) && r.portRangeMin() != null) {
            MatchField dst = proto == 6 ? MatchField.TCP_DST : MatchField.UDP_DST;
            int max = r.portRangeMax() == null ? r.portRangeMin() : r.portRangeMax();
            List<Match> out = new ArrayList<>();
            for (long[] block : portBlocks(r.portRangeMin(), max)) {
                // the whole range is no match on the port at all (OVS would drop a zero mask from the flow)
                out.add(block[1] == 0 ? b.build() : b.masked(dst, block[0], block[1]).build());
            }
            return out;
        }
        return List.of(b.build());
    }

    /** The range {@code [min, max]} as aligned power-of-two blocks: value and mask each. */
    static List<long[]> portBlocks(int min, int max) {
        List<long[]> out = new ArrayList<>();
        long lo = Math.max(0, min);
        long hi = Math.min(0xffff, max);
        while (lo <= hi) {
            long size = lo == 0 ? 0x10000 : Long.lowestOneBit(lo);
            while (lo + size - 1 > hi) {
                size >>= 1;
            }
            out.add(new long[] {lo, 0xffff & ~(size - 1)});
            lo += size;
        }
        return out;
    }
}
