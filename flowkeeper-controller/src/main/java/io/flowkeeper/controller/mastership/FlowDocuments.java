package io.flowkeeper.controller.mastership;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.FlowJson;
import io.flowkeeper.api.flow.FlowParseException;
import io.flowkeeper.api.flow.OfctlText;
import io.flowkeeper.api.store.DataPath;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Where switch data lives in the datastore and how flows are written there. Pure functions, shared by the REST
 * routes (writers) and the switch masters (readers).
 * <pre>
 * inventory-config       /flows/{dpid}/{flow-id}     {"id": ..., "flow": {"table": 0, "priority": .., "match": {..}, ..}}
 *                        /flow-ids/{dpid}/{key}      {"id": ...}: the flow holding this identity (table, priority,
 *                                                    match); key = 32 hex digits of its SHA-256
 * inventory-operational  /switches/{dpid}            master, generation, ports and port counters, flow count, time,
 *                                                    the flows the switch refused
 *                        /flows/{dpid}            the flows the master last dumped, with packet and byte counters
 * ownership              /entities/openflow:{dpid}
 * </pre>
 * {@code dpid} is 16 lower-case hex digits. Every flow Flowkeeper programs carries cookie prefix {@code 0xf1} in
 * its top byte (the rest is a hash of its id unless the caller chose one), so reconciliation can tell our flows
 * from an operator's.
 *
 * <p>Flows are stored as structured JSON ({@link FlowJson}); ovs-ofctl text is for the REST API and the CLI only.
 * Documents written before that hold the flow as ovs-ofctl text: {@link #flowOf} reads both, and the next write of
 * a flow stores it structured. Such an old flow has no identity key until its switch's master migrates it
 * ({@link DesiredFlows#migrate}).
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

    /** The stored document for a flow. */
    public static String document(String flowId, Flow flow) {
        ObjectNode n = JSON.createObjectNode().put("id", flowId);
        n.set("flow", FlowJson.toJson(flow));
        return n.toString();
    }

    /** Table, priority and match as ovs-ofctl text, for people (the desired view shows it). */
    public static String identity(Flow flow) {
        return flow.tableId() + "/" + flow.priority() + "/" + OfctlText.formatMatch(flow.match());
    }

    /**
     * Where the index names the flow holding this flow's identity (table, priority, match). The key is a hash of
     * the identity's canonical JSON, which is lossless (ovs-ofctl text drops a VLAN mask): 128 bits, so two
     * identities sharing a key are not a practical concern.
     */
    public static DataPath identityPath(long dpid, Flow flow) {
        byte[] digest;
        try {
            digest = MessageDigest.getInstance("SHA-256")
                    .digest(FlowJson.identity(flow.id()).getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
        return DataPath.of("/flow-ids/" + dpid(dpid) + "/" + HexFormat.of().formatHex(digest, 0, 16));
    }

    /** The index document: which flow id holds an identity. */
    public static String identityDocument(String flowId) {
        return JSON.createObjectNode().put("id", flowId).toString();
    }

    /** The flow id an index document names. */
    public static String idOfIdentityDocument(String json) {
        return read(json).path("id").asText();
    }

    /**
     * Reads a stored document back: structured, or ovs-ofctl text as written before flows were stored structured.
     *
     * @throws IllegalArgumentException when the document holds no readable flow
     */
    public static Flow flowOf(String documentJson) {
        JsonNode flow = read(documentJson).path("flow");
        return flow.isTextual() ? OfctlText.parse(flow.asText()) : FlowJson.fromJson(flow);
    }

    /** Whether a stored document still holds its flow as ovs-ofctl text (written before structured documents). */
    public static boolean isTextDocument(String documentJson) {
        return read(documentJson).path("flow").isTextual();
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
