package io.flowkeeper.network;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP request, decoupled from the HTTP server so handlers are tested without sockets.
 *
 * @param path the raw path ({@code /v2.0/ports/abc})
 * @param query every query parameter with all its values, in order (Neutron repeats keys: {@code ?id=a&id=b})
 * @param headers header names in lower case
 * @param baseUrl {@code http://host:port} as the client addressed this node, for links
 */
public record ApiRequest(String method, String path, Map<String, List<String>> query, Map<String, String> headers,
                         byte[] body, String baseUrl) {
    public ApiRequest {
        query = Map.copyOf(query);
        headers = Map.copyOf(headers);
    }

    public String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /** The first value of a query parameter, or null. */
    public String param(String key) {
        List<String> values = query.get(key);
        return values == null || values.isEmpty() ? null : values.get(0);
    }
}
