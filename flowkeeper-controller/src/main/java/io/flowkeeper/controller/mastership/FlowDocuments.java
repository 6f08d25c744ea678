package io.flowkeeper.controller.mastership;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.FlowParseException;
import io.flowkeeper.api.flow.OfctlText;
import io.flowkeeper.api.store.DataPath;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;

/**
 * Where switch data lives in the datastore and how flows are written there. Pure functions, shared by the REST
 * routes (writers) and the switch masters (readers).
 * <pre>
 * inventory-config       /flows/{dpid}/{flow-id}  {"id": ..., "flow": "table=0,priority=..,cookie=0xf1..,...,actions=.."}
 * inventory-operational  /switches/{dpid}         master, generation, ports and port counters, flow count, time
 *                        /flows/{dpid}            the flows the master last dumped, with packet and byte counters
 * ownership              /entities/openflow:{dpid}
 * </pre>
 * {@code dpid} is 16 lower-case hex digits. Every flow Flowkeeper programs carries cookie prefix {@code 0xf1} in
 * its top byte (the rest is a hash of its id unless the caller chose one), so reconciliation can tell our flows
 * from an operator's.
 */
public final class FlowDocuments {
    public static final String CONFIG_SHARD = "inventory-config";
    public static final String OPERATIONAL_SHARD = "inventory-operational";
    public static final long COOKIE_PREFIX = 0xf100000000000000L;
    public static final long COOKIE_MASK = 0xff00000000000000L;

    static final ObjectMapper JSON = new ObjectMapper();

    private FlowDocuments() {}

    /** Accepts {@code 1}, {@code 0x1}, {@code 00:00:00:00:00:00:00:01} or 16 hex digits. */
    public static long parseDpid(String text) {
        String t = text.toLowerCase(Locale.ROOT).replace(":", "");
        if (t.startsWith("0x")) {
            t = t.substring(2);
        }
        if (!t.matches("[0-9a-f]{1,16}")) {
            throw new IllegalArgumentException("invalid datapath id '" + text + "': expected up to 16 hex digits");
        }
        return Long.parseUnsignedLong(t, 16);
    }

    public static String dpid(long dpid) {
        return String.format("%016x", dpid);
    }

    public static String entity(long dpid) {
        return "openflow:" + dpid(dpid);
    }

    /** The dpid of an {@code openflow:} entity, or -1 for other entities. */
    public static long dpidOfEntity(String entity) {
        return entity.startsWith("openflow:") ? parseDpid(entity.substring("openflow:".length())) : -1;
    }

    public static DataPath desiredPrefix(long dpid) {
        return DataPath.of("/flows/" + dpid(dpid));
    }

    public static DataPath desiredPath(long dpid, String flowId) {
        return desiredPrefix(dpid).child(checkFlowId(flowId));
    }

    public static DataPath switchPath(long dpid) {
        return DataPath.of("/switches/" + dpid(dpid));
    }

    public static DataPath actualPath(long dpid) {
        return DataPath.of("/flows/" + dpid(dpid));
    }

    public static String checkFlowId(String id) {
        if (id == null || !id.matches("[A-Za-z0-9._:@-]{1,128}") || id.equals(".") || id.equals("..")) {
            throw new IllegalArgumentException("invalid flow id '" + id + "' (1-128 of A-Z a-z 0-9 . _ : @ -)");
        }
        return id;
    }

    /** The flow id from the last segment of a desired-flow path. */
    public static String flowIdOf(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /**
     * Parses a flow given to the API in ovs-ofctl syntax, assigning our cookie when none is given.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static Flow parseFlow(String flowId, String ofctl) {
        Flow f;
        try {
            f = OfctlText.parse(ofctl);
        } catch (FlowParseException e) {
            throw new IllegalArgumentException("flow " + flowId + ": " + e.getMessage());
        }
        if (f.cookie() == 0) {
            return f.withCookie(COOKIE_PREFIX | (hash64(flowId) & ~COOKIE_MASK));
        }
        if ((f.cookie() & COOKIE_MASK) != COOKIE_PREFIX) {
            throw new IllegalArgumentException("flow " + flowId + ": cookie 0x" + Long.toHexString(f.cookie())
                    + " lacks Flowkeeper's prefix 0xf1 in its top byte; leave the cookie out and one is assigned");
        }
        return f;
    }

    /** The stored document for a flow (already parsed, so its text is canonical). */
    public static String document(String flowId, Flow flow) {
        return JSON.createObjectNode().put("id", flowId).put("flow", OfctlText.format(flow))
                .put("identity", identity(flow)).toString();
    }

    /**
     * Table, priority and match as one string: two flows with equal identities are one switch flow. Stored in the
     * document so a writer can check a batch against thousands of stored flows without parsing them.
     */
    public static String identity(Flow flow) {
        return flow.tableId() + "/" + flow.priority() + "/" + OfctlText.formatMatch(flow.match());
    }

    /** The identity stored in a document (documents written before it existed are parsed). */
    public static String identityOf(String documentJson) {
        JsonNode n = read(documentJson);
        return n.has("identity") ? n.get("identity").asText() : identity(OfctlText.parse(n.path("flow").asText()));
    }

    /** Reads a stored document back. */
    public static Flow flowOf(String documentJson) {
        return OfctlText.parse(read(documentJson).path("flow").asText());
    }

    static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** FNV-1a: stable across JVMs and releases, unlike String.hashCode's 32 bits being too few here. */
    static long hash64(String s) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < s.length(); i++) {
            h ^= s.charAt(i);
            h *= 0x100000001b3L;
        }
        return h;
    }
}
