package io.flowkeeper.cli.switches;

import io.flowkeeper.cli.RestConnection;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.flowkeeper.cli.UserException;
import io.flowkeeper.controller.mastership.FlowDocuments;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;

/** What this package's commands share: the connection options, GET, JSON output, DPIDs, tables and ages. */
abstract class RestCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Mixin
    final RestConnection connection = new RestConnection();

    JsonNode get(String path) {
        return connection.call("GET", path, null).body();
    }

    /**
     * A GET whose refusal is shown rather than fatal: the server's error line in place of a body. An unreachable
     * node still ends the command (exit 3), as everywhere else.
     */
    Answer tryGet(String path) {
        try {
            return new Answer(get(path), null);
        } catch (UserException e) {
            if (e.exitCode() == 3) {
                throw e;
            }
            return new Answer(null, e.getMessage());
        }
    }

    /** A body, or (body null) the error line. */
    record Answer(JsonNode body, String error) {
    }

    boolean json() {
        return connection.json();
    }

    static void printJson(JsonNode body) throws IOException {
        System.out.println(JSON.writeValueAsString(body));
    }

    static ObjectMapper mapper() {
        return JSON;
    }

    /**
     * The DPID in the server's canonical 16-digit form, checked with the server's own parser so that what is
     * refused here is exactly what the server would refuse, and nothing odd ends up in the URL path.
     */
    static String dpid(String text) {
        try {
            return FlowDocuments.dpid(FlowDocuments.parseDpid(text));
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage(), 2);
        }
    }

    /** A field as text, "-" when absent or null (a switch not yet seen by a master has no address, no counters). */
    static String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isMissingNode() || v.isNull() ? "-" : v.asText();
    }

    static String joined(JsonNode array) {
        List<String> items = new ArrayList<>();
        array.forEach(x -> items.add(x.asText()));
        return items.isEmpty() ? "-" : String.join(",", items);
    }

    /** How long ago an epoch-millisecond time was, coarsely ("4s", "2m05s", "3h10m", "2d"); "-" for none. */
    static String age(JsonNode millis) {
        if (!millis.canConvertToLong() || millis.asLong() <= 0) {
            return "-";
        }
        // Clocks of this host and the master differ a little: a time slightly in the future reads as 0s.
        long s = Math.max(0, (System.currentTimeMillis() - millis.asLong()) / 1000);
        if (s < 60) {
            return s + "s";
        } else if (s < 3600) {
            return String.format("%dm%02ds", s / 60, s % 60);
        } else if (s < 86_400) {
            return String.format("%dh%02dm", s / 3600, s % 3600 / 60);
        }
        return s / 86_400 + "d";
    }
}
