package io.flowkeeper.api.flow;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Flows in {@code ovs-ofctl} syntax, both ways. {@link #format} writes what {@code ovs-ofctl add-flow} accepts;
 * {@link #parse} reads that and also the lines {@code ovs-ofctl dump-flows} prints (counters are ignored), so a
 * flow written, installed and dumped back parses to an equal {@link Flow}.
 */
public final class OfctlText {
    private static final long ETH_IP = 0x0800;
    private static final long ETH_ARP = 0x0806;
    private static final Map<String, long[]> PROTOCOLS = Map.of(
            "ip", new long[] {ETH_IP, -1},
            "arp", new long[] {ETH_ARP, -1},
            "tcp", new long[] {ETH_IP, 6},
            "udp", new long[] {ETH_IP, 17},
            "icmp", new long[] {ETH_IP, 1});
    private static final Set<String> IGNORED = Set.of("duration", "n_packets", "n_bytes", "idle_age", "hard_age",
            "importance", "out_port", "out_group");
    private static final Map<String, Long> PORT_NAMES = Map.of(
            "IN_PORT", Action.PORT_IN_PORT,
            "TABLE", Action.PORT_TABLE,
            "NORMAL", Action.PORT_NORMAL,
            "FLOOD", Action.PORT_FLOOD,
            "ALL", Action.PORT_ALL,
            "CONTROLLER", Action.PORT_CONTROLLER,
            "LOCAL", Action.PORT_LOCAL);

    private OfctlText() {
    }

    // ---- writing ----------------------------------------------------------------------------------------

    /** {@code table=T,priority=P[,cookie=..][,idle_timeout=..][,hard_timeout=..][,flags][,match],actions=..}. */
    public static String format(Flow flow) {
        StringBuilder sb = new StringBuilder();
        sb.append("table=").append(flow.tableId()).append(",priority=").append(flow.priority());
        if (flow.cookie() != 0) {
            sb.append(",cookie=0x").append(Long.toHexString(flow.cookie()));
        }
        if (flow.idleTimeout() != 0) {
            sb.append(",idle_timeout=").append(flow.idleTimeout());
        }
        if (flow.hardTimeout() != 0) {
            sb.append(",hard_timeout=").append(flow.hardTimeout());
        }
        for (FlowFlag f : EnumSet.copyOf(flow.flags().isEmpty() ? EnumSet.noneOf(FlowFlag.class) : flow.flags())) {
            sb.append(',').append(f.keyword());
        }
        String match = formatMatch(flow.match());
        if (!match.isEmpty()) {
            sb.append(',').append(match);
        }
        sb.append(",actions=").append(formatInstructions(flow.instructions()));
        return sb.toString();
    }

    /** The match alone, protocol shorthand first ({@code tcp,nw_src=10.0.0.1,tp_dst=80}); empty for all. */
    public static String formatMatch(Match match) {
        List<String> parts = new ArrayList<>();
        MatchValue type = match.get(MatchField.ETH_TYPE);
        MatchValue proto = match.get(MatchField.IP_PROTO);
        boolean typeDone = false;
        boolean protoDone = false;
        if (type != null && !type.isMasked()) {
            for (Map.Entry<String, long[]> p : PROTOCOLS.entrySet()) {
                long[] tp = p.getValue();
                if (tp[0] == type.value() && tp[1] >= 0 && proto != null && !proto.isMasked()
                        && proto.value() == tp[1]) {
                    parts.add(p.getKey());
                    typeDone = true;
                    protoDone = true;
                }
            }
            if (!typeDone && (type.value() == ETH_IP || type.value() == ETH_ARP)) {
                parts.add(type.value() == ETH_IP ? "ip" : "arp");
                typeDone = true;
            }
        }
        for (Map.Entry<MatchField, MatchValue> e : match.fields().entrySet()) {
            MatchField f = e.getKey();
            if ((f == MatchField.ETH_TYPE && typeDone) || (f == MatchField.IP_PROTO && protoDone)) {
                continue;
            }
            String name = switch (f) {
                case TCP_SRC, UDP_SRC -> "tp_src";
                case TCP_DST, UDP_DST -> "tp_dst";
                default -> f.ofctlName();
            };
            MatchValue v = e.getValue();
            if (f == MatchField.VLAN_VID) {
                parts.add("dl_vlan=" + (v.value() & 0xfff));
            } else if (f == MatchField.CT_STATE && v.isMasked()) {
                parts.add("ct_state=" + ctState(v.value(), v.mask()));
            } else {
                parts.add(name + "=" + formatValue(f, v.value()) + (v.isMasked() ? "/" + formatMask(f, v.mask()) : ""));
            }
        }
        return String.join(",", parts);
    }

    /** The part after {@code actions=}. */
    public static String formatInstructions(Instructions ins) {
        if (ins.isDrop()) {
            return "drop";
        }
        List<String> parts = new ArrayList<>();
        for (Action a : ins.applyActions()) {
            parts.add(formatAction(a));
        }
        if (ins.writeMetadata() != null) {
            parts.add("write_metadata:0x" + Long.toHexString(ins.writeMetadata())
                    + (ins.metadataMask() == -1L ? "" : "/0x" + Long.toHexString(ins.metadataMask())));
        }
        if (ins.gotoTable() != null) {
            parts.add("goto_table:" + ins.gotoTable());
        }
        return String.join(",", parts);
    }

    static String formatAction(Action a) {
        if (a instanceof Action.Output o) {
            if (o.port() == Action.PORT_CONTROLLER) {
                return "CONTROLLER:" + o.maxLength();
            }
            for (Map.Entry<String, Long> n : PORT_NAMES.entrySet()) {
                if (n.getValue() == o.port()) {
                    return n.getKey();
                }
            }
            return "output:" + o.port();
        } else if (a instanceof Action.SetField s) {
            return "set_field:" + formatValue(s.field(), s.value()) + "->" + s.field().setFieldName();
        } else if (a instanceof Action.DecTtl) {
            return "dec_ttl";
        } else if (a instanceof Action.PushVlan p) {
            return "push_vlan:0x" + Integer.toHexString(p.ethertype());
        } else if (a instanceof Action.PopVlan) {
            return "pop_vlan";
        } else if (a instanceof Action.Group g) {
            return "group:" + g.groupId();
        } else if (a instanceof Action.Ct ct) {
            return formatCt(ct);
        } else if (a instanceof Action.Conjunction c) {
            return "conjunction(" + c.id() + "," + c.clause() + "/" + c.nClauses() + ")";
        }
        throw new IllegalArgumentException("unknown action " + a);
    }

    /** In the order {@code ovs-ofctl} prints: {@code ct(commit,table=T,zone=Z,nat(...),exec(...))}. */
    private static String formatCt(Action.Ct ct) {
        List<String> parts = new ArrayList<>();
        if (ct.commit()) {
            parts.add("commit");
        }
        if (ct.table() != Action.CT_NO_TABLE) {
            parts.add("table=" + ct.table());
        }
        if (ct.zoneField() != null) {
            parts.add("zone=" + zoneFieldName(ct.zoneField()) + "[0..15]");
        } else if (ct.zone() != 0) {
            parts.add("zone=" + ct.zone());
        }
        if (ct.nat() != null) {
            Action.Nat n = ct.nat();
            StringBuilder sb = new StringBuilder("nat");
            if (n.kind() != Action.Nat.Kind.EXISTING) {
                sb.append('(').append(n.kind() == Action.Nat.Kind.SRC ? "src=" : "dst=").append(ipv4(n.ipMin()));
                if (n.ipMax() != n.ipMin()) {
                    sb.append('-').append(ipv4(n.ipMax()));
                }
                if (n.portMin() != 0) {
                    sb.append(':').append(n.portMin());
                    if (n.portMax() != n.portMin()) {
                        sb.append('-').append(n.portMax());
                    }
                }
                sb.append(')');
            }
            parts.add(sb.toString());
        }
        if (ct.mark() != null) {
            parts.add("exec(set_field:0x" + Long.toHexString(ct.mark()) + "->ct_mark)");
        }
        return "ct(" + String.join(",", parts) + ")";
    }

    /** The name {@code ovs-ofctl} gives a field as a zone source: its OXM name for metadata, else ours. */
    private static String zoneFieldName(MatchField f) {
        return f == MatchField.METADATA ? "OXM_OF_METADATA" : f.ofctlName();
    }

    /** {@code +trk+est-rel}: every masked bit, lowest first, '+' when set. */
    static String ctState(long value, long mask) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < MatchField.CT_STATE_NAMES.size(); i++) {
            if ((mask & 1L << i) != 0) {
                sb.append((value & 1L << i) != 0 ? '+' : '-').append(MatchField.CT_STATE_NAMES.get(i));
            }
        }
        return sb.toString();
    }

    private static String formatValue(MatchField f, long v) {
        return switch (f.kind()) {
            case PORT -> PORT_NAMES.entrySet().stream().filter(n -> n.getValue() == v).map(Map.Entry::getKey)
                    .findFirst().orElse(Long.toString(v));
            case HEX -> "0x" + Long.toHexString(v);
            case DECIMAL -> Long.toString(v);
            case MAC -> mac(v);
            case IPV4 -> ipv4(v);
            case CT_STATE -> "0x" + Long.toHexString(v);
        };
    }

    private static String formatMask(MatchField f, long mask) {
        return switch (f.kind()) {
            case MAC -> mac(mask);
            case IPV4 -> {
                int prefix = Long.numberOfLeadingZeros(~mask << 32);
                yield ((0xffffffffL << (32 - prefix)) & 0xffffffffL) == mask ? Integer.toString(prefix) : ipv4(mask);
            }
            default -> "0x" + Long.toHexString(mask);
        };
    }

    static String mac(long v) {
        return String.format(Locale.ROOT, "%02x:%02x:%02x:%02x:%02x:%02x", v >> 40 & 255, v >> 32 & 255,
                v >> 24 & 255, v >> 16 & 255, v >> 8 & 255, v & 255);
    }

    static String ipv4(long v) {
        return (v >> 24 & 255) + "." + (v >> 16 & 255) + "." + (v >> 8 & 255) + "." + (v & 255);
    }

    // ---- reading ----------------------------------------------------------------------------------------

    /** Reads one flow (add-flow syntax, or a dump-flows line). */
    public static Flow parse(String text) {
        String line = text.strip();
        int at = line.indexOf("actions=");
        if (at < 0) {
            throw new FlowParseException("no actions= in: " + text);
        }
        String head = line.substring(0, at).replace(", ", ",").strip().replace(' ', ',');
        String actions = line.substring(at + "actions=".length()).strip();
        int table = 0;
        int priority = Flow.DEFAULT_PRIORITY;
        long cookie = 0;
        int idle = 0;
        int hard = 0;
        Set<FlowFlag> flags = EnumSet.noneOf(FlowFlag.class);
        Match.Builder match = Match.builder();
        String tpSrc = null;
        String tpDst = null;
        for (String token : head.split(",")) {
            if (token.isEmpty()) {
                continue;
            }
            int eq = token.indexOf('=');
            if (eq < 0) {
                long[] proto = PROTOCOLS.get(token);
                FlowFlag flag = FlowFlag.byKeyword(token);
                if (proto != null) {
                    match.exact(MatchField.ETH_TYPE, proto[0]);
                    if (proto[1] >= 0) {
                        match.exact(MatchField.IP_PROTO, proto[1]);
                    }
                } else if (flag != null) {
                    flags.add(flag);
                } else {
                    throw new FlowParseException("unknown keyword '" + token + "' in: " + text);
                }
                continue;
            }
            String key = token.substring(0, eq);
            String value = token.substring(eq + 1);
            try {
                switch (key) {
                    case "table" -> table = Integer.parseInt(value);
                    case "priority" -> priority = Integer.parseInt(value);
                    case "cookie" -> cookie = Long.parseUnsignedLong(strip0x(value.split("/")[0]), 16);
                    case "idle_timeout" -> idle = Integer.parseInt(value);
                    case "hard_timeout" -> hard = Integer.parseInt(value);
                    case "tp_src" -> tpSrc = value;
                    case "tp_dst" -> tpDst = value;
                    case "dl_vlan" -> match.exact(MatchField.VLAN_VID, 0x1000 | Long.parseLong(value));
                    default -> {
                        if (IGNORED.contains(key)) {
                            continue;
                        }
                        MatchField f = MatchField.byName(key);
                        if (f == null) {
                            throw new FlowParseException("unknown field '" + key + "' in: " + text);
                        }
                        match.set(f, parseMatchValue(f, value));
                    }
                }
            } catch (NumberFormatException e) {
                throw new FlowParseException("bad value in '" + token + "': " + e.getMessage());
            }
        }
        MatchValue proto = match.build().get(MatchField.IP_PROTO);
        if (tpSrc != null || tpDst != null) {
            boolean tcp = proto != null && proto.value() == 6;
            boolean udp = proto != null && proto.value() == 17;
            if (!tcp && !udp) {
                throw new FlowParseException("tp_src/tp_dst need tcp or udp in: " + text);
            }
            if (tpSrc != null) {
                match.set(tcp ? MatchField.TCP_SRC : MatchField.UDP_SRC, parseMatchValue(MatchField.TCP_SRC, tpSrc));
            }
            if (tpDst != null) {
                match.set(tcp ? MatchField.TCP_DST : MatchField.UDP_DST, parseMatchValue(MatchField.TCP_DST, tpDst));
            }
        }
        return new Flow(table, priority, match.build(), parseInstructions(actions, text), cookie, idle, hard, flags);
    }

    private static Instructions parseInstructions(String actions, String text) {
        List<Action> list = new ArrayList<>();
        Long metadata = null;
        long metadataMask = -1L;
        Integer gotoTable = null;
        if (actions.isEmpty() || actions.equals("drop")) {
            return Instructions.DROP;
        }
        for (String a : splitTopLevel(actions)) {
            String t = a.strip();
            if (t.startsWith("ct(") && t.endsWith(")")) {
                list.add(parseCt(t.substring(3, t.length() - 1), text));
                continue;
            }
            if (t.startsWith("conjunction(") && t.endsWith(")")) {
                String[] idClause = t.substring(12, t.length() - 1).split(",");
                String[] kn = idClause.length == 2 ? idClause[1].split("/") : new String[0];
                if (kn.length != 2) {
                    throw new FlowParseException("conjunction(ID,K/N) expected: " + t);
                }
                try {
                    list.add(new Action.Conjunction(Long.parseLong(idClause[0].strip()),
                            Integer.parseInt(kn[0].strip()), Integer.parseInt(kn[1].strip())));
                } catch (IllegalArgumentException e) {
                    throw new FlowParseException("bad '" + t + "': " + e.getMessage());
                }
                continue;
            }
            int colon = t.indexOf(':');
            String name = colon < 0 ? t : t.substring(0, colon);
            String arg = colon < 0 ? "" : t.substring(colon + 1);
            try {
                switch (name) {
                    case "output" -> list.add(Action.Output.to(parsePort(arg)));
                    case "CONTROLLER", "controller" -> list.add(new Action.Output(Action.PORT_CONTROLLER,
                            arg.isEmpty() ? 0xffff : Integer.parseInt(arg.replace("max_len=", ""))));
                    case "set_field" -> {
                        int arrow = arg.lastIndexOf("->");
                        if (arrow < 0) {
                            throw new FlowParseException("set_field without -> in: " + text);
                        }
                        MatchField f = MatchField.byName(arg.substring(arrow + 2));
                        if (f == null || f.setFieldName() == null) {
                            throw new FlowParseException("cannot set field '" + arg.substring(arrow + 2) + "'");
                        }
                        list.add(new Action.SetField(f, parseMatchValue(f, arg.substring(0, arrow)).value()));
                    }
                    case "mod_dl_dst" -> list.add(new Action.SetField(MatchField.ETH_DST, parseMac(arg)));
                    case "mod_dl_src" -> list.add(new Action.SetField(MatchField.ETH_SRC, parseMac(arg)));
                    case "dec_ttl" -> list.add(new Action.DecTtl());
                    case "push_vlan" -> list.add(new Action.PushVlan((int) parseNumber(arg)));
                    case "pop_vlan", "strip_vlan" -> list.add(new Action.PopVlan());
                    case "group" -> list.add(new Action.Group(Long.parseLong(arg)));
                    case "goto_table" -> gotoTable = Integer.parseInt(arg);
                    case "write_metadata" -> {
                        String[] vm = arg.split("/");
                        metadata = parseNumber(vm[0]);
                        metadataMask = vm.length > 1 ? parseNumber(vm[1]) : -1L;
                    }
                    default -> {
                        Long port = PORT_NAMES.get(name.toUpperCase(Locale.ROOT));
                        if (port != null && colon < 0) {
                            list.add(Action.Output.to(port));
                        } else if (name.chars().allMatch(Character::isDigit) && !name.isEmpty()) {
                            list.add(Action.Output.to(Long.parseLong(name)));
                        } else {
                            throw new FlowParseException("unsupported action '" + t + "' in: " + text);
                        }
                    }
                }
            } catch (NumberFormatException e) {
                throw new FlowParseException("bad action '" + t + "': " + e.getMessage());
            }
        }
        return new Instructions(list, metadata, metadataMask, gotoTable);
    }

    /** Splits on commas outside parentheses: {@code ct(commit,zone=1),output:2} is two actions. */
    private static List<String> splitTopLevel(String text) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth--;
            } else if (c == ',' && depth == 0) {
                out.add(text.substring(start, i));
                start = i + 1;
            }
        }
        out.add(text.substring(start));
        return out;
    }

    /** The arguments of {@code ct(...)}, as {@code ovs-ofctl} writes and prints them. */
    private static Action.Ct parseCt(String args, String text) {
        boolean commit = false;
        int zone = 0;
        MatchField zoneField = null;
        int table = Action.CT_NO_TABLE;
        Action.Nat nat = null;
        Long mark = null;
        try {
            for (String arg : splitTopLevel(args)) {
                String t = arg.strip();
                if (t.isEmpty()) {
                    continue;
                }
                if (t.equals("commit")) {
                    commit = true;
                } else if (t.startsWith("table=")) {
                    table = Integer.parseInt(t.substring(6));
                } else if (t.startsWith("zone=")) {
                    String z = t.substring(5);
                    if (z.endsWith("[0..15]")) {
                        String name = z.substring(0, z.length() - 7);
                        zoneField = name.equals("OXM_OF_METADATA") ? MatchField.METADATA : MatchField.byName(name);
                        if (zoneField == null) {
                            throw new FlowParseException("unknown zone field '" + name + "' in: " + text);
                        }
                    } else {
                        zone = (int) parseNumber(z);
                    }
                } else if (t.equals("nat")) {
                    nat = Action.Nat.existing();
                } else if (t.startsWith("nat(") && t.endsWith(")")) {
                    nat = parseNat(t.substring(4, t.length() - 1));
                } else if (t.startsWith("exec(") && t.endsWith(")")) {
                    String set = t.substring(5, t.length() - 1);
                    if (!set.startsWith("set_field:") || !set.endsWith("->ct_mark")) {
                        throw new FlowParseException("ct exec supports set_field:V->ct_mark only: " + text);
                    }
                    mark = parseNumber(set.substring(10, set.length() - 9));
                } else {
                    throw new FlowParseException("unsupported ct argument '" + t + "' in: " + text);
                }
            }
            return new Action.Ct(commit, zone, zoneField, table, nat, mark);
        } catch (IllegalArgumentException e) {
            if (e instanceof FlowParseException fpe) {
                throw fpe;
            }
            throw new FlowParseException("bad ct(" + args + "): " + e.getMessage());
        }
    }

    /** {@code src=A[-B][:P[-Q]]} or {@code dst=...}. */
    private static Action.Nat parseNat(String spec) {
        Action.Nat.Kind kind = spec.startsWith("src=") ? Action.Nat.Kind.SRC
                : spec.startsWith("dst=") ? Action.Nat.Kind.DST : null;
        if (kind == null) {
            throw new FlowParseException("nat(src=...) or nat(dst=...) expected, got nat(" + spec + ")");
        }
        String[] ipPort = spec.substring(4).split(":", 2);
        String[] ips = ipPort[0].split("-", 2);
        long ipMin = parseIpv4(ips[0]);
        long ipMax = ips.length > 1 ? parseIpv4(ips[1]) : ipMin;
        int portMin = 0;
        int portMax = 0;
        if (ipPort.length > 1) {
            String[] ports = ipPort[1].split("-", 2);
            portMin = Integer.parseInt(ports[0]);
            portMax = ports.length > 1 ? Integer.parseInt(ports[1]) : portMin;
        }
        return new Action.Nat(kind, ipMin, ipMax, portMin, portMax);
    }

    private static MatchValue parseMatchValue(MatchField f, String text) {
        if (f.kind() == MatchField.Kind.CT_STATE && (text.startsWith("+") || text.startsWith("-"))) {
            return parseCtState(text);
        }
        String[] vm = text.split("/", 2);
        long value = parseValue(f, vm[0]);
        if (vm.length == 1) {
            return MatchValue.exact(value);
        }
        long mask;
        if (f.kind() == MatchField.Kind.IPV4 && !vm[1].contains(".")) {
            int prefix = Integer.parseInt(vm[1]);
            if (prefix < 0 || prefix > 32) {
                throw new FlowParseException("prefix length must be 0..32: " + text);
            }
            mask = prefix == 0 ? 0 : (0xffffffffL << (32 - prefix)) & 0xffffffffL;
        } else {
            mask = parseValue(f, vm[1]);
        }
        return mask == f.maxValue() ? MatchValue.exact(value) : MatchValue.masked(value, mask);
    }

    /** {@code +trk+est-rel} as value and mask. */
    private static MatchValue parseCtState(String text) {
        long value = 0;
        long mask = 0;
        int i = 0;
        while (i < text.length()) {
            char sign = text.charAt(i);
            int end = i + 1;
            while (end < text.length() && text.charAt(end) != '+' && text.charAt(end) != '-') {
                end++;
            }
            int bit = MatchField.CT_STATE_NAMES.indexOf(text.substring(i + 1, end));
            if ((sign != '+' && sign != '-') || bit < 0) {
                throw new FlowParseException("bad ct_state '" + text + "': flags are +/- new est rel rpl inv trk "
                        + "snat dnat");
            }
            mask |= 1L << bit;
            if (sign == '+') {
                value |= 1L << bit;
            }
            i = end;
        }
        return MatchValue.masked(value, mask);
    }

    private static long parseValue(MatchField f, String v) {
        return switch (f.kind()) {
            case PORT -> parsePort(v);
            case MAC -> parseMac(v);
            case IPV4 -> parseIpv4(v);
            default -> parseNumber(v);
        };
    }

    private static long parsePort(String v) {
        Long named = PORT_NAMES.get(v.toUpperCase(Locale.ROOT));
        return named != null ? named : Long.parseLong(v);
    }

    static long parseNumber(String v) {
        return v.startsWith("0x") || v.startsWith("0X") ? Long.parseUnsignedLong(v.substring(2), 16)
                : Long.parseLong(v);
    }

    private static String strip0x(String v) {
        return v.startsWith("0x") ? v.substring(2) : v;
    }

    static long parseMac(String v) {
        String[] parts = v.split(":");
        if (parts.length != 6) {
            throw new FlowParseException("not a MAC address: " + v);
        }
        long mac = 0;
        for (String p : parts) {
            mac = mac << 8 | Integer.parseInt(p, 16);
        }
        return mac;
    }

    /** A dotted IPv4 address as 32 bits; {@link FlowParseException} if it is not one. */
    public static long parseIpv4(String v) {
        String[] parts = v.split("\\.");
        if (parts.length != 4) {
            throw new FlowParseException("not an IPv4 address: " + v);
        }
        long ip = 0;
        for (String p : parts) {
            int octet = Integer.parseInt(p);
            if (octet < 0 || octet > 255) {
                throw new FlowParseException("not an IPv4 address: " + v);
            }
            ip = ip << 8 | octet;
        }
        return ip;
    }
}
