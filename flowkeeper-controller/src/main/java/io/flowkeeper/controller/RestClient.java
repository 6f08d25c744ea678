package io.flowkeeper.controller;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A small client of the REST API, used by the CLI, the bench, the demo and the tests. Each call waits at most
 * {@code timeout} (default 15 s: longer than the server's request-timeout, so the server's 503 arrives first).
 */
public final class RestClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A response: HTTP status and the JSON body ({@code MissingNode} if the body was not JSON). */
    public record Response(int status, JsonNode body) {
        public boolean ok() {
            return status / 100 == 2;
        }

        /** The server's message: {@code {"error": "..."}} on /v1, {@code {"NeutronError": {"message": ...}}} on /v2.0. */
        public String error() {
            JsonNode neutron = body.path("NeutronError").path("message");
            return neutron.isTextual() ? neutron.asText() : body.path("error").asText("HTTP " + status);
        }
    }

    /** Longer than the server's default request-timeout (5 s), so the server's 503 arrives first. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(15);

    private final String baseUrl;
    private final String token;
    private final Duration timeout;
    private final HttpClient http;
    private final boolean openStackToken;

    public RestClient(String baseUrl, String token) {
        this(baseUrl, token, DEFAULT_TIMEOUT);
    }

    public RestClient(String baseUrl, String token, Duration timeout) {
        this(baseUrl, token, timeout, null);
    }

    /**
     * @param tls for {@code https://} URLs: the context whose trust decides which servers are accepted (see
     *     {@link io.flowkeeper.api.security.PemFiles#trusting}); null for the JDK's default trust store
     */
    public RestClient(String baseUrl, String token, Duration timeout, javax.net.ssl.SSLContext tls) {
        this(baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl, token, timeout,
                httpClient(tls), false);
    }

    private static HttpClient httpClient(javax.net.ssl.SSLContext tls) {
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3))
                .version(HttpClient.Version.HTTP_1_1);
        if (tls != null) {
            b.sslContext(tls);
        }
        return b.build();
    }

    private RestClient(String baseUrl, String token, Duration timeout, HttpClient http, boolean openStackToken) {
        this.baseUrl = baseUrl;
        this.token = token;
        this.timeout = timeout;
        this.http = http;
        this.openStackToken = openStackToken;
    }

    /**
     * This client (same connections) also sending its token as {@code X-Auth-Token}, the header the OpenStack APIs
     * (/v2.0, /identity) read: there a node's API token counts as an admin token.
     */
    public RestClient withOpenStackToken() {
        return new RestClient(baseUrl, token, timeout, http, true);
    }

    public String baseUrl() {
        return baseUrl;
    }

    public Response get(String path) throws IOException {
        return send("GET", path, null);
    }

    public Response put(String path, String json) throws IOException {
        return send("PUT", path, json);
    }

    public Response post(String path, String json) throws IOException {
        return send("POST", path, json);
    }

    public Response delete(String path) throws IOException {
        return send("DELETE", path, null);
    }

    public Response send(String method, String path, String body) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
            if (openStackToken) {
                b.header("X-Auth-Token", token);
            }
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode node;
            try {
                node = JSON.readTree(r.body());
            } catch (IOException e) {
                node = JSON.missingNode();
            }
            return new Response(r.statusCode(), node == null ? JSON.missingNode() : node);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Opens a watch stream; each line is one JSON event. The caller closes the stream. */
    public java.io.InputStream watch(String shard, String prefix, long fromRevision) throws IOException {
        HttpRequest req = HttpRequest.newBuilder(URI.create(baseUrl + "/v1/datastore/" + shard + prefix
                        + "?watch=true&from-revision=" + fromRevision))
                .header("Authorization", "Bearer " + token).GET().build();
        try {
            HttpResponse<java.io.InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
            if (r.statusCode() != 200) {
                String text = new String(r.body().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                throw new IOException("watch failed: HTTP " + r.statusCode() + " " + text.trim());
            }
            return r.body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
