package io.flowkeeper.network;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowkeeper.api.dhcp.DhcpBinding;
import io.flowkeeper.api.network.HostRoute;
import io.flowkeeper.cluster.testing.InMemoryDatastore;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@code GET /v1/network/hosts/{name}/dhcp}: a host's bindings, and "unchanged" to an agent that holds them. */
class AgentEndpointDhcpTest {
    private static final DhcpBinding A = new DhcpBinding("port-a", "fa:16:3e:00:00:0a", "10.0.0.3", 24, "10.0.0.1",
            "10.0.0.1", List.of("10.0.0.53"), List.of(new HostRoute("192.168.0.0/16", "10.0.0.254")), 1450);
    private static final DhcpBinding B = new DhcpBinding("port-b", "fa:16:3e:00:00:0b", "10.0.0.4", 24, "10.0.0.1",
            null, List.of(), List.of(), 1450);

    private static ApiResponse get(AgentEndpoint agents, String path, Map<String, List<String>> query) {
        return agents.handle(new ApiRequest("GET", path, query, Map.of(), new byte[0], ""));
    }

    @Test
    void aHostGetsItsBindingsThenUnchangedUntilTheyChange() {
        AtomicReference<List<DhcpBinding>> onHost = new AtomicReference<>(List.of(A));
        try (AgentEndpoint agents = new AgentEndpoint(new InMemoryDatastore(), Clock.systemUTC())
                .dhcpBindings(host -> host.equals("compute-1") ? onHost.get() : List.of(), 600)) {
            ApiResponse first = get(agents, "/v1/network/hosts/compute-1/dhcp", Map.of());
            assertThat(first.status()).isEqualTo(200);
            JsonNode body = first.body();
            assertThat(body.path("lease_seconds").asLong()).isEqualTo(600);
            assertThat(body.path("bindings")).hasSize(1);
            JsonNode a = body.path("bindings").get(0);
            assertThat(a.path("port_id").asText()).isEqualTo("port-a");
            assertThat(a.path("ip_address").asText()).isEqualTo("10.0.0.3");
            assertThat(a.path("prefix_length").asInt()).isEqualTo(24);
            assertThat(a.path("host_routes").get(0).path("nexthop").asText()).isEqualTo("10.0.0.254");
            String version = body.path("version").asText();

            JsonNode again = get(agents, "/v1/network/hosts/compute-1/dhcp", Map.of("known", List.of(version))).body();
            assertThat(again.path("unchanged").asBoolean()).isTrue();
            assertThat(again.has("bindings")).isFalse();

            onHost.set(List.of(A, B));
            JsonNode changed = get(agents, "/v1/network/hosts/compute-1/dhcp", Map.of("known", List.of(version)))
                    .body();
            assertThat(changed.path("unchanged").asBoolean(false)).isFalse();
            assertThat(changed.path("bindings")).hasSize(2);
            assertThat(changed.path("bindings").get(1).path("gateway_ip").isNull()).isTrue();
            assertThat(changed.path("version").asText()).isNotEqualTo(version);

            assertThat(get(agents, "/v1/network/hosts/other/dhcp", Map.of()).body().path("bindings")).isEmpty();
            ApiResponse post = agents.handle(new ApiRequest("POST", "/v1/network/hosts/compute-1/dhcp", Map.of(),
                    Map.of(), "{}".getBytes(StandardCharsets.UTF_8), ""));
            assertThat(post.status()).isEqualTo(405);
        }
    }
}
