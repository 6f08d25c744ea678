package io.flowkeeper.cli;

import io.flowkeeper.controller.RestClient;
import java.io.IOException;
import picocli.CommandLine.Option;

/**
 * The options every command that talks to a controller node shares ({@code --url}, {@code --token-file} or
 * {@code FLOWKEEPER_TOKEN}, {@code --output table|json}) and their error mapping: exit 1 when the node refused (its
 * message and the HTTP status), 2 for usage, 3 when the node cannot be reached. Use as a picocli {@code @Mixin}.
 */
public final class RestConnection {
    @Option(names = "--url", defaultValue = "http://127.0.0.1:8181",
            description = "Any node's REST address (default: ${DEFAULT-VALUE}).")
    String url;

    @Option(names = "--token-file", description = "File holding the API token (default: $FLOWKEEPER_TOKEN).")
    java.nio.file.Path tokenFile;

    @Option(names = "--token", description = "API token; visible to other users in ps: prefer --token-file or"
            + " $FLOWKEEPER_TOKEN.")
    String token;

    private static final java.util.concurrent.atomic.AtomicBoolean WARNED = new java.util.concurrent.atomic.AtomicBoolean();

    @Option(names = "--ca-file", description = "For an https:// URL: PEM certificates to trust (the cluster's CA or"
            + " the node's own certificate; default: the JDK's trusted CAs).")
    java.nio.file.Path caFile;

    @Option(names = "--output", defaultValue = "table", description = "table (default) or json")
    String output;

    public RestClient client() {
        if (!output.equals("table") && !output.equals("json")) {
            throw new UserException("--output must be table or json, not '" + output + "'", 2);
        }
        String t = token != null ? token : tokenFile != null ? readToken(tokenFile) : System.getenv("FLOWKEEPER_TOKEN");
        if (token != null && !WARNED.getAndSet(true)) {
            System.err.println("warning: --token is visible to other users in ps; use --token-file or FLOWKEEPER_TOKEN");
        }
        if (t == null || t.isBlank()) {
            throw new UserException("no token: pass --token-file or set FLOWKEEPER_TOKEN", 2);
        }
        try {
            return new RestClient(url, t, RestClient.DEFAULT_TIMEOUT,
                    caFile == null ? null : io.flowkeeper.api.security.PemFiles.trusting("--ca-file", caFile));
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage(), 2);
        }
    }

    private static String readToken(java.nio.file.Path file) {
        try {
            return io.flowkeeper.controller.Secrets.readTokenFile("--token-file", file).get(0);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage(), 2);
        }
    }

    /** A 2xx answer, or a {@link UserException} with the exit code above. */
    public RestClient.Response call(String method, String path, String body) {
        return requireOk(send(client(), method, path, body));
    }

    /** As {@link #call}, for the OpenStack APIs (/v2.0): the token also goes as {@code X-Auth-Token}. */
    public RestClient.Response callOpenStack(String method, String path, String body) {
        return requireOk(sendOpenStack(method, path, body));
    }

    /** The answer whatever its status (for a caller that handles a refusal itself); unreachable is still exit 3. */
    public RestClient.Response sendOpenStack(String method, String path, String body) {
        return send(client().withOpenStackToken(), method, path, body);
    }

    private RestClient.Response send(RestClient client, String method, String path, String body) {
        try {
            return client.send(method, path, body);
        } catch (IOException e) {
            throw new UserException("cannot reach " + url + ": " + e.getMessage(), 3);
        }
    }

    /** The answer if 2xx, else a {@link UserException} (exit 1) with the server's message and the status. */
    public static RestClient.Response requireOk(RestClient.Response r) {
        if (!r.ok()) {
            throw new UserException(r.error() + " (HTTP " + r.status() + ")", 1);
        }
        return r;
    }

    public boolean json() {
        return output.equals("json");
    }
}
