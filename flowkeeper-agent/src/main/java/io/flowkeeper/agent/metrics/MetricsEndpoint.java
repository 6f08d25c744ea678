package io.flowkeeper.agent.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * {@code GET /metrics} on {@code host:port}, answering only a request with {@code Authorization: Bearer <token>}
 * (the agent's API token: who may read the cluster may read its agents). One thread: a scrape is a few
 * kilobytes every few seconds. Anything else is 404; a wrong or missing token 401/403, as on the nodes. Over HTTPS
 * when given a TLS context (the host certificate, on a cluster with {@code tls:}), so the token a scraper sends never
 * crosses the network in clear there; the JDK's own server does this job: one route, one thread.
 */
public final class MetricsEndpoint implements AutoCloseable {
    private final HttpServer server;
    private final String scheme;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(
            io.flowkeeper.api.util.Threads.daemon("agent-metrics"));

    public MetricsEndpoint(String address, String token, Supplier<String> exposition) throws IOException {
        this(address, token, exposition, null);
    }

    /** @param tls serve HTTPS with this context; null: plain HTTP */
    public MetricsEndpoint(String address, String token, Supplier<String> exposition, SSLContext tls)
            throws IOException {
        int colon = address.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("metrics address must be host:port, got '" + address + "'");
        }
        InetSocketAddress bind = new InetSocketAddress(address.substring(0, colon),
                Integer.parseInt(address.substring(colon + 1)));
        if (tls == null) {
            server = HttpServer.create(bind, 16);
        } else {
            HttpsServer https = HttpsServer.create(bind, 16);
            https.setHttpsConfigurator(new HttpsConfigurator(tls));
            server = https;
        }
        this.scheme = tls == null ? "http" : "https";
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

    /** {@code http} or {@code https}. */
    public String scheme() {
        return scheme;
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
