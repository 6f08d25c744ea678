package io.flowkeeper.network.nova;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * The node config's {@code nova:} mapping; without it no event is sent (and none is needed: nothing waits).
 * <pre>
 * nova:
 *   url: http://nova-api:8774/v2.1        # Nova's compute endpoint; events go to {url}/os-server-external-events
 *   token-file: /etc/flowkeeper/nova.token  # a token Nova accepts for that admin-only API (X-Auth-Token), 0600
 *   batch-interval-ms: 200                # events of this long are sent in one request (neutron-server: 2 s)
 * </pre>
 *
 * @param url Nova's compute API base, ending in {@code /v2.1}
 * @param token the token sent as {@code X-Auth-Token}
 * @param batchInterval how long the first event of a batch waits for more
 */
public record NovaSettings(URI url, String token, Duration batchInterval) {
    private static final Set<String> KEYS = Set.of("url", "token-file", "batch-interval-ms");

    public NovaSettings {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(batchInterval, "batchInterval");
    }

    /**
     * Reads the {@code nova:} mapping; null when absent. {@code readToken} reads a token file (the node's one way of
     * reading secrets, with its permission check). Throws IllegalArgumentException naming the bad key.
     */
    public static NovaSettings fromYaml(JsonNode node, Function<Path, String> readToken) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException("nova: expected a mapping");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("nova: unknown key '" + key + "' (keys: " + KEYS + ")");
            }
        }
        String url = node.path("url").asText("");
        URI uri;
        try {
            uri = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("nova.url: not a URL: " + url);
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
            throw new IllegalArgumentException("nova.url: expected http(s)://host:port/v2.1, not '" + url + "'");
        }
        if (!node.path("token-file").isTextual()) {
            throw new IllegalArgumentException("nova.token-file: required (a token Nova accepts)");
        }
        long batch = node.path("batch-interval-ms").asLong(200);
        if (batch < 0 || batch > 60_000) {
            throw new IllegalArgumentException("nova.batch-interval-ms: 0 to 60000");
        }
        return new NovaSettings(uri, readToken.apply(Path.of(node.path("token-file").asText())),
                Duration.ofMillis(batch));
    }
}
