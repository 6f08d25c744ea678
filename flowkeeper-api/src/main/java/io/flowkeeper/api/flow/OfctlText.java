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
        }
        throw new IllegalArgumentException("unknown action " + a);
    }

    private static String formatValue(MatchField f, long v) {
        return switch (f.kind()) {
            case PORT -> PORT_NAMES.entrySet().stream().filter(n -> n.getValue() == v).map(Map.Entry::getKey)
                    .findFirst().orElse(Long.toString(v));
            case HEX -> "0x" + Long.toHexString(v);
            case DECIMAL -> Long.toString(v);
            case MAC -> mac(v);
            case IPV4 -> ipv4(v);
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
        for (String a : actions.split(",")) {
            String t = a.strip();
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

    private static MatchValue parseMatchValue(MatchField f, String text) {
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
