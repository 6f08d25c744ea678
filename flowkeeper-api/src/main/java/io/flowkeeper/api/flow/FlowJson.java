package io.flowkeeper.api.flow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Flows as structured JSON, both ways, losslessly: {@code read(write(f)).equals(f)} for every {@link Flow} the model
 * can hold (unlike ovs-ofctl text, which cannot say a masked {@code in_port} or a VLAN match without the present
 * bit). This is how desired flows are stored; ovs-ofctl text is only for people ({@link OfctlText}).
 * <pre>
 * {"table": 0, "priority": 100, "cookie": "0xf1...", "idle-timeout": 0, "hard-timeout": 0, "flags": ["send_flow_rem"],
 *  "match": {"eth_type": "0x800", "ipv4_dst": "0xa000000/0xffffff00"},
 *  "instructions": {"apply": [{"type": "output", "port": 1, "max-len": 0},
 *                             {"type": "set-field", "field": "eth_dst", "value": "0x2"}, {"type": "dec-ttl"},
 *                             {"type": "push-vlan", "ethertype": 33024}, {"type": "pop-vlan"},
 *                             {"type": "group", "group": 7}],
 *                   "write-metadata": "0x1", "metadata-mask": "0xff", "goto-table": 1}}
 * </pre>
 * Match fields are named by {@link MatchField} in lower case; match values, masks, cookies and metadata are unsigned
 * hexadecimal strings (64-bit values do not fit every JSON reader's numbers). Absent keys take the defaults:
 * no timeouts, no flags, match all, drop, metadata mask all ones.
 */
public final class FlowJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private FlowJson() {
    }

    /** The flow as a JSON object. */
    public static ObjectNode toJson(Flow flow) {
        ObjectNode o = MAPPER.createObjectNode().put("table", flow.tableId()).put("priority", flow.priority())
                .put("cookie", hex(flow.cookie())).put("idle-timeout", flow.idleTimeout())
                .put("hard-timeout", flow.hardTimeout());
        ArrayNode flags = o.putArray("flags");
        if (!flow.flags().isEmpty()) {
            EnumSet.copyOf(flow.flags()).forEach(f -> flags.add(f.keyword()));
        }
        o.set("match", matchJson(flow.match()));
        o.set("instructions", instructionsJson(flow.instructions()));
        return o;
    }

    /** Table, priority and match only: what makes two flows one switch flow ({@link FlowId}), canonically. */
    public static String identity(FlowId id) {
        return MAPPER.createObjectNode().put("table", id.tableId()).put("priority", id.priority())
                .set("match", matchJson(id.match())).toString();
    }

    public static String write(Flow flow) {
        return toJson(flow).toString();
    }

    /**
     * Reads a flow written by {@link #toJson}.
     *
     * @throws FlowParseException naming what is wrong
     */
    public static Flow fromJson(JsonNode n) {
        if (n == null || !n.isObject()) {
            throw new FlowParseException("a flow must be a JSON object, not " + n);
        }
        Set<FlowFlag> flags = EnumSet.noneOf(FlowFlag.class);
        for (JsonNode f : n.path("flags")) {
            FlowFlag flag = FlowFlag.byKeyword(f.asText());
            if (flag == null) {
                throw new FlowParseException("unknown flow flag '" + f.asText() + "'");
            }
            flags.add(flag);
        }
        try {
            return new Flow(integer(n, "table", 0), integer(n, "priority", Flow.DEFAULT_PRIORITY),
                    match(n.path("match")), instructions(n.path("instructions")), unsigned(n.path("cookie"), 0),
                    integer(n, "idle-timeout", 0), integer(n, "hard-timeout", 0), flags);
        } catch (FlowParseException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new FlowParseException(e.getMessage());
        }
    }

    public static Flow read(String json) {
        try {
            return fromJson(MAPPER.readTree(json));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new FlowParseException("malformed flow JSON: " + e.getOriginalMessage());
        }
    }

    // ---- match ----------------------------------------------------------------------------------------------

    private static ObjectNode matchJson(Match match) {
        ObjectNode m = MAPPER.createObjectNode();
        for (Map.Entry<MatchField, MatchValue> e : match.fields().entrySet()) {
            MatchValue v = e.getValue();
            m.put(name(e.getKey()), hex(v.value()) + (v.isMasked() ? "/" + hex(v.mask()) : ""));
        }
        return m;
    }

    private static Match match(JsonNode n) {
        Match.Builder b = Match.builder();
        if (n.isMissingNode()) {
            return b.build();
        }
        if (!n.isObject()) {
            throw new FlowParseException("match must be an object of field: \"0xVALUE[/0xMASK]\"");
        }
        for (Map.Entry<String, JsonNode> e : n.properties()) {
            MatchField f = field(e.getKey());
            String[] vm = e.getValue().asText().split("/", 2);
            long value = unsigned(vm[0], e.getKey());
            b.set(f, vm.length == 1 ? MatchValue.exact(value) : new MatchValue(value, unsigned(vm[1], e.getKey())));
        }
        return b.build();
    }

    // ---- instructions ---------------------------------------------------------------------------------------

    private static ObjectNode instructionsJson(Instructions ins) {
        ObjectNode o = MAPPER.createObjectNode();
        ArrayNode apply = o.putArray("apply");
        for (Action a : ins.applyActions()) {
            apply.add(actionJson(a));
        }
        if (ins.writeMetadata() != null) {
            o.put("write-metadata", hex(ins.writeMetadata()));
        }
        if (ins.metadataMask() != -1L) {
            o.put("metadata-mask", hex(ins.metadataMask()));
        }
        if (ins.gotoTable() != null) {
            o.put("goto-table", ins.gotoTable());
        }
        return o;
    }

    private static Instructions instructions(JsonNode n) {
        if (n.isMissingNode()) {
            return Instructions.DROP;
        }
        List<Action> actions = new ArrayList<>();
        for (JsonNode a : n.path("apply")) {
            actions.add(action(a));
        }
        Long metadata = n.has("write-metadata") ? unsigned(n.get("write-metadata"), 0) : null;
        Integer gotoTable = n.has("goto-table") ? integer(n, "goto-table", 0) : null;
        return new Instructions(actions, metadata, unsigned(n.path("metadata-mask"), -1L), gotoTable);
    }

    private static ObjectNode actionJson(Action a) {
        ObjectNode o = MAPPER.createObjectNode();
        if (a instanceof Action.Output out) {
            o.put("type", "output").put("port", out.port()).put("max-len", out.maxLength());
        } else if (a instanceof Action.SetField s) {
            o.put("type", "set-field").put("field", name(s.field())).put("value", hex(s.value()));
        } else if (a instanceof Action.DecTtl) {
            o.put("type", "dec-ttl");
        } else if (a instanceof Action.PushVlan p) {
            o.put("type", "push-vlan").put("ethertype", p.ethertype());
        } else if (a instanceof Action.PopVlan) {
            o.put("type", "pop-vlan");
        } else if (a instanceof Action.Group g) {
            o.put("type", "group").put("group", g.groupId());
        } else if (a instanceof Action.Ct ct) {
            o.put("type", "ct").put("commit", ct.commit()).put("zone", ct.zone()).put("table", ct.table());
            if (ct.zoneField() != null) {
                o.put("zone-field", name(ct.zoneField()));
            }
            if (ct.nat() != null) {
                o.putObject("nat").put("kind", ct.nat().kind().name().toLowerCase(Locale.ROOT))
                        .put("ip-min", hex(ct.nat().ipMin())).put("ip-max", hex(ct.nat().ipMax()))
                        .put("port-min", ct.nat().portMin()).put("port-max", ct.nat().portMax());
            }
            if (ct.mark() != null) {
                o.put("mark", hex(ct.mark()));
            }
        } else if (a instanceof Action.Conjunction c) {
            o.put("type", "conjunction").put("id", c.id()).put("clause", c.clause()).put("n-clauses", c.nClauses());
        } else {
            throw new IllegalArgumentException("unknown action " + a);
        }
        return o;
    }

    private static Action action(JsonNode n) {
        String type = n.path("type").asText("");
        return switch (type) {
            case "output" -> new Action.Output(longValue(n, "port"), integer(n, "max-len", 0));
            case "set-field" -> new Action.SetField(field(n.path("field").asText("")), unsigned(n.path("value"), 0));
            case "dec-ttl" -> new Action.DecTtl();
            case "push-vlan" -> new Action.PushVlan(integer(n, "ethertype", 0x8100));
            case "pop-vlan" -> new Action.PopVlan();
            case "group" -> new Action.Group(longValue(n, "group"));
            case "ct" -> ct(n);
            case "conjunction" -> new Action.Conjunction(longValue(n, "id"), integer(n, "clause", 0),
                    integer(n, "n-clauses", 0));
            default -> throw new FlowParseException("unknown action type '" + type + "' in " + n);
        };
    }

    private static Action.Ct ct(JsonNode n) {
        JsonNode nat = n.path("nat");
        Action.Nat parsedNat = null;
        if (!nat.isMissingNode()) {
            Action.Nat.Kind kind;
            try {
                kind = Action.Nat.Kind.valueOf(nat.path("kind").asText("").toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new FlowParseException("nat kind must be existing, src or dst: " + nat);
            }
            parsedNat = new Action.Nat(kind, unsigned(nat.path("ip-min"), 0), unsigned(nat.path("ip-max"), 0),
                    integer(nat, "port-min", 0), integer(nat, "port-max", 0));
        }
        return new Action.Ct(n.path("commit").asBoolean(false), integer(n, "zone", 0),
                n.has("zone-field") ? field(n.get("zone-field").asText("")) : null,
                integer(n, "table", Action.CT_NO_TABLE), parsedNat,
                n.has("mark") ? unsigned(n.get("mark"), 0) : null);
    }

    // ---- values ---------------------------------------------------------------------------------------------

    private static String name(MatchField f) {
        return f.name().toLowerCase(Locale.ROOT);
    }

    private static MatchField field(String name) {
        try {
            return MatchField.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new FlowParseException("unknown match field '" + name + "'");
        }
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    private static long unsigned(JsonNode n, long absent) {
        return n == null || n.isMissingNode() || n.isNull() ? absent : unsigned(n.asText(), "value");
    }

    private static long unsigned(String text, String what) {
        if (!text.startsWith("0x") || text.length() < 3 || text.length() > 18) {
            throw new FlowParseException(what + ": expected 0x and 1-16 hex digits, got '" + text + "'");
        }
        try {
            return Long.parseUnsignedLong(text.substring(2), 16);
        } catch (NumberFormatException e) {
            throw new FlowParseException(what + ": expected 0x and 1-16 hex digits, got '" + text + "'");
        }
    }

    private static int integer(JsonNode n, String key, int absent) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            return absent;
        }
        if (!v.canConvertToInt()) {
            throw new FlowParseException(key + " must be an integer, not " + v);
        }
        return v.intValue();
    }

    private static long longValue(JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (v == null || !v.canConvertToLong()) {
            throw new FlowParseException(key + " must be an integer, not " + v);
        }
        return v.longValue();
    }
}
