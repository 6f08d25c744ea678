package io.flowkeeper.network;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * An HTTP answer: a status, extra headers and a JSON body (null for 204).
 */
public record ApiResponse(int status, Map<String, String> headers, JsonNode body) {
    public ApiResponse {
        headers = Map.copyOf(headers);
    }

    public static ApiResponse of(int status, JsonNode body) {
        return new ApiResponse(status, Map.of(), body);
    }
}
