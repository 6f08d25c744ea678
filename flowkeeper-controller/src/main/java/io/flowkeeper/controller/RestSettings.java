package io.flowkeeper.controller;

import io.flowkeeper.api.security.PemFiles;
import io.flowkeeper.api.security.TlsFiles;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * How the REST server listens: HTTPS or not, and how much of a node one REST client, or a crowd of them, may take.
 * Keys of the node's config file:
 * <pre>
 * rest-tls-cert: /etc/flowkeeper/rest.pem   # HTTPS: this node's certificate chain (PEM), with rest-tls-key
 * rest-tls-key: /etc/flowkeeper/rest.key    # its private key (PKCS#8 PEM, "BEGIN PRIVATE KEY", unencrypted; 0600)
 * rest-tls-ca: /etc/flowkeeper/ca.pem       # certificates this node trusts when it forwards a call to another
 *                                           # node over HTTPS (default: those in rest-tls-cert)
 * rest-idle-timeout: 30s       # a connection silent this long is closed: a half-sent request (slowloris), a body
 *                              # that stopped arriving, a client that stopped reading its response
 * rest-max-connections: 4096   # open connections; beyond it the server stops accepting and closes connections
 *                              # idle for 2 s, so a flood of idle sockets cannot exhaust file descriptors
 * rest-api-threads: 32         # threads running API requests (each may wait up to request-timeout for Raft)
 * rest-api-queue: 1024         # API requests waiting for one of them; beyond it: 503 "busy, retry"
 * rest-max-watches: 128        # open watch streams (each holds a thread); beyond it: 503
 * </pre>
 * Health checks are answered by the I/O threads without waiting for any pool, and node-to-node calls
 * ({@code /v1/internal/}) run on threads of their own, so neither API requests nor watch streams can starve them.
 * Request headers are limited to 8 KB (431 above) and bodies to the node's largest transaction (413 above).
 */
public record RestSettings(Duration idleTimeout, int maxConnections, int apiThreads, int apiQueue, int maxWatches,
                           Tls tls) {
    public static final RestSettings DEFAULTS = new RestSettings(Duration.ofSeconds(30), 4096, 32, 1024, 128, null);
    static final Set<String> KEYS = Set.of("rest-idle-timeout", "rest-max-connections", "rest-api-threads",
            "rest-api-queue", "rest-max-watches", "rest-tls-cert", "rest-tls-key", "rest-tls-ca");

    /**
     * HTTPS on the REST port: the node's certificate chain and key, and what it trusts in other nodes.
     *
     * @param node the node's {@code tls:} setting when HTTPS came from it, else null: then node-to-node calls are
     *     mutual TLS (the caller presents its node certificate, {@code /v1/internal/} refuses a caller without one)
     */
    public record Tls(Path certificateChain, Path privateKey, Path trusted, TlsFiles node) {}

    /** The URL scheme clients use for this node. */
    public String scheme() {
        return tls == null ? "http" : "https";
    }
    /** Threads for calls forwarded between nodes: one per switch call in flight is plenty for a small cluster. */
    static final int INTERNAL_THREADS = 16;
    static final int MAX_HEADER_BYTES = 8 * 1024;

    public RestSettings {
        // The watch heartbeat (10 s) must fit inside the idle timeout, or idle watch streams would be cut.
        if (idleTimeout.toMillis() < 11_000) {
            throw new IllegalArgumentException("rest-idle-timeout: at least 11s (watch streams send a heartbeat"
                    + " every 10s), got " + idleTimeout.toMillis() + "ms");
        }
        positive("rest-max-connections", maxConnections);
        positive("rest-api-threads", apiThreads);
        positive("rest-api-queue", apiQueue);
        positive("rest-max-watches", maxWatches);
    }

    /** From a node's config values (file keys and flags). */
    static RestSettings from(Map<String, Object> v, TlsFiles node) {
        String cert = ControllerConfig.text(v, "rest-tls-cert", null);
        String key = ControllerConfig.text(v, "rest-tls-key", null);
        String ca = ControllerConfig.text(v, "rest-tls-ca", null);
        Tls tls = null;
        if (node != null) {
            if (cert != null || key != null || ca != null) {
                throw new IllegalArgumentException("tls: already turns HTTPS on for REST with the node's certificate:"
                        + " remove rest-tls-cert, rest-tls-key and rest-tls-ca");
            }
            tls = new Tls(node.certificate(), node.key(), node.ca(), node);
        } else if (cert != null || key != null || ca != null) {
            if (cert == null || key == null) {
                throw new IllegalArgumentException("rest-tls-cert and rest-tls-key go together (HTTPS needs both)");
            }
            tls = new Tls(Path.of(cert), Path.of(key), Path.of(ca == null ? cert : ca), null);
            // a bad file fails start-up here, naming the key, not at the first request
            PemFiles.keyStore("rest-tls-cert", tls.certificateChain(), "rest-tls-key", tls.privateKey());
            PemFiles.trustStore("rest-tls-ca", tls.trusted());
        }
        return new RestSettings(ControllerConfig.duration(v, "rest-idle-timeout", DEFAULTS.idleTimeout()),
                (int) ControllerConfig.number(v, "rest-max-connections", DEFAULTS.maxConnections()),
                (int) ControllerConfig.number(v, "rest-api-threads", DEFAULTS.apiThreads()),
                (int) ControllerConfig.number(v, "rest-api-queue", DEFAULTS.apiQueue()),
                (int) ControllerConfig.number(v, "rest-max-watches", DEFAULTS.maxWatches()), tls);
    }

    private static void positive(String key, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(key + ": at least 1, got " + value);
        }
    }
}
