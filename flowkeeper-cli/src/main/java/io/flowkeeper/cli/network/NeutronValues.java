package io.flowkeeper.cli.network;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** How Neutron attribute values are written in one table cell: lists and objects flattened to one line. */
final class NeutronValues {
    private NeutronValues() {
    }

    /**
     * A value on one line: "-" for absent, null or empty; scalars as they are; a list of scalars joined by ", "; an
     * object as {@code key=value} pairs; a list of objects (fixed IPs, pools, host routes) joined by "; ".
     */
    static String text(JsonNode v) {
        if (v == null || v.isMissingNode() || v.isNull() || (v.isContainerNode() && v.isEmpty())) {
            return "-";
        }
        if (v.isArray()) {
            List<String> items = new ArrayList<>();
            boolean objects = false;
            for (JsonNode item : v) {
                objects |= item.isContainerNode();
                items.add(text(item));
            }
            return String.join(objects ? "; " : ", ", items);
        }
        if (v.isObject()) {
            List<String> pairs = new ArrayList<>();
            for (Map.Entry<String, JsonNode> e : (Iterable<Map.Entry<String, JsonNode>>) v::fields) {
                pairs.add(e.getKey() + "=" + (e.getValue().isContainerNode() ? "[" + text(e.getValue()) + "]"
                        : text(e.getValue())));
            }
            return String.join(" ", pairs);
        }
        return v.asText();
    }

    /** One field of every object of a list, joined by ", " ("10.0.0.5, 10.0.1.5" from fixed_ips). */
    static String each(JsonNode list, String field) {
        List<String> items = new ArrayList<>();
        list.forEach(item -> items.add(text(item.path(field))));
        return items.isEmpty() ? "-" : String.join(", ", items);
    }

    /** Allocation pools as {@code start-end} ranges. */
    static String pools(JsonNode pools) {
        List<String> ranges = new ArrayList<>();
        pools.forEach(p -> ranges.add(text(p.path("start")) + "-" + text(p.path("end"))));
        return ranges.isEmpty() ? "-" : String.join(", ", ranges);
    }

    /** A boolean as yes/no, "-" when absent. */
    static String yesNo(JsonNode v) {
        return v.isBoolean() ? (v.asBoolean() ? "yes" : "no") : "-";
    }
}
