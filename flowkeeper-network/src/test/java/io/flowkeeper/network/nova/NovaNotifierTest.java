package io.flowkeeper.network.nova;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.cluster.testing.InMemoryDatastore;
import io.flowkeeper.network.nova.NovaEvents.Event;
import io.flowkeeper.network.nova.NovaEvents.PortState;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Port status changes in the datastore reach a recording HTTP endpoint as Nova's os-server-external-events API
 * documents them (no Nova runs here): {@code POST {url}/os-server-external-events}, {@code X-Auth-Token}, body
 * {@code {"events": [{"name", "server_uuid", "status", "tag"}]}} with name and status from Nova's allowed values.
 */
class NovaNotifierTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SERVER = "7e5a0c3e-1111-4222-8333-444455556666";
    /** Nova's InstanceExternalEvent: the names and statuses it accepts. */
    private static final Set<String> NAMES = Set.of("network-changed", "network-vif-plugged", "network-vif-unplugged",
            "network-vif-deleted");
    private static final Set<String> STATUSES = Set.of("failed", "completed", "in-progress");

    private final InMemoryDatastore store = new InMemoryDatastore();
    private final List<JsonNode> requests = new CopyOnWriteArrayList<>();
    private final List<String> problems = new CopyOnWriteArrayList<>();
    private final AtomicInteger failFirst = new AtomicInteger();
    private HttpServer nova;

    @BeforeEach
    void startNova() throws Exception {
        nova = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        nova.createContext("/v2.1/os-server-external-events", ex -> {
            byte[] in = ex.getRequestBody().readAllBytes();
            if (failFirst.getAndDecrement() > 0) {
                ex.sendResponseHeaders(503, -1);
                ex.close();
                return;
            }
            check(ex.getRequestMethod().equals("POST"), "method " + ex.getRequestMethod());
            check("nova-token".equals(ex.getRequestHeaders().getFirst("X-Auth-Token")), "no X-Auth-Token");
            check(String.valueOf(ex.getRequestHeaders().getFirst("Content-Type")).startsWith("application/json"),
                    "content type");
            JsonNode body = JSON.readTree(in);
            check(body.size() == 1 && body.path("events").isArray() && !body.path("events").isEmpty(), "shape " + body);
            ObjectNode answer = JSON.createObjectNode();
            for (JsonNode e : body.path("events")) {
                check(e.size() == 4, "fields " + e);
                check(NAMES.contains(e.path("name").asText()), "name " + e);
                check(STATUSES.contains(e.path("status").asText()), "status " + e);
                check(e.path("server_uuid").asText().matches("[0-9a-f-]{36}"), "server_uuid " + e);
                check(e.path("tag").isTextual(), "tag " + e);
                answer.withArray("events").add(((ObjectNode) e.deepCopy()).put("code", 200));
            }
            requests.add(body);
            byte[] out = answer.toString().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, out.length);
            ex.getResponseBody().write(out);
            ex.close();
        });
        nova.start();
    }

    private void check(boolean ok, String what) {
        if (!ok) {
            problems.add(what);
        }
    }

    @AfterEach
    void stopNova() {
        nova.stop(0);
    }

    private NovaSettings settings() {
        return new NovaSettings(URI.create("http://127.0.0.1:" + nova.getAddress().getPort() + "/v2.1"), "nova-token",
                Duration.ofMillis(100));
    }

    private void port(String id, String status, String owner) {
        store.commit("network-config", Transaction.builder().put("/neutron/ports/" + id, JSON.createObjectNode()
                .put("id", id).put("status", status).put("device_id", SERVER).put("device_owner", owner)
                .toString()).build());
    }

    private List<JsonNode> events() {
        return requests.stream().flatMap(r -> java.util.stream.StreamSupport.stream(r.path("events").spliterator(),
                false)).toList();
    }

    @Test
    void statusChangesOfServerPortsBecomeBatchedEventsInNovasFormat() {
        port("p-existing", "ACTIVE", "compute:nova"); // before the notifier: no event for it
        try (NovaNotifier notifier = new NovaNotifier(store, settings(), () -> true).start()) {
            port("p1", "DOWN", "compute:nova");
            port("p2", "DOWN", "compute:nova");
            port("router", "DOWN", "network:router_interface");
            port("p1", "ACTIVE", "compute:nova");
            port("p2", "ACTIVE", "compute:nova");
            port("router", "ACTIVE", "network:router_interface");
            await().atMost(Duration.ofSeconds(30)).until(() -> events().size() == 2);
            assertThat(requests).hasSize(1); // one batch
            assertThat(events()).extracting(e -> e.path("tag").asText()).containsExactly("p1", "p2");
            assertThat(events().get(0).path("name").asText()).isEqualTo("network-vif-plugged");
            assertThat(events().get(0).path("status").asText()).isEqualTo("completed");
            assertThat(events().get(0).path("server_uuid").asText()).isEqualTo(SERVER);

            port("p1", "DOWN", "compute:nova");
            store.commit("network-config", Transaction.builder().delete("/neutron/ports/p2").build());
            await().atMost(Duration.ofSeconds(30)).until(() -> events().size() == 4);
            assertThat(events().subList(2, 4)).extracting(e -> e.path("name").asText() + " " + e.path("tag").asText())
                    .containsExactly("network-vif-unplugged p1", "network-vif-deleted p2");
            // Counted once Nova's answer is read, a moment after the endpoint recorded the body.
            await().atMost(Duration.ofSeconds(5)).until(() -> notifier.sent() == 4);
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void aBatchNovaDidNotTakeIsSentAgain() {
        failFirst.set(2);
        try (NovaNotifier notifier = new NovaNotifier(store, settings(), () -> true).start()) {
            port("p1", "DOWN", "compute:nova");
            port("p1", "ACTIVE", "compute:nova");
            await().atMost(Duration.ofSeconds(30)).until(() -> notifier.sent() == 1);
            assertThat(events()).hasSize(1);
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void aNodeThatIsNotTheSenderSendsNothing() throws Exception {
        AtomicBoolean sender = new AtomicBoolean(false);
        try (NovaNotifier notifier = new NovaNotifier(store, settings(), sender::get).start()) {
            port("p1", "ACTIVE", "compute:nova");
            Thread.sleep(500);
            assertThat(requests).isEmpty();
            sender.set(true);
            port("p1", "DOWN", "compute:nova");
            await().atMost(Duration.ofSeconds(30)).until(() -> notifier.sent() == 1);
        }
    }

    @Test
    void eventsFollowNeutronsRules() {
        PortState down = new PortState("DOWN", SERVER, "compute:nova");
        PortState active = new PortState("ACTIVE", SERVER, "compute:nova");
        PortState error = new PortState("ERROR", SERVER, "compute:nova");
        assertThat(NovaEvents.of("p", down, active)).contains(new Event("network-vif-plugged", SERVER, "completed",
                "p"));
        assertThat(NovaEvents.of("p", down, error)).contains(new Event("network-vif-plugged", SERVER, "failed", "p"));
        assertThat(NovaEvents.of("p", active, down)).contains(new Event("network-vif-unplugged", SERVER, "completed",
                "p"));
        assertThat(NovaEvents.of("p", null, down)).isEmpty();
        assertThat(NovaEvents.of("p", active, active)).isEmpty();
        assertThat(NovaEvents.of("p", down, new PortState("ACTIVE", "", "compute:nova"))).isEmpty();
        assertThat(NovaEvents.of("p", down, new PortState("ACTIVE", SERVER, "network:dhcp"))).isEmpty();
        assertThat(NovaEvents.of("p", down, null)).map(Event::name).isEqualTo(Optional.of("network-vif-deleted"));
    }

    @Test
    void settingsAreReadFromTheNodeConfig() throws Exception {
        assertThat(NovaSettings.fromYaml(null, p -> "t")).isNull();
        NovaSettings s = NovaSettings.fromYaml(JSON.readTree("{\"url\": \"http://nova:8774/v2.1/\","
                + " \"token-file\": \"/etc/nova.token\"}"), p -> "token-from-" + p);
        assertThat(s.url()).isEqualTo(URI.create("http://nova:8774/v2.1"));
        assertThat(s.token()).isEqualTo("token-from-/etc/nova.token");
        assertThat(s.batchInterval()).isEqualTo(Duration.ofMillis(200));
        assertThatThrownBy(() -> NovaSettings.fromYaml(JSON.readTree("{\"url\": \"nova\", \"token-file\": \"x\"}"),
                p -> "t")).hasMessageContaining("nova.url");
        assertThatThrownBy(() -> NovaSettings.fromYaml(JSON.readTree("{\"url\": \"http://nova/v2.1\"}"), p -> "t"))
                .hasMessageContaining("nova.token-file");
        assertThatThrownBy(() -> NovaSettings.fromYaml(JSON.readTree("{\"urls\": 1}"), p -> "t"))
                .hasMessageContaining("unknown key");
    }
}
