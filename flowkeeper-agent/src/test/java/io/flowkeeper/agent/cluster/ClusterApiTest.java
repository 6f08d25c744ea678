package io.flowkeeper.agent.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The agent's client skips nodes that are down or answer 5xx, stays with the one that answered, sends its token. */
class ClusterApiTest {
    private final List<HttpServer> servers = new CopyOnWriteArrayList<>();
    private final List<String> seen = new CopyOnWriteArrayList<>();

    private String node(String name, int status) throws Exception {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.createContext("/", ex -> {
            seen.add(name + " " + ex.getRequestMethod() + " " + ex.getRequestURI() + " "
                    + ex.getRequestHeaders().getFirst("Authorization"));
            ex.getRequestBody().readAllBytes();
            byte[] out = ("{\"node\": \"" + name + "\", \"error\": \"" + name + " says no\"}")
                    .getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(status, out.length);
            ex.getResponseBody().write(out);
            ex.close();
        });
        s.start();
        servers.add(s);
        return "http://127.0.0.1:" + s.getAddress().getPort();
    }

    private static String deadNode() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return "http://127.0.0.1:" + s.getLocalPort(); // nothing listens there once closed
        }
    }

    @AfterEach
    void stop() {
        servers.forEach(s -> s.stop(0));
    }

    @Test
    void failsOverToTheNextNodeAndStaysThere() throws Exception {
        String down = deadNode();
        String busy = node("busy", 503);
        String good = node("good", 200);
        ClusterApi api = new ClusterApi(List.of(down, busy + "/", good), "the-token");
        assertThat(api.send("PUT", "/v1/network/hosts/h1", new ObjectMapper().createObjectNode()).path("node")
                .asText()).isEqualTo("good");
        assertThat(api.send("GET", "/v1/network/hosts/h1/tunnel-peers", null).path("node").asText())
                .isEqualTo("good");
        assertThat(seen).containsExactly("busy PUT /v1/network/hosts/h1 Bearer the-token",
                "good PUT /v1/network/hosts/h1 Bearer the-token",
                "good GET /v1/network/hosts/h1/tunnel-peers Bearer the-token");
    }

    @Test
    void aRefusalIsTheAnswerAndNoNodeAnsweringIsAnError() throws Exception {
        ClusterApi refusing = new ClusterApi(List.of(node("strict", 404), node("other", 200)), "t");
        assertThatThrownBy(() -> refusing.send("POST", "/v1/network/hosts/h1/bindings", null))
                .isInstanceOf(ClusterApi.ClusterApiException.class).hasMessageContaining("strict says no")
                .satisfies(e -> assertThat(((ClusterApi.ClusterApiException) e).status).isEqualTo(404));
        ClusterApi none = new ClusterApi(List.of(deadNode(), deadNode()), "t");
        assertThatThrownBy(() -> none.send("GET", "/v1/network/hosts", null))
                .hasMessageContaining("no node answered");
    }
}
