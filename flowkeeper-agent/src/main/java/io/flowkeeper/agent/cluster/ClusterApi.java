package io.flowkeeper.agent.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's client of the cluster's agent routes ({@code /v1/network/hosts/...}), over any of the given nodes:
 * it stays with the node that answered last and moves to the next one when a node cannot be reached or answers
 * 503 (no quorum, busy), so one node's loss costs the agent one timeout, not its registration. Thread-safe.
 */
final class ClusterApi {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterApi.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Longer than a node's own request timeout (5 s), so its 503 arrives before the agent gives up on it. */
    private static final Duration TIMEOUT = Duration.ofSeconds(8);

    /** No node answered, or one refused the request (a 4xx: the agent's request is wrong). */
    static final class ClusterApiException extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        ClusterApiException(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    private final List<String> urls;
    private final String token;
    private final HttpClient http;
    private volatile int current;

    ClusterApi(List<String> urls, String token) {
        this(urls, token, null);
    }

    /** With {@code tls} (null: plain HTTP only) for https:// URLs: what to trust, what to present if asked. */
    ClusterApi(List<String> urls, String token, SSLContext tls) {
        this.urls = urls.stream().map(u -> u.endsWith("/") ? u.substring(0, u.length() - 1) : u).toList();
        this.token = token;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
                .version(HttpClient.Version.HTTP_1_1);
        if (tls != null) {
            b.sslContext(tls);
        }
        this.http = b.build();
    }

    /** Sends a request to the current node, then to each other node in turn; the body of the first 2xx answer. */
    JsonNode send(String method, String path, JsonNode body) throws ClusterApiException {
        return send(method, path, body, TIMEOUT);
    }

    /** As {@link #send(String, String, JsonNode)}, waiting at most {@code timeout} for each node's answer. */
    JsonNode send(String method, String path, JsonNode body, Duration timeout) throws ClusterApiException {
        int start = current;
        String lastFailure = "no node";
        for (int i = 0; i < urls.size(); i++) {
            int index = (start + i) % urls.size();
            String url = urls.get(index) + path;
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(timeout)
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json");
            b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body.toString()));
            try {
                HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 503 || r.statusCode() >= 500) {
                    lastFailure = urls.get(index) + " answered " + r.statusCode() + ": " + r.body().strip();
                    continue;
                }
                current = index;
                JsonNode answer = r.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(r.body());
                if (r.statusCode() / 100 != 2) {
                    throw new ClusterApiException(r.statusCode(), method + " " + path + ": "
                            + answer.path("error").asText(r.body()) + " (HTTP " + r.statusCode() + ")");
                }
                return answer;
            } catch (IOException e) {
                lastFailure = urls.get(index) + ": " + e;
                LOG.debug("{} {} failed at {}: {}", method, path, urls.get(index), e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ClusterApiException(0, "interrupted");
            }
        }
        throw new ClusterApiException(0, "no node answered " + method + " " + path + " (last: " + lastFailure + ")");
    }
}
