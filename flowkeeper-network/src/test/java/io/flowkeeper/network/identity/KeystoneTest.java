package io.flowkeeper.network.identity;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.network.ApiRequest;
import io.flowkeeper.network.ApiResponse;
import io.flowkeeper.network.NetworkSettings;
import io.flowkeeper.network.OpenStackEndpoint;
import io.flowkeeper.network.SimpleDatastore;
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
        OpenStackEndpoint endpoint = new OpenStackEndpoint(new SimpleDatastore("network-config"),
                NetworkSettings.defaults(), identity(), "node-token-123", List.of("api-token-1"), List::of,
                Clock.systemUTC(), 1 << 20);
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
}
