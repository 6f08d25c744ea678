package io.flowkeeper.agent.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * {@code GET /metrics} on {@code host:port}, answering only a request with {@code Authorization: Bearer <token>}
 * (the agent's API token: who may read the cluster may read its agents). One thread: a scrape is a few
 * kilobytes every few seconds. Anything else is 404; a wrong or missing token 401/403, as on the nodes.
 */
public final class MetricsEndpoint implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(
            io.flowkeeper.api.util.Threads.daemon("agent-metrics"));

    public MetricsEndpoint(String address, String token, Supplier<String> exposition) throws IOException {
        int colon = address.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("metrics address must be host:port, got '" + address + "'");
        }
        server = HttpServer.create(new InetSocketAddress(address.substring(0, colon),
                Integer.parseInt(address.substring(colon + 1))), 16);
        byte[] expected = token.getBytes(StandardCharsets.UTF_8);
        server.createContext("/", ex -> {
            try (ex) {
                if (!ex.getRequestURI().getPath().equals("/metrics")) {
                    answer(ex, 404, "no such path: only /metrics\n");
                    return;
                }
                if (!"GET".equals(ex.getRequestMethod())) {
                    answer(ex, 405, "GET only\n");
                    return;
                }
                String header = ex.getRequestHeaders().getFirst("Authorization");
                if (header == null || !header.startsWith("Bearer ")) {
                    answer(ex, 401, "missing token: send 'Authorization: Bearer <token>'\n");
                    return;
                }
                // constant time: no token guessing by timing
                if (!MessageDigest.isEqual(expected, header.substring(7).trim().getBytes(StandardCharsets.UTF_8))) {
                    answer(ex, 403, "invalid token\n");
                    return;
                }
                ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                byte[] body = exposition.get().getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, body.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
            }
        });
        server.setExecutor(thread);
    }

    private static void answer(HttpExchange ex, int status, String text) throws IOException {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    public MetricsEndpoint start() {
        server.start();
        return this;
    }

    /** The bound port (the one asked for, or the one chosen for port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        thread.shutdownNow();
    }
}
