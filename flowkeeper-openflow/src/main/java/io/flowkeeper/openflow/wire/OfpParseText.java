package io.flowkeeper.openflow.wire;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns {@code ovs-ofctl ofp-parse}'s description of a FLOW_MOD ({@code ADD table:2 priority=5,ip cookie:0x42
 * idle:10 actions=drop}) into a line {@code ovs-ofctl add-flows} accepts ({@code table=2,priority=5,ip,
 * cookie=0x42,idle_timeout=10,actions=drop}). OVS formats matches and actions itself, in the syntax its own
 * parser reads back, so only the header fields need renaming. Pure: no process is started here.
 */
public final class OfpParseText {
    private static final Map<String, String> HEADER_FIELDS = Map.of(
            "table", "table",
            "cookie", "cookie",
            "idle", "idle_timeout",
            "hard", "hard_timeout",
            "importance", "importance");

    private OfpParseText() {
    }

    /**
     * Converts one {@code ofp-parse} line.
     *
     * @throws IllegalArgumentException for a line that is not a FLOW_MOD ADD
     */
    public static String toAddFlowsLine(String ofpParseLine) {
        int add = ofpParseLine.indexOf("): ADD ");
        if (!ofpParseLine.startsWith("OFPT_FLOW_MOD") || add < 0) {
            throw new IllegalArgumentException("not a FLOW_MOD ADD: " + ofpParseLine);
        }
        String body = ofpParseLine.substring(add + "): ADD ".length()).strip();
        int actions = body.indexOf("actions=");
        if (actions < 0) {
            throw new IllegalArgumentException("no actions in: " + ofpParseLine);
        }
        List<String> parts = new ArrayList<>();
        for (String token : body.substring(0, actions).strip().split(" ")) {
            if (token.isEmpty()) {
                continue;
            }
            int colon = token.indexOf(':');
            int equals = token.indexOf('=');
            String key = colon > 0 && (equals < 0 || colon < equals) ? token.substring(0, colon) : null;
            if (key != null && HEADER_FIELDS.containsKey(key)) {
                parts.add(HEADER_FIELDS.get(key) + "=" + token.substring(colon + 1));
            } else {
                parts.add(token); // the match (priority=...,fields) or a flag such as send_flow_rem
            }
        }
        parts.add(body.substring(actions));
        return String.join(",", parts);
    }
}
