package io.flowkeeper.network;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.network.identity.Caller;
import io.flowkeeper.network.identity.IdentityConfig;
import io.flowkeeper.network.identity.Keystone;
import io.flowkeeper.network.identity.ProjectRegistry;
import io.flowkeeper.network.identity.TokenCodec;
import io.flowkeeper.network.neutron.NeutronApi;
import io.flowkeeper.network.neutron.NeutronException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The OpenStack APIs of one node: {@code GET /} (network API versions), {@code /v2.0/...} (Neutron) and
 * {@code /identity/...} (Keystone). Neutron calls carry {@code X-Auth-Token}: a Keystone token from any node, or one
 * of the node's API tokens, which acts as the admin of project {@code admin} (so
 * {@code openstack --os-auth-type admin_token} works without Keystone); an API token may also come as
 * {@code Authorization: Bearer}, as on /v1. Every answer is JSON, errors included.
 */
public final class OpenStackEndpoint {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final NeutronApi neutron;
    private final Keystone keystone;
    private final List<byte[]> apiTokens;

    public OpenStackEndpoint(DatastoreService store, NetworkSettings network, IdentityConfig identity,
                             String nodeToken, List<String> apiTokens, Supplier<List<String>> nodeUrls, Clock clock) {
        this.neutron = new NeutronApi(store, network, clock);
        this.keystone = new Keystone(identity, new TokenCodec(nodeToken), clock, nodeUrls,
                new ProjectRegistry(store, clock));
        this.apiTokens = apiTokens.stream().map(t -> t.getBytes(StandardCharsets.UTF_8)).toList();
    }

    /** Whether a raw request path belongs here rather than to the node's /v1 API. */
    public static boolean handles(String path) {
        return path.equals("/") || path.equals("/v2.0") || path.startsWith("/v2.0/") || path.equals("/identity")
                || path.startsWith("/identity/");
    }

    /**
     * Answers one request as the HTTP server read it: {@code rawQuery} as sent (or null), header names in lower case,
     * the whole body (the server enforces the size limit: see {@link #tooLarge}), {@code baseUrl} as the client
     * addressed this node (for links). Never throws for bad input: every failure is a NeutronError answer.
     */
    public ApiResponse handle(String method, String rawPath, String rawQuery, Map<String, String> headers,
                              byte[] body, String baseUrl) {
        Map<String, List<String>> query;
        try {
            query = query(rawQuery);
        } catch (IllegalArgumentException e) {
            return NeutronApi.error(NeutronException.badRequest("Malformed query string"));
        }
        return handle(new ApiRequest(method, rawPath, query, headers, body, baseUrl));
    }

    /** The answer to a body over the server's limit, in Neutron's shape. */
    public ApiResponse tooLarge(int maxBodyBytes) {
        return NeutronApi.error(new NeutronException(413, "RequestEntityTooLarge", "Request body larger than "
                + maxBodyBytes + " bytes"));
    }

    public ApiResponse handle(ApiRequest req) {
        String path = req.path();
        if (path.equals("/identity") || path.startsWith("/identity/")) {
            return keystone.handle(req);
        }
        if (path.equals("/")) {
            ObjectNode out = JSON.createObjectNode();
            ArrayNode versions = out.putArray("versions");
            ObjectNode v = versions.addObject().put("id", "v2.0").put("status", "CURRENT");
            v.putArray("links").addObject().put("rel", "self").put("href", req.baseUrl() + "/v2.0/");
            return ApiResponse.of(200, out);
        }
        String token = req.header("X-Auth-Token");
        String authorization = req.header("Authorization");
        if (token == null && authorization != null && authorization.startsWith("Bearer ")) {
            token = authorization.substring(7).trim(); // the /v1 API's form, for the flowkeeper CLI
        }
        Caller caller = authenticate(token);
        if (caller == null) {
            return NeutronApi.error(new NeutronException(401, "HTTPUnauthorized", token == null
                    ? "Authentication required: send X-Auth-Token" : "The token is invalid or expired"));
        }
        return neutron.handle(req, caller);
    }

    private Caller authenticate(String token) {
        if (token == null || token.isEmpty()) {
            return null;
        }
        byte[] given = token.getBytes(StandardCharsets.UTF_8);
        for (byte[] t : apiTokens) {
            if (MessageDigest.isEqual(t, given)) {
                return new Caller(Keystone.id("user", "admin"), "admin", Keystone.id("project", "admin"), "admin",
                        List.of("admin", "member", "reader"));
            }
        }
        return keystone.authenticate(token);
    }

    static Map<String, List<String>> query(String raw) {
        Map<String, List<String>> q = new LinkedHashMap<>();
        if (raw != null && !raw.isEmpty()) {
            for (String kv : raw.split("&")) {
                if (kv.isEmpty()) {
                    continue;
                }
                int eq = kv.indexOf('=');
                String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
                q.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
            }
        }
        return q;
    }
}
