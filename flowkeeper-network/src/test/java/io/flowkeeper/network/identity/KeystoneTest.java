package io.flowkeeper.network.identity;

import io.flowkeeper.cluster.testing.InMemoryDatastore;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.network.ApiRequest;
import io.flowkeeper.network.ApiResponse;
import io.flowkeeper.network.NetworkSettings;
import io.flowkeeper.network.OpenStackEndpoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keystone tokens, validation and catalog, and how the OpenStack endpoint authenticates Neutron calls. */
class KeystoneTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private IdentityConfig identity() throws Exception {
        Files.writeString(dir.resolve("admin.pw"), "admin-password\n");
        Files.writeString(dir.resolve("demo.pw"), "demo-password\n");
        return IdentityConfig.fromYaml(JSON.readTree("{\"admin-password-file\": \"" + dir.resolve("admin.pw")
                + "\", \"users\": [{\"name\": \"demo\", \"password-file\": \"" + dir.resolve("demo.pw")
                + "\", \"project\": \"demo\", \"roles\": [\"member\"]}], \"token-ttl\": \"30m\"}"));
    }

    private static ApiRequest request(String method, String path, Map<String, String> headers, String body) {
        return new ApiRequest(method, path, Map.of(), headers, body.getBytes(StandardCharsets.UTF_8), "http://n1:8181");
    }

    private static String password(String user, String password, String project) {
        return "{\"auth\": {\"identity\": {\"methods\": [\"password\"], \"password\": {\"user\": {\"name\": \"" + user
                + "\", \"domain\": {\"name\": \"Default\"}, \"password\": \"" + password + "\"}}}, \"scope\": "
                + "{\"project\": {\"name\": \"" + project + "\", \"domain\": {\"name\": \"Default\"}}}}}";
    }

    @Test
    void passwordAuthGivesASignedTokenWithACatalogOfEveryNode() throws Exception {
        Clock clock = Clock.fixed(Instant.parse("2026-12-04T12:00:00Z"), ZoneOffset.UTC);
        Keystone keystone = new Keystone(identity(), new TokenCodec("node-token-123"), clock,
                () -> List.of("http://n1:8181", "http://n2:8181", "http://n3:8181"));
        ApiResponse r = keystone.handle(request("POST", "/identity/v3/auth/tokens", Map.of(),
                password("demo", "demo-password", "demo")));
        assertThat(r.status()).isEqualTo(201);
        String token = r.headers().get("X-Subject-Token");
        JsonNode t = r.body().path("token");
        assertThat(t.path("project").path("name").asText()).isEqualTo("demo");
        assertThat(t.path("expires_at").asText()).startsWith("2026-12-04T12:30:00");
        JsonNode network = t.path("catalog").get(0);
        assertThat(network.path("type").asText()).isEqualTo("network");
        assertThat(network.path("endpoints")).hasSize(9);
        assertThat(keystone.authenticate(token).projectName()).isEqualTo("demo");
        assertThat(keystone.authenticate(token).isAdmin()).isFalse();

        // Another node (same node token) accepts it; a different key, a forgery or an expired token do not.
        Keystone other = new Keystone(IdentityConfig.none(), new TokenCodec("node-token-123"), clock, List::of);
        assertThat(other.authenticate(token)).isNotNull();
        assertThat(new Keystone(IdentityConfig.none(), new TokenCodec("another-node-token"), clock, List::of)
                .authenticate(token)).isNull();
        assertThat(keystone.authenticate(token.substring(0, token.length() - 2) + "xx")).isNull();
        Keystone later = new Keystone(IdentityConfig.none(), new TokenCodec("node-token-123"),
                Clock.offset(clock, Duration.ofMinutes(31)), List::of);
        assertThat(later.authenticate(token)).isNull();

        ApiResponse validated = keystone.handle(request("GET", "/identity/v3/auth/tokens",
                Map.of("x-auth-token", token, "x-subject-token", token), ""));
        assertThat(validated.status()).isEqualTo(200);
    }

    @Test
    void wrongPasswordsAndForeignProjectsAreRefused() throws Exception {
        Keystone keystone = new Keystone(identity(), new TokenCodec("node-token-123"), Clock.systemUTC(), List::of);
        assertThat(keystone.handle(request("POST", "/identity/v3/auth/tokens", Map.of(),
                password("demo", "wrong-password", "demo"))).status()).isEqualTo(401);
        assertThat(keystone.handle(request("POST", "/identity/v3/auth/tokens", Map.of(),
                password("demo", "demo-password", "admin"))).status()).isEqualTo(401);
        assertThat(keystone.handle(request("POST", "/identity/v3/auth/tokens", Map.of(),
                password("nobody", "demo-password", "demo"))).status()).isEqualTo(401);
        assertThat(keystone.handle(request("GET", "/identity/v3", Map.of(), "")).body().path("version")
                .path("id").asText()).startsWith("v3");
    }

    @Test
    void neutronCallsNeedAKeystoneTokenOrAnApiToken() throws Exception {
        OpenStackEndpoint endpoint = new OpenStackEndpoint(new InMemoryDatastore(),
                NetworkSettings.defaults(), identity(), "node-token-123", List.of("api-token-1"), List::of,
                Clock.systemUTC());
        ApiResponse none = endpoint.handle(request("GET", "/v2.0/networks", Map.of(), ""));
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.body().path("NeutronError").path("type").asText()).isEqualTo("HTTPUnauthorized");
        assertThat(endpoint.handle(request("GET", "/v2.0/networks", Map.of("x-auth-token", "forged"), "")).status())
                .isEqualTo(401);
        ApiResponse admin = endpoint.handle(request("POST", "/v2.0/networks", Map.of("x-auth-token", "api-token-1"),
                "{\"network\": {\"shared\": true}}"));
        assertThat(admin.status()).as("%s", admin.body()).isEqualTo(201);
        String token = endpoint.handle(request("POST", "/identity/v3/auth/tokens", Map.of(),
                password("demo", "demo-password", "demo"))).headers().get("X-Subject-Token");
        assertThat(endpoint.handle(request("GET", "/v2.0/networks", Map.of("authorization", "Bearer api-token-1"),
                "")).status()).isEqualTo(200);
        ApiResponse demo = endpoint.handle(request("GET", "/v2.0/networks", Map.of("x-auth-token", token), ""));
        assertThat(demo.body().path("networks")).hasSize(1); // the shared one
        assertThat(endpoint.handle(request("GET", "/", Map.of(), "")).body().path("versions").get(0).path("id")
                .asText()).isEqualTo("v2.0");
    }

    @Test
    void anAdminCreatesChangesAndDeletesProjectsThatEveryNodeSees() throws Exception {
        InMemoryDatastore store = new InMemoryDatastore();
        Clock clock = Clock.systemUTC();
        Keystone n1 = new Keystone(identity(), new TokenCodec("node-token-123"), clock, List::of,
                new ProjectRegistry(store, clock));
        Keystone n2 = new Keystone(identity(), new TokenCodec("node-token-123"), clock, List::of,
                new ProjectRegistry(store, clock));
        String admin = n1.handle(request("POST", "/identity/v3/auth/tokens", Map.of(),
                password("admin", "admin-password", "admin"))).headers().get("X-Subject-Token");
        String demo = n1.handle(request("POST", "/identity/v3/auth/tokens", Map.of(),
                password("demo", "demo-password", "demo"))).headers().get("X-Subject-Token");
        Map<String, String> asAdmin = Map.of("x-auth-token", admin);

        ApiResponse made = n1.handle(request("POST", "/identity/v3/projects", asAdmin,
                "{\"project\": {\"name\": \"tenant-x\", \"description\": \"made by a test\"}}"));
        assertThat(made.status()).as("%s", made.body()).isEqualTo(201);
        String id = made.body().path("project").path("id").asText();
        assertThat(id).matches("[0-9a-f]{32}");
        // replicated: the other node lists and shows it
        assertThat(n2.handle(request("GET", "/identity/v3/projects/" + id, asAdmin, "")).body().path("project")
                .path("name").asText()).isEqualTo("tenant-x");
        assertThat(n2.handle(request("GET", "/identity/v3/projects", asAdmin, "")).body().path("projects"))
                .extracting(p -> p.path("name").asText()).contains("admin", "demo", "tenant-x");
        // one name per domain, whatever its case, and not one of the config's projects
        assertThat(n2.handle(request("POST", "/identity/v3/projects", asAdmin,
                "{\"project\": {\"name\": \"TENANT-X\"}}")).status()).isEqualTo(409);
        assertThat(n2.handle(request("POST", "/identity/v3/projects", asAdmin,
                "{\"project\": {\"name\": \"demo\"}}")).status()).isEqualTo(409);
        // bad input and a member's attempt: refused, nothing written
        assertThat(n1.handle(request("POST", "/identity/v3/projects", asAdmin, "{\"project\": {}}")).status())
                .isEqualTo(400);
        assertThat(n1.handle(request("POST", "/identity/v3/projects", asAdmin,
                "{\"project\": {\"name\": 7}}")).status()).isEqualTo(400);
        assertThat(n1.handle(request("POST", "/identity/v3/projects", Map.of("x-auth-token", demo),
                "{\"project\": {\"name\": \"mine\"}}")).status()).isEqualTo(403);
        assertThat(n1.handle(request("DELETE", "/identity/v3/projects/" + Keystone.id("project", "demo"), asAdmin,
                "")).status()).isEqualTo(403);
        ApiResponse renamed = n1.handle(request("PATCH", "/identity/v3/projects/" + id, asAdmin,
                "{\"project\": {\"name\": \"tenant-y\", \"enabled\": false}}"));
        assertThat(renamed.body().path("project").path("enabled").asBoolean(true)).isFalse();
        assertThat(n1.handle(request("POST", "/identity/v3/projects", asAdmin,
                "{\"project\": {\"name\": \"tenant-x\"}}")).status()).as("the old name is free").isEqualTo(201);

        assertThat(n2.handle(request("DELETE", "/identity/v3/projects/" + id, asAdmin, "")).status()).isEqualTo(204);
        assertThat(n1.handle(request("GET", "/identity/v3/projects/" + id, asAdmin, "")).status()).isEqualTo(404);
        assertThat(n1.handle(request("DELETE", "/identity/v3/projects/" + id, asAdmin, "")).status()).isEqualTo(404);
        assertThat(n1.handle(request("POST", "/identity/v3/projects", asAdmin,
                "{\"project\": {\"name\": \"tenant-y\"}}")).status()).as("a deleted name is free").isEqualTo(201);
    }
}
