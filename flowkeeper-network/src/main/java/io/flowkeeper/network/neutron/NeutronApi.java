package io.flowkeeper.network.neutron;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.network.ApiRequest;
import io.flowkeeper.network.ApiResponse;
import io.flowkeeper.network.NetworkSettings;
import io.flowkeeper.network.identity.Caller;
import io.flowkeeper.network.neutron.NeutronDocuments.Doc;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The Neutron v2.0 API of one node: routes a request to its collection, wraps and unwraps Neutron's JSON, runs
 * bulk creates, retries writes that lost a race, and answers lists with filters, fields, sorting and pagination.
 * Every read, and every write but a port create (see {@link #creating}), first waits for this replica to catch up
 * with the shard leader ({@link NeutronDocuments#barrier()}). Thread-safe: no state but the datastore.
 */
public final class NeutronApi {
    /** Writes that lose a race (an address or a document revision taken by another node) are retried this often. */
    static final int MAX_ATTEMPTS = 64;

    final NeutronDocuments docs;
    final NetworkSettings settings;
    final Clock clock;
    /**
     * Address, segment and MAC picks need spread, not secrecy (a claim, not the pick, makes them unique): a
     * per-thread generator, so 300 racing creates do not queue on one lock.
     */
    Random random() {
        return ThreadLocalRandom.current();
    }
    private final Map<String, Resource> resources = new LinkedHashMap<>();
    final Networks networks;
    final Subnets subnets;
    final Ports ports;
    final Routers routers;
    final SecurityGroups securityGroups;
    final SecurityGroupRules securityGroupRules;
    /** The agents' hosts: shown as Neutron agents, and what a port's binding:host_id is bound against. */
    final HostRegistry hosts;
    /** HA gateway placement and election: the routers' {@code l3-agents}. */
    final GatewayRegistry gateways;

    public NeutronApi(DatastoreService store, NetworkSettings settings, Clock clock) {
        this.docs = new NeutronDocuments(store);
        this.settings = settings;
        this.clock = clock;
        this.hosts = new HostRegistry(store, clock);
        this.gateways = new GatewayRegistry(store, clock);
        this.networks = add(new Networks(this));
        this.subnets = add(new Subnets(this));
        this.ports = add(new Ports(this));
        this.routers = add(new Routers(this));
        add(new FloatingIps(this));
        this.securityGroups = add(new SecurityGroups(this));
        this.securityGroupRules = add(new SecurityGroupRules(this));
    }

    private <T extends Resource> T add(T r) {
        resources.put(r.collection(), r);
        return r;
    }

    /** Answers a request under {@code /v2.0} for an authenticated caller; never throws. */
    public ApiResponse handle(ApiRequest req, Caller caller) {
        try {
            return route(req, caller);
        } catch (NeutronException e) {
            return error(e);
        }
    }

    public static ApiResponse error(NeutronException e) {
        ObjectNode err = NeutronDocuments.JSON.createObjectNode();
        err.putObject("NeutronError").put("type", e.type()).put("message", e.getMessage()).put("detail", "");
        return ApiResponse.of(e.status(), err);
    }

    private ApiResponse route(ApiRequest req, Caller caller) {
        String path = req.path();
        if (path.endsWith(".json")) {
            path = path.substring(0, path.length() - 5);
        }
        String[] parts = path.replaceAll("/+$", "").split("/"); // "", "v2.0", collection, id, action
        String method = req.method();
        if (parts.length == 2) {
            requireMethod(method, "GET");
            return ApiResponse.of(200, rootResources(req));
        }
        String collection = parts[2];
        switch (collection) {
            case "extensions" -> {
                requireMethod(method, "GET");
                return parts.length == 3 ? ApiResponse.of(200, Extensions.list())
                        : ApiResponse.of(200, Extensions.show(parts[3]));
            }
            case "agents" -> {
                return agents(req, caller, parts);
            }
            case "network-ip-availabilities" -> {
                requireMethod(method, "GET");
                docs.barrier();
                return ApiResponse.of(200, IpAvailability.answer(this, caller, parts.length > 3 ? parts[3] : null,
                        req));
            }
            default -> { }
        }
        Resource resource = resources.get(collection);
        if (resource == null) {
            throw NeutronException.notFound("HTTPNotFound", "The resource could not be found.");
        }
        if (parts.length == 3) {
            return switch (method) {
                case "GET" -> list(resource, req, caller);
                case "POST" -> create(resource, req, caller);
                default -> throw notAllowed(method);
            };
        }
        String id = parts[3];
        if (parts.length == 5 && resource == routers && parts[4].equals("l3-agents")) {
            return l3Agents(req, caller, id);
        }
        if (parts.length == 5 && resource == routers) {
            requireMethod(method, "PUT");
            JsonNode body = body(req, null);
            return ApiResponse.of(200, withRetries(() -> routers.interfaceAction(caller, id, parts[4], body)));
        }
        if (parts.length != 4) {
            throw NeutronException.notFound("HTTPNotFound", "The resource could not be found.");
        }
        return switch (method) {
            case "GET" -> {
                docs.barrier();
                ReadCache cache = new ReadCache(docs);
                Doc d = find(resource, caller, id);
                yield ApiResponse.of(200, wrap(resource.member(), fields(resource.view(caller, d, cache), req)));
            }
            case "PUT" -> {
                JsonNode inner = body(req, resource.member());
                Doc updated = withRetries(() -> {
                    Doc current = find(resource, caller, id);
                    checkIfMatch(req, current);
                    Body b = new Body(inner, resource.member());
                    return resource.update(caller, current, b, new ReadCache(docs));
                });
                yield ApiResponse.of(200, wrap(resource.member(), resource.view(caller, updated, new ReadCache(docs))));
            }
            case "DELETE" -> {
                withRetries(() -> {
                    Doc current = find(resource, caller, id);
                    checkIfMatch(req, current);
                    resource.delete(caller, current, new ReadCache(docs));
                    return null;
                });
                yield new ApiResponse(204, Map.of(), null);
            }
            default -> throw notAllowed(method);
        };
    }

    /**
     * {@code GET /v2.0/routers/{id}/l3-agents}: the gateway hosts of the router with their {@code ha_state}. Admin
     * only, as Neutron's policy ({@code get_l3-agents}); the router must exist and be visible to the caller.
     */
    private ApiResponse l3Agents(ApiRequest req, Caller caller, String routerId) {
        requireMethod(req.method(), "GET");
        if (!caller.isAdmin()) {
            throw NeutronException.forbidden("(rule:get_l3-agents) is disallowed by policy");
        }
        docs.barrier();
        find(routers, caller, routerId);
        return ApiResponse.of(200, Listing.answer("agents", gateways.l3Agents(routerId), req));
    }

    /**
     * {@code GET /v2.0/agents[/{id}]}, {@code PUT} (admin_state_up, description) and {@code DELETE
     * /v2.0/agents/{id}}: one Open vSwitch agent per registered host ({@link HostRegistry}). Admin only, as Neutron's
     * policy: others see an empty list.
     */
    private ApiResponse agents(ApiRequest req, Caller caller, String[] parts) {
        if (parts.length == 3 || !List.of("DELETE", "PUT").contains(req.method())) {
            requireMethod(req.method(), "GET");
        }
        List<ObjectNode> agents = caller.isAdmin() ? hosts.agents() : List.of();
        if (parts.length == 3) {
            return ApiResponse.of(200, Listing.answer("agents", agents, req));
        }
        ObjectNode agent = agents.stream().filter(a -> a.path("id").asText().equals(parts[3])).findFirst()
                .orElseThrow(() -> NeutronException.notFound("AgentNotFound", "Agent " + Body.abbreviate(parts[3])
                        + " could not be found."));
        if (req.method().equals("DELETE")) {
            hosts.forget(agent.path("host").asText());
            return new ApiResponse(204, Map.of(), null);
        }
        if (req.method().equals("PUT")) {
            return ApiResponse.of(200, wrap("agent", hosts.updateAgent(agent.path("host").asText(),
                    body(req, "agent"))));
        }
        return ApiResponse.of(200, wrap("agent", fields(agent, req)));
    }

    /** Runs a write, re-reading and trying again while it loses races to other writers. */
    <T> T withRetries(java.util.function.Supplier<T> write) {
        docs.barrier();
        return retrying(write);
    }

    /**
     * Runs a create of {@code resource}. One that pins its reads ({@link Resource#createPinsItsReads()}) first runs
     * on this replica's view as it is, skipping the barrier (a linearizable read and the wait for this replica, about
     * half of a port create's time): a success committed against a stale view is impossible, its preconditions
     * would have failed. Any other answer (a 404 for a network created a moment ago on another node, a 409 for a
     * pool whose addresses were just freed) may come from a stale view, so it is only given after a barrier and a
     * second run.
     */
    <T> T creating(Resource resource, java.util.function.Supplier<T> create) {
        if (!resource.createPinsItsReads()) {
            return withRetries(create);
        }
        try {
            return retrying(create);
        } catch (NeutronException e) {
            return withRetries(create);
        }
    }

    private <T> T retrying(java.util.function.Supplier<T> write) {
        for (int attempt = 1; ; attempt++) {
            try {
                return write.get();
            } catch (Resource.Retry r) {
                if (attempt >= MAX_ATTEMPTS) {
                    throw new NeutronException(409, "Conflict", "too many concurrent changes; retry");
                }
                docs.catchUp(r.revision);
            }
        }
    }

    Doc find(Resource resource, Caller caller, String id) {
        return docs.get(resource.collection(), id).filter(d -> resource.visible(caller, d.json()))
                .orElseThrow(() -> resource.notFound(id));
    }

    private static void checkIfMatch(ApiRequest req, Doc current) {
        String header = req.header("If-Match");
        if (header == null) {
            return;
        }
        for (String part : header.split(",")) {
            String p = part.trim();
            if (p.startsWith("revision_number=")
                    && !p.substring(16).equals(current.json().path("revision_number").asText())) {
                throw new NeutronException(412, "RevisionNumberConstraintFailed", "Constrained to " + p
                        + ", but current revision is " + current.json().path("revision_number").asText());
            }
        }
    }

    private ApiResponse create(Resource resource, ApiRequest req, Caller caller) {
        JsonNode top = parse(req);
        if (top.size() == 1 && top.has(resource.bodyKey()) && top.get(resource.bodyKey()).isArray()) {
            List<Doc> created = new ArrayList<>();
            try {
                for (JsonNode item : top.get(resource.bodyKey())) {
                    created.add(creating(resource, () -> resource.create(caller, new Body(item, resource.member()),
                            new ReadCache(docs))));
                }
            } catch (NeutronException e) {
                // Bulk create is all or nothing: undo what this request created before answering.
                for (Doc d : created) {
                    try {
                        withRetries(() -> {
                            docs.get(resource.collection(), d.id()).ifPresent(
                                    cur -> resource.delete(caller, cur, new ReadCache(docs)));
                            return null;
                        });
                    } catch (NeutronException ignored) {
                        // already gone or no longer deletable: nothing more to undo
                    }
                }
                throw e;
            }
            ReadCache cache = new ReadCache(docs);
            ArrayNode items = NeutronDocuments.JSON.createArrayNode();
            created.forEach(d -> items.add(resource.view(caller, d, cache)));
            ObjectNode out = NeutronDocuments.JSON.createObjectNode();
            out.set(resource.bodyKey(), items);
            return ApiResponse.of(201, out);
        }
        JsonNode inner = unwrap(top, resource.member());
        Doc d = creating(resource, () -> resource.create(caller, new Body(inner, resource.member()),
                new ReadCache(docs)));
        return ApiResponse.of(201, wrap(resource.member(), resource.view(caller, d, new ReadCache(docs))));
    }

    private ApiResponse list(Resource resource, ApiRequest req, Caller caller) {
        resource.beforeList(caller);
        docs.barrier();
        ReadCache cache = new ReadCache(docs);
        List<ObjectNode> views = new ArrayList<>();
        if (Listing.pageInIdOrder(req.query())) {
            // Documents are stored in id order, which is the page's order: parse only the page (and the marker).
            int limit = Integer.parseInt(req.param("limit"));
            String marker = req.param("marker");
            boolean started = marker == null;
            for (var v : docs.values(NeutronDocuments.ROOT + "/" + resource.collection())) {
                String id = v.path().substring(v.path().lastIndexOf('/') + 1);
                if (!started && !id.equals(marker)) {
                    continue;
                }
                Doc d = docs.parse(v);
                if (resource.visible(caller, d.json())) {
                    views.add(resource.view(caller, d, cache));
                }
                started = true;
                if (views.size() > limit + (marker == null ? 0 : 1)) {
                    break;
                }
            }
            return ApiResponse.of(200, Listing.answer(resource.bodyKey(), views, req));
        }
        List<Doc> read = resource.candidates(req.query())
                .orElseGet(() -> docs.list(resource.collection(), Listing.rawFilter(req.query())));
        for (Doc d : read) {
            if (resource.visible(caller, d.json())) {
                views.add(resource.view(caller, d, cache));
            }
        }
        return ApiResponse.of(200, Listing.answer(resource.bodyKey(), views, req));
    }

    static ObjectNode fields(ObjectNode view, ApiRequest req) {
        return Listing.fields(view, req.query().get("fields"));
    }

    static ObjectNode wrap(String member, ObjectNode view) {
        ObjectNode out = NeutronDocuments.JSON.createObjectNode();
        out.set(member, view);
        return out;
    }

    private static JsonNode parse(ApiRequest req) {
        String text = new String(req.body(), StandardCharsets.UTF_8);
        try {
            JsonNode n = NeutronDocuments.JSON.readTree(text);
            if (n == null || !n.isObject()) {
                throw NeutronException.badRequest("Malformed request body: expected a JSON object");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw NeutronException.badRequest("Malformed request body: " + Body.abbreviate(e.getOriginalMessage()));
        }
    }

    private static JsonNode unwrap(JsonNode top, String member) {
        if (top.size() != 1 || !top.has(member) || !top.get(member).isObject()) {
            throw NeutronException.badRequest("Resource body required: expected {\"" + member + "\": {...}}");
        }
        return top.get(member);
    }

    /** The body's inner object; with {@code member} null, the whole body (router interface actions). */
    private static JsonNode body(ApiRequest req, String member) {
        JsonNode top = parse(req);
        return member == null ? top : unwrap(top, member);
    }

    private static void requireMethod(String method, String allowed) {
        if (!method.equals(allowed)) {
            throw notAllowed(method);
        }
    }

    private static NeutronException notAllowed(String method) {
        return new NeutronException(405, "HTTPMethodNotAllowed", "Method " + method + " is not allowed here.");
    }

    private JsonNode rootResources(ApiRequest req) {
        ObjectNode out = NeutronDocuments.JSON.createObjectNode();
        ArrayNode list = out.putArray("resources");
        List<String> names = new ArrayList<>(resources.keySet());
        names.add("network-ip-availabilities");
        for (String c : names) {
            ObjectNode r = list.addObject().put("name", c.endsWith("s") ? c.substring(0, c.length() - 1) : c)
                    .put("collection", c);
            r.putArray("links").addObject().put("rel", "self").put("href", req.baseUrl() + "/v2.0/" + c);
        }
        return out;
    }
}
