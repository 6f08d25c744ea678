package io.flowkeeper.network.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.network.ApiRequest;
import io.flowkeeper.network.ApiResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The Keystone v3 subset the {@code openstack} client and tempest use: version discovery, password (and token)
 * authentication with project scope, token validation, read-only user/domain/role lists, and projects: those of the
 * node config's users (fixed: ids derived from names, so every node answers the same ids) and, given a
 * {@link ProjectRegistry}, those an admin creates, changes and deletes through {@code /identity/v3/projects}
 * (replicated). One domain, {@code Default}. Thread-safe.
 */
public final class Keystone {
    public static final String DOMAIN_ID = "default";
    public static final String DOMAIN_NAME = "Default";
    public static final String REGION = "RegionOne";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final IdentityConfig config;
    private final TokenCodec tokens;
    private final Clock clock;
    private final Supplier<List<String>> nodeUrls;
    private final ProjectRegistry projects;

    /**
     * @param nodeUrls every node's REST base URL ({@code http://host:port}), this node's first: the catalog's
     *     network endpoints
     */
    public Keystone(IdentityConfig config, TokenCodec tokens, Clock clock, Supplier<List<String>> nodeUrls) {
        this(config, tokens, clock, nodeUrls, null);
    }

    /** @param projects where created projects live; null: projects come from the config only (read-only) */
    public Keystone(IdentityConfig config, TokenCodec tokens, Clock clock, Supplier<List<String>> nodeUrls,
                    ProjectRegistry projects) {
        this.config = config;
        this.tokens = tokens;
        this.clock = clock;
        this.nodeUrls = nodeUrls;
        this.projects = projects;
    }

    /** A stable 32-hex id for a name of a kind ("project", "user", "role"), like Keystone's. */
    public static String id(String kind, String name) {
        return UUID.nameUUIDFromBytes((kind + ":" + name).getBytes(StandardCharsets.UTF_8)).toString().replace("-", "");
    }

    /** The caller a token stands for, or null when it is not a valid unexpired token. */
    public Caller authenticate(String token) {
        TokenCodec.Claims c = tokens.decode(token, clock.instant());
        return c == null ? null : c.caller();
    }

    public ApiResponse handle(ApiRequest req) {
        String path = req.path().replaceAll("/+$", "");
        try {
            if (path.equals("/identity")) {
                ObjectNode out = JSON.createObjectNode();
                out.putObject("versions").putArray("values").add(version(req));
                return new ApiResponse(300, Map.of(), out);
            }
            if (path.equals("/identity/v3")) {
                ObjectNode out = JSON.createObjectNode();
                out.set("version", version(req));
                return ApiResponse.of(200, out);
            }
            if (path.equals("/identity/v3/auth/tokens")) {
                return switch (req.method()) {
                    case "POST" -> issue(req);
                    case "GET", "HEAD" -> validate(req);
                    case "DELETE" -> {
                        caller(req);
                        yield new ApiResponse(204, Map.of(), null); // self-contained tokens expire on their own
                    }
                    default -> error(405, "Method Not Allowed", "method " + req.method() + " not allowed");
                };
            }
            Caller caller = caller(req);
            if (caller == null) {
                return error(401, "Unauthorized", "The request you have made requires authentication.");
            }
            return lists(path.substring("/identity/v3".length()), req, caller);
        } catch (IllegalArgumentException e) {
            return error(400, "Bad Request", e.getMessage());
        }
    }

    private Caller caller(ApiRequest req) {
        return authenticate(req.header("X-Auth-Token"));
    }

    private ObjectNode version(ApiRequest req) {
        ObjectNode v = JSON.createObjectNode().put("id", "v3.14").put("status", "stable")
                .put("updated", "2020-04-07T00:00:00Z");
        v.putArray("links").addObject().put("rel", "self").put("href", req.baseUrl() + "/identity/v3/");
        v.putArray("media-types").addObject().put("base", "application/json")
                .put("type", "application/vnd.openstack.identity-v3+json");
        return v;
    }

    private ApiResponse issue(ApiRequest req) {
        JsonNode auth;
        try {
            auth = JSON.readTree(new String(req.body(), StandardCharsets.UTF_8)).path("auth");
        } catch (java.io.IOException e) {
            return error(400, "Bad Request", "Malformed request body");
        }
        JsonNode identity = auth.path("identity");
        Set<String> methods = new LinkedHashSet<>();
        identity.path("methods").forEach(m -> methods.add(m.asText()));
        IdentityConfig.User user = null;
        if (methods.contains("password")) {
            JsonNode u = identity.path("password").path("user");
            String name = u.path("name").asText(null);
            String userId = u.path("id").asText(null);
            if (name != null && !domainOk(u.path("domain"))) {
                return unauthorized();
            }
            user = config.users().values().stream().filter(x -> x.name().equals(name) || id("user", x.name())
                    .equals(userId)).findFirst().orElse(null);
            char[] password = u.path("password").asText("").toCharArray();
            if (user == null || !user.password().matches(password)) {
                return unauthorized();
            }
        } else if (methods.contains("token")) {
            TokenCodec.Claims c = tokens.decode(identity.path("token").path("id").asText(null), clock.instant());
            if (c == null) {
                return unauthorized();
            }
            user = config.users().get(c.userName());
            if (user == null) {
                return unauthorized();
            }
        } else {
            return error(401, "Unauthorized", "only the password and token methods are supported");
        }
        JsonNode scope = auth.path("scope");
        String projectName = null;
        if (scope.has("project")) {
            JsonNode p = scope.get("project");
            String wantedName = p.path("name").asText(null);
            String wantedId = p.path("id").asText(null);
            if (wantedName != null && !domainOk(p.path("domain"))) {
                return unauthorized();
            }
            boolean matches = user.project().equals(wantedName) || id("project", user.project()).equals(wantedId);
            if (!matches) {
                return unauthorized();
            }
            projectName = user.project();
        } else if (scope.size() > 0) {
            return error(401, "Unauthorized", "only project scope is supported");
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        TokenCodec.Claims claims = new TokenCodec.Claims(id("user", user.name()), user.name(),
                projectName == null ? null : id("project", projectName), projectName,
                projectName == null ? List.of() : user.roles(), now, now.plus(config.tokenTtl()),
                Base64.getUrlEncoder().withoutPadding().encodeToString(UUID.randomUUID().toString().getBytes(
                        StandardCharsets.US_ASCII)).substring(0, 22));
        String token = tokens.encode(claims);
        return new ApiResponse(201, Map.of("X-Subject-Token", token), tokenBody(claims, req,
                methods.iterator().next()));
    }

    private static boolean domainOk(JsonNode domain) {
        if (domain.isMissingNode() || domain.isNull()) {
            return true;
        }
        return DOMAIN_NAME.equals(domain.path("name").asText(null)) || DOMAIN_ID.equals(domain.path("id").asText(null));
    }

    private ApiResponse validate(ApiRequest req) {
        if (caller(req) == null) {
            return unauthorized();
        }
        TokenCodec.Claims subject = tokens.decode(req.header("X-Subject-Token"), clock.instant());
        if (subject == null) {
            return error(404, "Not Found", "Could not find token.");
        }
        return new ApiResponse(200, Map.of("X-Subject-Token", req.header("X-Subject-Token")),
                tokenBody(subject, req, "password"));
    }

    private ObjectNode tokenBody(TokenCodec.Claims c, ApiRequest req, String method) {
        ObjectNode out = JSON.createObjectNode();
        ObjectNode t = out.putObject("token");
        t.putArray("methods").add(method);
        ObjectNode user = t.putObject("user").put("id", c.userId()).put("name", c.userName());
        user.putNull("password_expires_at");
        domain(user.putObject("domain"));
        t.putArray("audit_ids").add(c.auditId());
        t.put("expires_at", c.expiresAt().toString().replace("Z", ".000000Z"))
                .put("issued_at", c.issuedAt().toString().replace("Z", ".000000Z"));
        if (c.projectId() != null) {
            ObjectNode p = t.putObject("project").put("id", c.projectId()).put("name", c.projectName());
            domain(p.putObject("domain"));
            t.put("is_domain", false);
            ArrayNode roles = t.putArray("roles");
            c.roles().forEach(r -> roles.addObject().put("id", id("role", r)).put("name", r));
            t.set("catalog", catalog(req));
        }
        return out;
    }

    private static void domain(ObjectNode d) {
        d.put("id", DOMAIN_ID).put("name", DOMAIN_NAME);
    }

    private ArrayNode catalog(ApiRequest req) {
        List<String> urls = new ArrayList<>(nodeUrls.get());
        if (urls.isEmpty()) {
            urls.add(req.baseUrl());
        }
        ArrayNode catalog = JSON.createArrayNode();
        ObjectNode network = catalog.addObject().put("type", "network").put("name", "neutron")
                .put("id", id("service", "network"));
        ObjectNode identity = catalog.addObject().put("type", "identity").put("name", "keystone")
                .put("id", id("service", "identity"));
        ArrayNode networkEndpoints = network.putArray("endpoints");
        ArrayNode identityEndpoints = identity.putArray("endpoints");
        for (String url : urls) {
            for (String iface : List.of("public", "internal", "admin")) {
                networkEndpoints.addObject().put("id", id("endpoint", "network " + url + " " + iface))
                        .put("interface", iface).put("region", REGION).put("region_id", REGION).put("url", url + "/");
                identityEndpoints.addObject().put("id", id("endpoint", "identity " + url + " " + iface))
                        .put("interface", iface).put("region", REGION).put("region_id", REGION)
                        .put("url", url + "/identity/v3");
            }
        }
        return catalog;
    }

    private ApiResponse lists(String path, ApiRequest req, Caller caller) {
        if (projects != null && !req.method().equals("GET") && (path.equals("/projects")
                || path.startsWith("/projects/") && path.indexOf('/', "/projects/".length()) < 0)) {
            return changeProject(path.equals("/projects") ? null : path.substring("/projects/".length()), req, caller);
        }
        if (!req.method().equals("GET")) {
            return error(403, "Forbidden", "this Keystone is read-only: users and projects come from the node config");
        }
        String[] parts = path.split("/");
        if (parts.length < 2 || parts.length > 3) {
            return error(404, "Not Found", "The resource could not be found.");
        }
        String name = req.param("name");
        ArrayNode items = JSON.createArrayNode();
        String collection = parts[1];
        switch (parts.length == 3 && parts[1].equals("auth") ? "auth/" + parts[2] : collection) {
            case "projects", "auth/projects" -> {
                Set<String> projects = new LinkedHashSet<>();
                config.users().values().forEach(u -> projects.add(u.project()));
                for (String p : projects) {
                    if (caller.isAdmin() && collection.equals("projects") || p.equals(caller.projectName())) {
                        items.add(project(id("project", p), p, "", true));
                    }
                }
                if (this.projects != null && caller.isAdmin() && collection.equals("projects")) {
                    this.projects.list().forEach(p -> items.add(project(p.path("id").asText(),
                            p.path("name").asText(), p.path("description").asText(), p.path("enabled").asBoolean())));
                }
                collection = "projects";
            }
            case "users" -> config.users().values().stream()
                    .filter(u -> caller.isAdmin() || u.name().equals(caller.userName()))
                    .forEach(u -> items.addObject().put("id", id("user", u.name())).put("name", u.name())
                            .put("domain_id", DOMAIN_ID).put("enabled", true)
                            .put("default_project_id", id("project", u.project())).putNull("password_expires_at"));
            case "domains" -> items.addObject().put("id", DOMAIN_ID).put("name", DOMAIN_NAME).put("enabled", true)
                    .put("description", "The default domain");
            case "roles" -> {
                Set<String> roles = new LinkedHashSet<>();
                config.users().values().forEach(u -> roles.addAll(u.roles()));
                roles.forEach(r -> items.addObject().put("id", id("role", r)).put("name", r).putNull("domain_id"));
            }
            default -> {
                return error(404, "Not Found", "The resource could not be found.");
            }
        }
        ArrayNode filtered = JSON.createArrayNode();
        String wantedId = parts.length == 3 && !parts[1].equals("auth") ? parts[2] : null;
        for (JsonNode i : items) {
            if ((name == null || name.equals(i.path("name").asText()))
                    && (wantedId == null || wantedId.equals(i.path("id").asText()))) {
                filtered.add(i);
            }
        }
        if (wantedId != null) {
            if (filtered.isEmpty()) {
                return error(404, "Not Found", "Could not find " + collection + ": " + wantedId + ".");
            }
            ObjectNode out = JSON.createObjectNode();
            out.set(collection.substring(0, collection.length() - 1), filtered.get(0));
            return ApiResponse.of(200, out);
        }
        ObjectNode out = JSON.createObjectNode();
        out.set(collection, filtered);
        out.putObject("links").put("self", req.baseUrl() + req.path()).putNull("previous").putNull("next");
        return ApiResponse.of(200, out);
    }

    private static ObjectNode project(String id, String name, String description, boolean enabled) {
        ObjectNode o = JSON.createObjectNode().put("id", id).put("name", name).put("domain_id", DOMAIN_ID)
                .put("enabled", enabled).put("is_domain", false).put("description", description)
                .put("parent_id", DOMAIN_ID);
        o.putArray("tags");
        return o;
    }

    /** {@code POST /projects}, {@code PATCH} and {@code DELETE /projects/{id}}: an admin's, on created projects. */
    private ApiResponse changeProject(String id, ApiRequest req, Caller caller) {
        String action = switch (req.method()) {
            case "POST" -> id == null ? "create_project" : null;
            case "PATCH" -> id != null ? "update_project" : null;
            case "DELETE" -> id != null ? "delete_project" : null;
            default -> null;
        };
        if (action == null) {
            return error(405, "Method Not Allowed", "method " + req.method() + " not allowed here");
        }
        if (!caller.isAdmin()) {
            return error(403, "Forbidden", "You are not authorized to perform the requested action: identity:"
                    + action + ".");
        }
        if (id != null && config.users().values().stream().anyMatch(u -> id("project", u.project()).equals(id))) {
            return error(403, "Forbidden", "project " + id + " belongs to the node config's users: change it there");
        }
        try {
            if (action.equals("delete_project")) {
                return projects.delete(id) ? new ApiResponse(204, Map.of(), null)
                        : error(404, "Not Found", "Could not find project: " + id + ".");
            }
            JsonNode body = JSON.readTree(new String(req.body(), StandardCharsets.UTF_8)).path("project");
            if (!body.isObject()) {
                return error(400, "Bad Request", "Expecting to find project in request body");
            }
            String name = text(body, "name");
            String description = text(body, "description");
            JsonNode enabled = body.path("enabled");
            if (!enabled.isMissingNode() && !enabled.isBoolean()) {
                return error(400, "Bad Request", "Invalid input for field 'enabled': not a boolean");
            }
            String domain = text(body, "domain_id");
            if (domain != null && !domain.equals(DOMAIN_ID)) {
                return error(400, "Bad Request", "only the domain '" + DOMAIN_ID + "' exists here");
            }
            if (name != null && (name.isBlank() || name.length() > 64)) {
                return error(400, "Bad Request", "Invalid input for field 'name': 1 to 64 characters");
            }
            if (description != null && description.length() > 255) {
                return error(400, "Bad Request", "Invalid input for field 'description': at most 255 characters");
            }
            boolean configName = name != null && config.users().values().stream()
                    .anyMatch(u -> u.project().equalsIgnoreCase(name));
            if (configName) {
                throw new ProjectRegistry.NameTaken(name);
            }
            ObjectNode p;
            if (action.equals("create_project")) {
                if (name == null) {
                    return error(400, "Bad Request", "Invalid input for field 'name': 'name' is a required property");
                }
                p = projects.create(name, description == null ? "" : description, enabled.asBoolean(true));
            } else {
                java.util.Optional<ObjectNode> changed = projects.update(id, name, description,
                        enabled.isMissingNode() ? null : enabled.asBoolean());
                if (changed.isEmpty()) {
                    return error(404, "Not Found", "Could not find project: " + id + ".");
                }
                p = changed.get();
            }
            ObjectNode out = JSON.createObjectNode();
            out.set("project", project(p.path("id").asText(), p.path("name").asText(),
                    p.path("description").asText(), p.path("enabled").asBoolean()));
            return ApiResponse.of(action.equals("create_project") ? 201 : 200, out);
        } catch (ProjectRegistry.NameTaken e) {
            return error(409, "Conflict", "Conflict occurred attempting to store project - it is not permitted to"
                    + " have two projects with the same name in the same domain : " + e.getMessage() + ".");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return error(400, "Bad Request", "the body is not JSON");
        }
    }

    private static String text(JsonNode body, String field) {
        JsonNode v = body.path(field);
        if (v.isMissingNode() || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException("Invalid input for field '" + field + "': not a string");
        }
        return v.asText();
    }

    private static ApiResponse unauthorized() {
        return error(401, "Unauthorized", "The request you have made requires authentication.");
    }

    static ApiResponse error(int code, String title, String message) {
        ObjectNode out = JSON.createObjectNode();
        out.putObject("error").put("code", code).put("title", title).put("message", message);
        return ApiResponse.of(code, out);
    }
}
