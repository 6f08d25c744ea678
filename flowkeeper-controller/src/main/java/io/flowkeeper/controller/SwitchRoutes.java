package io.flowkeeper.controller;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.flow.Action;
import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.FlowId;
import io.flowkeeper.api.flow.OfctlText;
import io.flowkeeper.api.ownership.EntityOwnership;
import io.flowkeeper.api.ownership.NodeLease;
import io.flowkeeper.api.ownership.OwnershipService;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.VersionedValue;
import io.flowkeeper.controller.RestServer.HttpError;
import io.flowkeeper.controller.mastership.DesiredFlows;
import io.flowkeeper.controller.mastership.FlowDocuments;
import io.flowkeeper.controller.mastership.Mastership;
import io.flowkeeper.controller.mastership.SwitchMaster;
import io.flowkeeper.api.switches.FlowStats;
import io.flowkeeper.api.switches.SwitchException;
import io.flowkeeper.api.switches.PacketService;
import io.flowkeeper.api.switches.Switch;
import io.flowkeeper.api.flow.reconcile.ReconcilePlan;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The switch, flow and ownership routes, and the calls that must run on a switch's master:
 * <pre>
 * GET    /v1/switches                              every switch: master, generation, candidates, flow counts
 * GET    /v1/switches/{dpid}                       one switch, with ports and port counters, and the desired
 *                                                  flows the switch refused ("refused": id, flow, error)
 * GET    /v1/switches/{dpid}/flows?view=desired    the flows pushed through the API (default)
 *                                   ?view=actual   what the master's statistics manager last saw on the switch
 *                                   ?view=diff     desired vs actual: missing, changed, extra
 *                                   ?view=live     a live dump, run on the master (remote call)
 * PUT    /v1/switches/{dpid}/flows/{id}            one flow: ovs-ofctl text, or {"flow": "..."}
 * DELETE /v1/switches/{dpid}/flows/{id}
 * POST   /v1/switches/{dpid}/flows                 a batch, atomically: {"flows": [{"id","flow"}], "delete": [ids]}
 * GET    /v1/switches/{dpid}/role                  the master's role and generation (remote call)
 * POST   /v1/switches/{dpid}/packet-out            {"in-port", "actions": "output:2", "packet": hex} (remote call)
 * GET    /v1/ownership                             entities (owner, generation, candidates) and node leases
 * </pre>
 * Remote calls are accepted by any node and forwarded to the master over {@code /v1/internal/} with the node
 * token; the answer is the master's, so the caller cannot tell which node served it.
 */
final class SwitchRoutes {
    private static final String FORWARDED = "X-Flowkeeper-Forwarded";

    private final RestServer rest;
    private final DatastoreService store;
    private final OwnershipService ownership;
    private final Mastership mastership;
    private final PacketService packets;
    private final DesiredFlows desiredFlows;
    private final String nodeToken;
    private final Map<String, RestClient> peers = new HashMap<>();

    SwitchRoutes(RestServer rest, DatastoreService store, OwnershipService ownership, Mastership mastership,
                 PacketService packets, String nodeToken) {
        this.rest = rest;
        this.store = store;
        this.ownership = ownership;
        this.mastership = mastership;
        this.packets = packets;
        this.desiredFlows = new DesiredFlows(store);
        this.nodeToken = nodeToken;
    }

    void mountOn(RestServer server) {
        server.mount("switches", (ex, method, parts, q) -> switches(ex, method, parts, q, false));
        server.mount("ownership", (ex, method, parts, q) -> {
            RestServer.requireMethod(method, "GET");
            RestServer.send(ex, 200, ownershipJson());
        });
        // /v1/internal/switches/{dpid}/{call}: a call forwarded by another node; run here or fail, never forward.
        server.mount("internal", (ex, method, parts, q) -> {
            if (parts.length < 4 || !parts[3].equals("switches")) {
                throw new HttpError(404, "no such internal route");
            }
            String[] shifted = new String[parts.length - 1];
            shifted[0] = "";
            System.arraycopy(parts, 2, shifted, 1, parts.length - 2);
            shifted[1] = "v1";
            switches(ex, method, shifted, q, true);
        });
    }

    private static ReadConsistency consistency(Map<String, String> q) {
        return "stale".equals(q.get("consistency")) ? ReadConsistency.STALE : ReadConsistency.LINEARIZABLE;
    }

    private void switches(RestExchange ex, String method, String[] parts, Map<String, String> q, boolean internal)
            throws IOException {
        // parts: "", "v1", "switches", dpid, sub, id
        if (parts.length == 3 || (parts.length == 4 && parts[3].isEmpty())) {
            RestServer.requireMethod(method, "GET");
            RestServer.send(ex, 200, listSwitches(consistency(q)));
            return;
        }
        long dpid = FlowDocuments.parseDpid(parts[3]);
        if (parts.length == 4) {
            RestServer.requireMethod(method, "GET");
            RestServer.send(ex, 200, switchJson(dpid, consistency(q)));
            return;
        }
        switch (parts[4]) {
            case "flows" -> {
                if (parts.length == 5) {
                    RestServer.requireMethod(method, "GET", "POST");
                    if (method.equals("GET")) {
                        String view = q.getOrDefault("view", "desired");
                        if (view.equals("live")) {
                            remote(ex, dpid, "live-flows", method, null, internal);
                        } else {
                            RestServer.send(ex, 200, flowsView(dpid, view, consistency(q)));
                        }
                    } else {
                        RestServer.send(ex, 200, batch(dpid, rest.body(ex)));
                    }
                } else if (parts.length == 6) {
                    RestServer.requireMethod(method, "PUT", "DELETE");
                    String id = FlowDocuments.checkFlowId(parts[5]);
                    if (method.equals("PUT")) {
                        RestServer.send(ex, 200, putFlow(dpid, id, rest.readBody(ex)));
                    } else {
                        long revision = write(dpid, Map.of(), List.of(id));
                        RestServer.send(ex, 200, RestServer.JSON.createObjectNode().put("deleted", id)
                                .put("revision", revision));
                    }
                } else {
                    throw new HttpError(404, "no such route");
                }
            }
            case "role" -> {
                RestServer.requireMethod(method, "GET");
                remote(ex, dpid, "role", method, null, internal);
            }
            case "packet-out" -> {
                RestServer.requireMethod(method, "POST");
                remote(ex, dpid, "packet-out", method, rest.readBody(ex), internal);
            }
            default -> throw new HttpError(404, "no such route: /v1/switches/{dpid}/" + parts[4]);
        }
    }

    // ---- flows ----

    private JsonNode putFlow(long dpid, String id, String body) {
        String text = body.strip();
        if (text.startsWith("{")) {
            JsonNode n;
            try {
                n = RestServer.JSON.readTree(text);
            } catch (IOException e) {
                throw new HttpError(400, "malformed JSON: " + e.getMessage().lines().findFirst().orElse(""));
            }
            text = n.path("flow").asText("");
        }
        if (text.isEmpty()) {
            throw new HttpError(400, "empty flow: send ovs-ofctl text (e.g. 'table=0,priority=10,ip,actions=NORMAL')"
                    + " or {\"flow\": \"...\"}");
        }
        Flow flow = FlowDocuments.parseFlow(id, text);
        long revision = write(dpid, Map.of(id, flow), List.of());
        return RestServer.JSON.createObjectNode().put("id", id).put("flow", OfctlText.format(flow))
                .put("revision", revision);
    }

    private JsonNode batch(long dpid, JsonNode body) {
        Map<String, Flow> flows = new LinkedHashMap<>();
        java.util.Set<String> deletes = new java.util.LinkedHashSet<>();
        int i = 0;
        for (JsonNode n : body.path("flows")) {
            String id;
            try {
                id = FlowDocuments.checkFlowId(n.path("id").asText(null));
            } catch (IllegalArgumentException e) {
                throw new HttpError(400, "flows[" + i + "]: " + e.getMessage());
            }
            if (flows.put(id, FlowDocuments.parseFlow(id, n.path("flow").asText(""))) != null) {
                throw new HttpError(400, "flows[" + i + "]: id " + id + " appears twice in the batch");
            }
            i++;
        }
        for (JsonNode n : body.path("delete")) {
            deletes.add(FlowDocuments.checkFlowId(n.asText(null)));
        }
        if (flows.isEmpty() && deletes.isEmpty()) {
            throw new HttpError(400, "empty batch: expected {\"flows\": [{\"id\", \"flow\"}], \"delete\": [ids]}");
        }
        long revision = write(dpid, flows, deletes);
        return RestServer.JSON.createObjectNode().put("written", flows.size()).put("deleted", deletes.size())
                .put("revision", revision);
    }

    /** Two ids for one (table, priority, match) would fight over one switch flow: refused with a 409. */
    private long write(long dpid, Map<String, Flow> puts, java.util.Collection<String> deletes) {
        try {
            return desiredFlows.write(dpid, puts, deletes);
        } catch (DesiredFlows.IdentityConflict e) {
            throw new HttpError(409, e.getMessage());
        }
    }

    private JsonNode flowsView(long dpid, String view, ReadConsistency consistency) {
        ObjectNode out = RestServer.JSON.createObjectNode().put("dpid", FlowDocuments.dpid(dpid)).put("view", view);
        switch (view) {
            case "desired" -> {
                DatastoreService.Snapshot s = store.list(FlowDocuments.CONFIG_SHARD, FlowDocuments.desiredPrefix(dpid),
                        consistency);
                out.put("revision", s.revision());
                ArrayNode flows = out.putArray("flows");
                for (VersionedValue v : s.values()) {
                    Flow f = flowOf(v);
                    flows.addObject().put("id", FlowDocuments.flowIdOf(v.path())).put("flow", OfctlText.format(f))
                            .put("identity", FlowDocuments.identity(f));
                }
            }
            case "actual" -> {
                Optional<VersionedValue> v = store.get(FlowDocuments.OPERATIONAL_SHARD, FlowDocuments.actualPath(dpid),
                        consistency);
                if (v.isEmpty()) {
                    throw new HttpError(404, "no statistics for switch " + FlowDocuments.dpid(dpid)
                            + " yet: is it connected, with a master?");
                }
                out.setAll((ObjectNode) read(v.get().json()));
            }
            case "diff" -> out.setAll(diff(dpid, consistency));
            default -> throw new HttpError(400, "view must be desired, actual, diff or live; got '" + view + "'");
        }
        return out;
    }

    private ObjectNode diff(long dpid, ReadConsistency consistency) {
        List<Flow> desired = new ArrayList<>();
        Map<FlowId, String> idOf = new HashMap<>();
        for (VersionedValue v : store.list(FlowDocuments.CONFIG_SHARD, FlowDocuments.desiredPrefix(dpid),
                consistency).values()) {
            Flow f = flowOf(v);
            if (idOf.putIfAbsent(f.id(), FlowDocuments.flowIdOf(v.path())) == null) {
                desired.add(f);
            }
        }
        Optional<VersionedValue> actualDoc = store.get(FlowDocuments.OPERATIONAL_SHARD,
                FlowDocuments.actualPath(dpid), consistency);
        if (actualDoc.isEmpty()) {
            throw new HttpError(404, "no statistics for switch " + FlowDocuments.dpid(dpid) + " yet");
        }
        JsonNode actualJson = read(actualDoc.get().json());
        List<Flow> actual = new ArrayList<>();
        actualJson.path("flows").forEach(n -> actual.add(OfctlText.parse(n.path("flow").asText())));
        ReconcilePlan plan = SwitchMaster.diff(desired, actual);
        ObjectNode out = RestServer.JSON.createObjectNode();
        out.put("in-sync", plan.isEmpty() && !actualJson.path("truncated").asBoolean())
                .put("actual-updated-ms", actualJson.path("updated-ms").asLong());
        ArrayNode missing = out.putArray("missing");
        plan.add().forEach(f -> missing.addObject().put("id", idOf.get(f.id())).put("flow", OfctlText.format(f)));
        ArrayNode changed = out.putArray("changed");
        for (Flow f : plan.modify()) {
            changed.addObject().put("id", idOf.get(f.id())).put("flow", OfctlText.format(f));
        }
        for (Flow f : plan.replace()) {
            changed.addObject().put("id", idOf.get(f.id())).put("flow", OfctlText.format(f));
        }
        ArrayNode extra = out.putArray("extra");
        plan.delete().forEach(f -> extra.addObject().put("flow", OfctlText.format(f)));
        return out;
    }

    // ---- switches and ownership ----

    /**
     * Every switch, from three reads whatever their number: the ownership entities, the switch documents and the
     * desired flows of all switches (counted by the datapath id in their path). Reading them switch by switch cost
     * three reads per switch, through the leader by default: seconds for a hundred switches. The two lists are read
     * together ({@link DatastoreService#listAll}): one round to the shard leaders, not two (~200 ms each at 1,000
     * switches on the bench machine, where the whole answer cost ~16 ms of CPU).
     */
    private JsonNode listSwitches(ReadConsistency consistency) {
        Map<Long, EntityOwnership> owners = new TreeMap<>(Long::compareUnsigned);
        for (EntityOwnership e : ownership.entities()) {
            if (e.entity().startsWith("openflow:")) {
                try {
                    owners.put(FlowDocuments.dpidOfEntity(e.entity()), e);
                } catch (IllegalArgumentException bad) {
                    // no switch can have it (issue 15, D1): not listed
                }
            }
        }
        List<DatastoreService.Snapshot> lists = store.listAll(List.of(
                new DatastoreService.ListQuery(FlowDocuments.OPERATIONAL_SHARD, DataPath.of("/switches")),
                new DatastoreService.ListQuery(FlowDocuments.CONFIG_SHARD, DataPath.of("/flows"))), consistency);
        Map<Long, VersionedValue> documents = new TreeMap<>(Long::compareUnsigned);
        for (VersionedValue v : lists.get(0).values()) {
            documents.put(FlowDocuments.parseDpid(FlowDocuments.flowIdOf(v.path())), v);
        }
        Map<Long, Integer> desired = new TreeMap<>(Long::compareUnsigned);
        for (VersionedValue v : lists.get(1).values()) {
            List<String> segments = DataPath.of(v.path()).segments(); // flows, dpid, id
            if (segments.size() == 3) {
                try {
                    desired.merge(FlowDocuments.parseDpid(segments.get(1)), 1, Integer::sum);
                } catch (IllegalArgumentException bad) {
                    // not a switch's flow
                }
            }
        }
        java.util.Set<Long> dpids = new java.util.TreeSet<>(Long::compareUnsigned);
        dpids.addAll(owners.keySet());
        dpids.addAll(documents.keySet());
        Map<String, SwitchSummary> before = summaries;
        Map<String, SwitchSummary> now = new HashMap<>(documents.size() * 2);
        ArrayNode list = RestServer.JSON.createArrayNode();
        for (long dpid : dpids) {
            Optional<EntityOwnership> e = Optional.ofNullable(owners.get(dpid));
            ObjectNode o = switchHead(dpid, e, desired.getOrDefault(dpid, 0));
            VersionedValue document = documents.get(dpid);
            if (document != null) {
                SwitchSummary summary = before.get(document.path());
                if (summary == null || summary.modRevision() != document.modRevision()) {
                    summary = SwitchSummary.of(document.modRevision(), read(document.json()));
                }
                now.put(document.path(), summary);
                summary.writeTo(o);
            }
            list.add(o);
        }
        summaries = now;
        return RestServer.JSON.createObjectNode().set("switches", list);
    }

    /**
     * What the switch list shows of a switch document, and the revision it was read at. At 1,000 switches parsing
     * every document for each list was a quarter of its CPU, though few change between two lists (statistics back
     * off on idle switches): a document is parsed again only when its revision moved. Replaced whole by each list,
     * so removed switches leave with it.
     */
    private record SwitchSummary(long modRevision, int flows, String address, int openflowVersion, long updatedMs,
                                 int refused) {
        static SwitchSummary of(long modRevision, JsonNode s) {
            return new SwitchSummary(modRevision, s.path("flows").asInt(), s.path("address").asText(),
                    s.path("openflow-version").asInt(), s.path("updated-ms").asLong(), s.path("refused").size());
        }

        void writeTo(ObjectNode o) {
            o.put("flows", flows).put("address", address).put("openflow-version", openflowVersion)
                    .put("stats-updated-ms", updatedMs).put("refused-flows", refused);
        }
    }

    private volatile Map<String, SwitchSummary> summaries = Map.of();

    private ObjectNode switchJson(long dpid, ReadConsistency consistency) {
        Optional<EntityOwnership> e = ownership.entity(FlowDocuments.entity(dpid));
        Optional<VersionedValue> document = store.get(FlowDocuments.OPERATIONAL_SHARD, FlowDocuments.switchPath(dpid),
                consistency);
        if (e.isEmpty() && document.isEmpty()) {
            throw new HttpError(404, "unknown switch " + FlowDocuments.dpid(dpid));
        }
        int desired = store.list(FlowDocuments.CONFIG_SHARD, FlowDocuments.desiredPrefix(dpid), consistency)
                .values().size();
        return switchJson(dpid, e, document, desired);
    }

    /** One switch with its ports and refused flows (GET /v1/switches/{dpid}). */
    private ObjectNode switchJson(long dpid, Optional<EntityOwnership> e, Optional<VersionedValue> document,
                                  int desiredFlows) {
        ObjectNode o = switchHead(dpid, e, desiredFlows);
        document.ifPresent(v -> {
            JsonNode s = read(v.json());
            SwitchSummary.of(v.modRevision(), s).writeTo(o);
            o.set("ports", s.path("ports"));
            o.set("refused", s.path("refused").isArray() ? s.get("refused") : RestServer.JSON.createArrayNode());
        });
        return o;
    }

    /** What a switch's entry holds whether or not it has a document: mastership and desired flows. */
    private static ObjectNode switchHead(long dpid, Optional<EntityOwnership> e, int desiredFlows) {
        ObjectNode o = RestServer.JSON.createObjectNode().put("dpid", FlowDocuments.dpid(dpid));
        o.put("master", e.map(EntityOwnership::owner).orElse(null));
        o.put("generation", e.map(EntityOwnership::generation).orElse(0L));
        ArrayNode candidates = o.putArray("connected-to");
        e.ifPresent(x -> x.candidates().forEach(candidates::add));
        o.put("desired-flows", desiredFlows);
        return o;
    }

    private JsonNode ownershipJson() {
        ObjectNode out = RestServer.JSON.createObjectNode();
        ArrayNode entities = out.putArray("entities");
        for (EntityOwnership e : ownership.entities()) {
            ObjectNode n = entities.addObject().put("entity", e.entity()).put("owner", e.owner())
                    .put("generation", e.generation());
            e.candidates().forEach(n.putArray("candidates")::add);
        }
        ArrayNode nodes = out.putArray("nodes");
        for (NodeLease l : ownership.leases()) {
            nodes.addObject().put("node", l.node()).put("alive", l.alive()).put("renewals", l.renewals())
                    .put("incarnation", l.incarnation());
        }
        return out;
    }

    // ---- remote calls ----

    /**
     * Runs a call on the switch's master: here if this node is master, else forwarded once to the owner's node.
     * A forwarded call that finds its target no longer master answers 503, and the caller may retry.
     */
    private void remote(RestExchange ex, long dpid, String call, String method, String body, boolean internal)
            throws IOException {
        String dp = FlowDocuments.dpid(dpid);
        Optional<SwitchMaster> local = mastership.localSwitch(dpid).filter(SwitchMaster::isMaster);
        if (local.isPresent()) {
            RestServer.send(ex, 200, runLocally(local.get(), call, body));
            return;
        }
        if (internal || ex.header(FORWARDED) != null) {
            throw new HttpError(503, "switch " + dp + " is not mastered by the node this call was forwarded to;"
                    + " mastership is moving, retry");
        }
        EntityOwnership e = ownership.entity(FlowDocuments.entity(dpid))
                .orElseThrow(() -> new HttpError(404, "unknown switch " + dp));
        if (e.owner() == null) {
            throw new HttpError(503, "switch " + dp + " has no master (no live node is connected to it)");
        }
        String address = ownership.leases().stream().filter(l -> l.node().equals(e.owner()))
                .map(NodeLease::rpcAddress).findFirst().orElse("");
        if (address.isEmpty() || e.owner().equals(mastership.nodeId())) {
            throw new HttpError(503, "switch " + dp + ": master " + e.owner() + " is not reachable yet; retry");
        }
        RestClient peer;
        synchronized (peers) {
            peer = peers.computeIfAbsent(address, a -> rest.peerClient(a, nodeToken));
        }
        String path = "/v1/internal/switches/" + dp + "/" + switch (call) {
            case "live-flows" -> "flows?view=live";
            default -> call;
        };
        RestClient.Response r;
        try {
            r = peer.send(method, path, body);
        } catch (IOException io) {
            throw new HttpError(503, "switch " + dp + ": master " + e.owner() + " did not answer: " + io.getMessage());
        }
        RestServer.send(ex, r.status(), r.body().isMissingNode() ? RestServer.JSON.createObjectNode() : r.body());
    }

    private JsonNode runLocally(SwitchMaster sm, String call, String body) {
        Switch c = sm.connection();
        ObjectNode out = RestServer.JSON.createObjectNode().put("dpid", FlowDocuments.dpid(sm.dpid()));
        try {
            switch (call) {
                case "role" -> out.put("role", c.role().name()).put("generation", c.generationId());
                case "live-flows" -> {
                    List<FlowStats> flows = c.flowStats();
                    out.put("view", "live").put("total", flows.size());
                    ArrayNode list = out.putArray("flows");
                    flows.forEach(f -> list.addObject().put("flow", OfctlText.format(f.flow()))
                            .put("packets", f.packets()).put("bytes", f.bytes()));
                }
                case "packet-out" -> {
                    JsonNode n = read(body == null || body.isBlank() ? "{}" : body);
                    String actions = n.path("actions").asText("");
                    String packet = n.path("packet").asText("");
                    if (actions.isEmpty() || packet.isEmpty() || !n.path("in-port").canConvertToLong()) {
                        throw new HttpError(400, "expected {\"in-port\": N, \"actions\": \"output:2\", "
                                + "\"packet\": \"<hex>\"}");
                    }
                    List<Action> list = OfctlText.parse("actions=" + actions).instructions().applyActions();
                    byte[] data;
                    try {
                        data = HexFormat.of().parseHex(packet);
                    } catch (IllegalArgumentException e) {
                        throw new HttpError(400, "packet must be hex: " + e.getMessage());
                    }
                    packets.packetOut(sm.dpid(), n.get("in-port").asLong(), list, data);
                    out.put("sent-bytes", data.length);
                }
                default -> throw new HttpError(404, "no such call " + call);
            }
        } catch (SwitchException e) {
            throw new HttpError(503, "switch " + FlowDocuments.dpid(sm.dpid()) + ": " + e.getMessage());
        }
        return out;
    }

    private static Flow flowOf(VersionedValue v) {
        try {
            return FlowDocuments.flowOf(v.json());
        } catch (RuntimeException e) {
            throw new HttpError(500, "unreadable stored flow " + v.path() + ": " + e.getMessage());
        }
    }

    private static JsonNode read(String json) {
        try {
            return RestServer.JSON.readTree(json);
        } catch (IOException e) {
            throw new HttpError(500, "unreadable stored document: " + e.getMessage());
        }
    }
}
