package io.flowkeeper.controller;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.cluster.ClusterAdminService;
import io.flowkeeper.api.cluster.ClusterView;
import io.flowkeeper.api.cluster.ShardStatus;
import io.flowkeeper.api.security.PeerIdentity;
import io.flowkeeper.api.security.PemFiles;
import io.flowkeeper.api.security.TlsFiles;
import io.flowkeeper.api.store.CommitResult;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.store.Precondition;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.StoreException;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.api.store.VersionedValue;
import io.flowkeeper.api.store.Watch;
import io.flowkeeper.api.store.WatchEvent;
import io.flowkeeper.api.store.WatchListener;
import io.flowkeeper.network.ApiRequest;
import io.flowkeeper.network.ApiResponse;
import io.flowkeeper.network.OpenStackEndpoint;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.content.CachingHttpContentFactory;
import org.eclipse.jetty.http.content.HttpContent;
import org.eclipse.jetty.http.content.ResourceHttpContentFactory;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.DetectorConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.ResourceService;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.server.handler.ResourceHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.resource.Resource;
import org.eclipse.jetty.util.resource.ResourceFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The northbound REST API of one node, on Jetty's core HTTP server (no servlets: a dozen routes need no framework;
 * timeouts, connection and size limits come from Jetty, see {@link RestSettings}). Every route but
 * {@code /v1/health} and the dashboard's static files needs {@code Authorization: Bearer <token>}. Routes:
 * <pre>
 * GET    /v1/health                                   liveness, no token
 * GET    /v1/cluster                                  nodes, up/down, per shard leader/term/commit/lag
 * GET    /v1/cluster/members                          members and Raft addresses
 * POST   /v1/cluster/members        {"id","address"}  add a running node to every shard
 * DELETE /v1/cluster/members/{id}                     remove a node from every shard
 * POST   /v1/cluster/shards/{shard}/transfer-leader {"node"}
 * GET    /v1/datastore/{shard}/{path}                 a document (?consistency=stale, ?list=true for a subtree,
 *                                                     ?watch=true[&from-revision=N] for an NDJSON event stream)
 * PUT    /v1/datastore/{shard}/{path}                 write (?if-absent=true, ?if-mod-revision=N: 409 if not)
 * DELETE /v1/datastore/{shard}/{path}                 delete (?prefix=true: the whole subtree)
 * POST   /v1/txn/{shard}                              {"preconditions":[{"path","absent"|"exists"|"mod-revision"}],
 *                                                      "operations":[{"put":path,"value":json}|{"delete":path}]}
 * GET    /v1/shards/{shard}/digest                    this replica's state digest, revision, key count
 * GET    /metrics                                     this node's meters, Prometheus text format ({@link OperatorRoutes})
 * GET    /v1/events                                   the operator timeline as server-sent events
 * GET    /dashboard/                                  the dashboard's static files: no token (they hold no data)
 * </pre>
 * Switch and ownership routes are mounted by {@link SwitchRoutes}, the host agents' routes under
 * {@code /v1/network/} by {@link io.flowkeeper.network.AgentEndpoint}. {@code /}, {@code /v2.0/} and {@code /identity/}
 * go to the OpenStack APIs ({@link OpenStackEndpoint}: Neutron and Keystone, with their own tokens and error shape,
 * on the API pool). Routes under {@code /v1/internal/} are for calls
 * one node forwards to another and accept only the node token, never an API token.
 * Errors are {@code {"error": "...", "status": N}}, whoever answers (a route or Jetty itself): 400 bad input, 401 no
 * token, 403 wrong token or a write to internal data ({@link InternalData}), 404 unknown shard/path/route, 409 failed
 * precondition, 413 oversized body, 431 oversized headers, 503 shard without quorum (after request-timeout) or node
 * busy. JSON bodies are strict: one value, no trailing text, no duplicate keys, finite numbers only.
 *
 * <p>Threads: Jetty's I/O threads read requests without blocking and answer health checks themselves; a request's
 * body is read in full before it is handed to a route thread, so slow or half-sent requests hold no thread. API
 * requests run on a bounded pool with a bounded queue, node-to-node calls on a pool of their own, watch streams on
 * threads counted separately. None of these is the thread that renews this node's lease ({@code LeaseKeeper}).
 */
public final class RestServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RestServer.class);
    static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** The routes of one first path segment after {@code /v1/}, mounted by other parts of the node. */
    interface Routes {
        void handle(RestExchange ex, String method, String[] parts, Map<String, String> query) throws IOException;
    }

    private final DatastoreService store;
    private final ClusterAdminService admin;
    private final List<byte[]> tokens;
    private final byte[] nodeToken;
    private final Map<String, Routes> mounted = new java.util.concurrent.ConcurrentHashMap<>();
    private final Server http;
    private final ServerConnector connector;
    private final ThreadPoolExecutor apiPool;
    private final ThreadPoolExecutor internalPool;
    private final ExecutorService watchPool;
    private final ExecutorService membershipChanges;
    private final Semaphore watchSlots;
    private final RestSettings settings;
    private final int maxBodyBytes;
    /**
     * A body over the limit is still read (and dropped) up to this many bytes past it before the 413, so the client
     * reads the answer; a longer declared length is answered at once and its connection closed.
     */
    private static final long DRAIN_LIMIT_BYTES = 1L << 20;
    /** What this node trusts in other nodes' HTTPS certificates; null without TLS. */
    private final javax.net.ssl.SSLContext peerTls;
    /** Neutron and Keystone, once mounted; null before. */
    private volatile OpenStackEndpoint openstack;
    /** Routes outside /v1/ that still need an API token ({@code /metrics}), by exact path. */
    private final Map<String, Routes> rootRoutes = new java.util.concurrent.ConcurrentHashMap<>();
    /** /v1/ segments whose GET is a long-lived stream (run on the watch pool, counted in the watch slots). */
    private final java.util.Set<String> streamSegments = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Static files (the dashboard's), served by Jetty without a token (they hold no data); null: none. */
    private volatile StaticFiles files;
    private volatile RequestListener requests = (route, method, status, nanos) -> { };

    /** Told about every request a route thread answered: its route (bounded set of names), status and time taken. */
    public interface RequestListener {
        void served(String route, String method, int status, long nanos);
    }

    /** Serves {@code store} and {@code admin} (this node's services) on {@code address} (host:port; port 0: any). */
    public RestServer(DatastoreService store, ClusterAdminService admin, String address, List<String> tokens,
                      String nodeToken) {
        this(store, admin, address, tokens, nodeToken, RestSettings.DEFAULTS);
    }

    public RestServer(DatastoreService store, ClusterAdminService admin, String address, List<String> tokens,
                      String nodeToken, RestSettings settings) {
        this.store = store;
        this.admin = admin;
        this.tokens = tokens.stream().map(t -> t.getBytes(StandardCharsets.UTF_8)).toList();
        this.nodeToken = nodeToken.getBytes(StandardCharsets.UTF_8);
        this.settings = settings;
        this.peerTls = settings.tls() == null ? null : settings.tls().node() != null
                ? settings.tls().node().nodeContext() // mutual: present our node certificate, accept only a node's
                : PemFiles.trusting("rest-tls-ca", settings.tls().trusted());
        // A body may carry a transaction of the largest size a node accepts and replicates: 4 documents of the
        // largest size plus their paths and framing.
        this.maxBodyBytes = (int) store.limits().maxTransactionBytes();
        int colon = address.lastIndexOf(':');
        // I/O only: handlers never block on these threads (see Dispatch), so a few suffice whatever the load.
        QueuedThreadPool io = new QueuedThreadPool(12, 4);
        io.setName("rest-io");
        io.setDaemon(true);
        io.setReservedThreads(0);
        this.http = new Server(io);
        HttpConfiguration config = new HttpConfiguration();
        config.setSendServerVersion(false);
        config.setSendXPoweredBy(false);
        config.setRequestHeaderSize(RestSettings.MAX_HEADER_BYTES);
        HttpConnectionFactory http11 = new HttpConnectionFactory(config);
        if (settings.tls() == null) {
            this.connector = new ServerConnector(http, 1, 1, http11);
        } else {
            // HTTPS; a plain-text request is still parsed, only to be told to use https (see Dispatch).
            SslContextFactory.Server ssl = new SslContextFactory.Server();
            ssl.setKeyStore(PemFiles.keyStore("rest-tls-cert", settings.tls().certificateChain(), "rest-tls-key",
                    settings.tls().privateKey()));
            ssl.setKeyStorePassword(new String(PemFiles.IN_MEMORY_PASSWORD));
            if (settings.tls().node() != null) {
                // Asked, not required: operators and the CLI authenticate with tokens; /v1/internal/ requires a
                // node's certificate on top of the node token (see Dispatch).
                ssl.setTrustStore(PemFiles.trustStore(TlsFiles.CA_KEY, settings.tls().node().ca()));
                ssl.setWantClientAuth(true);
            }
            SecureRequestCustomizer secure = new SecureRequestCustomizer();
            secure.setSniHostCheck(false); // nodes are reached by IP address as often as by name
            config.addCustomizer(secure);
            this.connector = new ServerConnector(http, 1, 1,
                    new DetectorConnectionFactory(new SslConnectionFactory(ssl, http11.getProtocol())), http11);
        }
        connector.setHost(address.substring(0, colon));
        connector.setPort(Integer.parseInt(address.substring(colon + 1)));
        // Idle covers every phase: headers or a body that stopped arriving, a response the client stopped reading.
        connector.setIdleTimeout(settings.idleTimeout().toMillis());
        connector.setAcceptQueueSize(128);
        http.addConnector(connector);
        NetworkConnectionLimit connections = new NetworkConnectionLimit(settings.maxConnections(), connector);
        connections.setEndPointIdleTimeout(2_000); // at the limit, idle connections make room quickly
        http.addBean(connections);
        http.setErrorHandler(new JsonErrors());
        http.setHandler(new Dispatch());
        this.apiPool = new ThreadPoolExecutor(settings.apiThreads(), settings.apiThreads(), 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(settings.apiQueue()), daemon("rest-api", Thread.MIN_PRIORITY));
        apiPool.allowCoreThreadTimeOut(true);
        this.internalPool = new ThreadPoolExecutor(RestSettings.INTERNAL_THREADS, RestSettings.INTERNAL_THREADS, 60,
                TimeUnit.SECONDS, new LinkedBlockingQueue<>(256), daemon("rest-internal"));
        internalPool.allowCoreThreadTimeOut(true);
        this.watchSlots = new Semaphore(settings.maxWatches());
        this.watchPool = Executors.newCachedThreadPool(daemon("rest-watch", Thread.MIN_PRIORITY)); // bounded by watchSlots
        this.membershipChanges = Executors.newSingleThreadExecutor(daemon("rest-membership"));
    }

    private static ThreadFactory daemon(String name) {
        return daemon(name, Thread.NORM_PRIORITY);
    }

    /**
     * API and watch threads run at the lowest priority: on a saturated host, whatever a flood of API requests costs
     * comes out of the API's own share, not the lease renewals' (raised) nor the health checks' (Jetty's I/O threads,
     * normal). Applied by the JVM with -XX:ThreadPriorityPolicy=1 (bin/flowkeeper sets it for nodes).
     */
    private static ThreadFactory daemon(String name, int priority) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            t.setPriority(priority);
            return t;
        };
    }

    /** True when the client presented a certificate, verified against the CA, that names a controller node. */
    private static boolean fromNode(Request request) {
        return request.getAttribute(org.eclipse.jetty.io.EndPoint.SslSessionData.ATTRIBUTE)
                instanceof org.eclipse.jetty.io.EndPoint.SslSessionData ssl
                && ssl.peerCertificates() != null && ssl.peerCertificates().length > 0
                && PeerIdentity.of(ssl.peerCertificates()[0]).isNode();
    }

    /** Binds the REST address and starts serving. */
    public void start() throws IOException {
        try {
            http.start();
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("cannot start the REST server on " + connector.getHost() + ":" + connector.getPort()
                    + ": " + e.getMessage(), e);
        }
    }

    /** Serves {@code path} (outside /v1/, e.g. {@code /metrics}) with {@code routes}, behind the API token. */
    void mountRoot(String path, Routes routes) {
        rootRoutes.put(path, routes);
    }

    /** Serves GET {@code /v1/<segment>} as a stream on the watch pool (counted in max-watches). */
    void mountStream(String segment, Routes routes) {
        streamSegments.add(segment);
        mount(segment, routes);
    }

    /**
     * Serves the files of one classpath directory (the dashboard's, in this jar) under {@code prefix} (e.g.
     * {@code /dashboard}) without a token, with Jetty's own {@link ResourceHandler}: GET and HEAD only, no directory
     * listing, {@code index.html} for the directory itself. Call before {@link #start()}.
     */
    void serveFiles(String prefix, String classpathDir) {
        Resource base = ResourceFactory.of(http).newClassLoaderResource(classpathDir);
        if (base == null || !base.isDirectory()) {
            throw new IllegalStateException("the jar lacks the directory " + classpathDir);
        }
        ResourceHandler resources = new ResourceHandler() {
            @Override
            protected HttpContent.Factory newHttpContentFactory(ByteBufferPool.Sized buffers) {
                // The files under the base and nothing else: Jetty's default adds its directory listing's style
                // sheet at any path ending in /jetty-dir.css, a file of its jar. These files never change while
                // the node runs, so they are read once.
                return new CachingHttpContentFactory(
                        new ResourceHttpContentFactory(getBaseResource(), getMimeTypes(), buffers), buffers);
            }
        };
        resources.setBaseResource(base);
        resources.setDirAllowed(false);
        resources.setWelcomeFiles("index.html");
        resources.setWelcomeMode(ResourceService.WelcomeMode.SERVE);
        resources.setAcceptRanges(false);
        resources.setUseFileMapping(false);
        resources.setCacheControl("no-cache"); // a node upgraded in place serves its new page at once
        // The context strips the prefix: the handler resolves only paths under its base, never the rest of the jar.
        ContextHandler context = new ContextHandler(resources, prefix);
        for (String[] type : new String[][] {{"html", "text/html"}, {"js", "text/javascript"}, {"css", "text/css"}}) {
            context.getMimeTypes().addMimeMapping(type[0], type[1] + "; charset=utf-8"); // the files are UTF-8
        }
        context.setAllowNullPathInContext(false); // /dashboard: 301 to /dashboard/, relative links need the slash
        http.addBean(context);
        context.setServer(http);
        this.files = new StaticFiles(prefix, context);
    }

    private record StaticFiles(String prefix, Handler handler) {
    }

    /** Sets who hears of every answered request (the node's metrics). */
    void requestListener(RequestListener listener) {
        this.requests = listener;
    }

    /** Serves {@code /}, {@code /v2.0/...} and {@code /identity/...} with the OpenStack APIs. */
    void mountOpenStack(OpenStackEndpoint endpoint) {
        this.openstack = endpoint;
    }

    /** Serves {@code /v1/<segment>/...} with {@code routes}; {@code internal} is reserved for node-to-node calls. */
    void mount(String segment, Routes routes) {
        mounted.put(segment, routes);
    }

    /**
     * Serves {@code /v1/<segment>/...} with a handler of whole requests (the network module's agent routes, which
     * know nothing of Jetty); the token was checked like any /v1 route's.
     */
    void mount(String segment, java.util.function.Function<ApiRequest, ApiResponse> handler) {
        mount(segment, (ex, method, parts, query) -> {
            Map<String, List<String>> q = new HashMap<>();
            query.forEach((k, v) -> q.put(k, List.of(v)));
            ApiResponse answer = handler.apply(new ApiRequest(method, ex.rawPath(), q, Map.of(), ex.body(), ""));
            byte[] out = answer.body() == null ? new byte[0]
                    : (JSON.writeValueAsString(answer.body()) + "\n").getBytes(StandardCharsets.UTF_8);
            ex.respond(answer.status(), "application/json", out);
        });
    }

    /** A client for another node's REST API at {@code address}, over HTTPS when this node serves HTTPS. */
    RestClient peerClient(String address, String token) {
        return new RestClient(settings.scheme() + "://" + address, token, java.time.Duration.ofSeconds(10), peerTls);
    }

    public int port() {
        return connector.getLocalPort();
    }

    @Override
    public void close() {
        try {
            http.stop();
        } catch (Exception e) {
            LOG.debug("stopping the REST server: {}", e.toString());
        }
        apiPool.shutdownNow();
        internalPool.shutdownNow();
        watchPool.shutdownNow();
        membershipChanges.shutdownNow();
    }

    /** A failure answered as {@code {"error": message}} with a status. */
    static final class HttpError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;

        HttpError(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    /**
     * Jetty's entry: answers what needs no route thread (health, authentication, size limits, a full queue) on the
     * I/O thread, reads the body without blocking, then hands the request to its pool. Never blocks.
     */
    private final class Dispatch extends Handler.Abstract.NonBlocking {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            String path = java.util.Objects.requireNonNullElse(request.getHttpURI().getPath(), "/");
            if ("/v1/health".equals(path)) {
                respondNow(response, callback, 200,
                        JSON.createObjectNode().put("status", "up").put("node", admin.nodeId()));
                return true;
            }
            boolean internal = path.startsWith("/v1/internal/");
            StaticFiles served = files;
            if (served != null && (path.startsWith(served.prefix() + "/") || path.equals(served.prefix()))
                    && (settings.tls() == null || request.isSecure())) {
                serveFile(served.handler(), request, response, callback);
                return true;
            }
            if (settings.tls() != null && !request.isSecure()) {
                respondNow(response, callback, 400, errorJson(400, "this node serves HTTPS only: use https://"
                        + Request.getServerName(request) + ":" + Request.getServerPort(request)
                        + " (a token sent over plain HTTP may have been seen on the network)"));
                return true;
            }
            if (internal && settings.tls() != null && settings.tls().node() != null && !fromNode(request)) {
                respondNow(response, callback, 403, errorJson(403, "node-to-node routes need a node certificate"
                        + " from the cluster's CA (mutual TLS)"));
                return true;
            }
            OpenStackEndpoint os = openstack;
            if (os != null && OpenStackEndpoint.handles(path)) {
                // Neutron and Keystone authenticate with their own X-Auth-Token and answer in their own shape.
                readBody(request, maxBodyBytes, (body, failure) -> {
                    if (failure != null && !(failure instanceof HttpError)) {
                        callback.failed(failure); // the client went away or timed out mid-body
                        return;
                    }
                    try {
                        apiPool.execute(() -> serveOpenStack(os, request, response, callback, body));
                    } catch (RejectedExecutionException e) {
                        respondNow(response, callback, 503, errorJson(503, "node busy: too many requests are"
                                + " waiting; retry"));
                    }
                });
                return true;
            }
            boolean watch;
            try {
                authorize(request.getHeaders().get(HttpHeader.AUTHORIZATION), internal ? List.of(nodeToken) : tokens);
                if (request.getLength() > maxBodyBytes + DRAIN_LIMIT_BYTES) {
                    throw tooLarge(maxBodyBytes); // not worth reading: answered at once, the connection closed
                }
                watch = "GET".equals(request.getMethod()) && (path.startsWith("/v1/datastore/")
                        && "true".equals(query(request.getHttpURI().getQuery()).get("watch"))
                        || streamSegments.contains(path.length() > 4 && path.startsWith("/v1/")
                        ? path.substring(4).split("/", 2)[0] : ""));
            } catch (HttpError e) {
                respondNow(response, callback, e.status, errorJson(e.status, e.getMessage()));
                return true;
            } catch (IllegalArgumentException e) { // a malformed %-escape in the query
                respondNow(response, callback, 400, errorJson(400, "malformed query: " + e.getMessage()));
                return true;
            }
            if (watch && !watchSlots.tryAcquire()) {
                respondNow(response, callback, 503, errorJson(503, "too many watch streams on this node (limit "
                        + settings.maxWatches() + "): close one, or watch through another node"));
                return true;
            }
            ExecutorService pool = watch ? watchPool : internal ? internalPool : apiPool;
            readBody(request, maxBodyBytes, (body, failure) -> {
                if (failure != null) {
                    release(watch);
                    if (failure instanceof HttpError e) {
                        respondNow(response, callback, e.status, errorJson(e.status, e.getMessage()));
                    } else {
                        callback.failed(failure); // the client went away or timed out mid-body
                    }
                    return;
                }
                try {
                    long queued = System.nanoTime();
                    pool.execute(() -> serve(new RestExchange(request, response, body), callback, watch, queued));
                } catch (RejectedExecutionException e) {
                    release(watch);
                    respondNow(response, callback, 503, errorJson(503, "node busy: too many requests are waiting;"
                            + " retry"));
                }
            });
            return true;
        }
    }

    /** A request that took this long (queue included) is logged. */
    private static final long SLOW_REQUEST_NANOS = 250_000_000L;

    private void release(boolean watch) {
        if (watch) {
            watchSlots.release();
        }
    }

    /** Runs on a route thread: routes the request, then completes it; a failed write aborts the connection. */
    private void serve(RestExchange ex, Callback callback, boolean watch, long queued) {
        long t0 = System.nanoTime();
        try {
            handle(ex);
            long done = System.nanoTime();
            requests.served(routeName(ex.rawPath()), ex.method(), ex.status(), done - t0);
            if (!watch && done - queued >= SLOW_REQUEST_NANOS) {
                // One line per slow request, so a slow answer seen by a client can be found in the node's log.
                LOG.info("slow request: {} {} answered {} in {} ms ({} ms waiting for a route thread)", ex.method(),
                        ex.rawPath(), ex.status(), (done - queued) / 1_000_000, (t0 - queued) / 1_000_000);
            }
            callback.succeeded();
        } catch (IOException | RuntimeException e) {
            LOG.debug("request {} {} ended early: {}", ex.method(), ex.rawPath(), e.toString());
            callback.failed(e);
        } finally {
            release(watch);
        }
    }

    /**
     * The route a path belongs to, as a metrics label: built-in and mounted first segments only, so that neither
     * ids nor a client's made-up paths can grow the label set.
     */
    private String routeName(String path) {
        if (rootRoutes.containsKey(path)) {
            return path;
        }
        String[] parts = path.split("/", 4);
        if (parts.length >= 3 && parts[1].equals("v1")) {
            String first = parts[2];
            if (first.equals("cluster") || first.equals("datastore") || first.equals("txn") || first.equals("shards")
                    || mounted.containsKey(first)) {
                return "/v1/" + first;
            }
        }
        return "other";
    }

    /**
     * Answers a static file through Jetty's resource handler on the I/O thread (small files from the jar, cached by
     * Jetty); GET and HEAD only, anything the handler does not find is a 404 in this API's error shape.
     */
    private void serveFile(Handler handler, Request request, Response response, Callback callback) {
        if (!"GET".equals(request.getMethod()) && !"HEAD".equals(request.getMethod())) {
            respondNow(response, callback, 405, errorJson(405, "the dashboard is read-only: GET only"));
            return;
        }
        // Everything the page loads comes from this node; the token lives in sessionStorage, so no framing either.
        response.getHeaders().put("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'");
        response.getHeaders().put("X-Content-Type-Options", "nosniff");
        try {
            if (handler.handle(request, response, callback)) {
                return;
            }
        } catch (Exception e) {
            LOG.debug("serving {} failed: {}", request.getHttpURI().getPath(), e.toString());
            if (!response.isCommitted()) {
                respondNow(response, callback, 500, errorJson(500, "cannot read " + request.getHttpURI().getPath()));
            } else {
                callback.failed(e);
            }
            return;
        }
        respondNow(response, callback, 404, errorJson(404, "no such file: " + request.getHttpURI().getPath()));
    }

    /** Runs on an API thread: one OpenStack request (a null body: it was over the size limit). */
    private void serveOpenStack(OpenStackEndpoint os, Request request, Response response, Callback callback,
                                byte[] body) {
        long t0 = System.nanoTime();
        try {
            ApiResponse answer;
            if (body == null) {
                answer = os.tooLarge(maxBodyBytes);
            } else {
                Map<String, String> headers = new HashMap<>();
                for (HttpField f : request.getHeaders()) {
                    headers.putIfAbsent(f.getLowerCaseName(), f.getValue());
                }
                String host = request.getHeaders().get(HttpHeader.HOST);
                String baseUrl = settings.scheme() + "://" + (host != null ? host
                        : Request.getServerName(request) + ":" + Request.getServerPort(request));
                answer = os.handle(request.getMethod(), request.getHttpURI().getPath(),
                        request.getHttpURI().getQuery(), headers, body, baseUrl);
            }
            answer.headers().forEach((k, v) -> response.getHeaders().put(k, v));
            byte[] out = answer.body() == null || "HEAD".equals(request.getMethod()) ? new byte[0]
                    : (JSON.writeValueAsString(answer.body()) + "\n").getBytes(StandardCharsets.UTF_8);
            new RestExchange(request, response, body).respond(answer.status(), "application/json", out);
            String path = request.getHttpURI().getPath();
            requests.served(path.startsWith("/identity") ? "/identity" : path.startsWith("/v2.0") ? "/v2.0" : "/",
                    request.getMethod(), answer.status(), System.nanoTime() - t0);
            callback.succeeded();
        } catch (IOException | RuntimeException e) {
            LOG.debug("request {} {} ended early: {}", request.getMethod(), request.getHttpURI().getPath(),
                    e.toString());
            callback.failed(e);
        }
    }

    /**
     * Reads a whole body, at most {@code max} bytes, without holding a thread while it arrives: reads what is
     * there, asks Jetty to call back when more comes. A body that stops arriving ends with the idle timeout.
     */
    private void readBody(Request request, int max, BiConsumer<byte[], Throwable> done) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        new Runnable() {
            private long overflow;

            @Override
            public void run() {
                while (true) {
                    Content.Chunk chunk = request.read();
                    if (chunk == null) {
                        request.demand(this);
                        return;
                    }
                    if (Content.Chunk.isFailure(chunk)) {
                        done.accept(null, chunk.getFailure());
                        return;
                    }
                    ByteBuffer bytes = chunk.getByteBuffer();
                    if (overflow > 0 || buffer.size() + bytes.remaining() > max) {
                        // Read the rest and drop it before answering: a server that closes with unread bytes
                        // makes its kernel reset the connection, and the client may lose the 413 with it.
                        overflow += bytes.remaining();
                        chunk.release();
                        if (chunk.isLast() || overflow > DRAIN_LIMIT_BYTES) {
                            done.accept(null, tooLarge(max));
                            return;
                        }
                        continue;
                    }
                    byte[] copy = new byte[bytes.remaining()];
                    bytes.get(copy);
                    buffer.write(copy, 0, copy.length);
                    chunk.release();
                    if (chunk.isLast()) {
                        done.accept(buffer.toByteArray(), null);
                        return;
                    }
                }
            }
        }.run();
    }

    private HttpError tooLarge(int max) {
        return new HttpError(413, "request body larger than " + max + " bytes (documents may be at most "
                + store.limits().maxValueBytes() + " bytes)");
    }

    /** Answers from an I/O thread without blocking it. */
    private static void respondNow(Response response, Callback callback, int status, JsonNode body) {
        byte[] bytes;
        try {
            bytes = (JSON.writeValueAsString(body) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            callback.failed(e);
            return;
        }
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        response.write(true, ByteBuffer.wrap(bytes), callback);
    }

    private static ObjectNode errorJson(int status, String message) {
        return JSON.createObjectNode().put("error", message).put("status", status);
    }

    /** What Jetty answers itself (malformed request line, oversized headers, ...): JSON as well, never HTML. */
    private static final class JsonErrors extends ErrorHandler {
        @Override
        protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                        Callback callback) {
            respondNow(response, callback, code, errorJson(code, message == null || message.isBlank()
                    ? org.eclipse.jetty.http.HttpStatus.getMessage(code) : message));
        }

        @Override
        public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
            fields.put(HttpHeader.CONTENT_TYPE, "application/json");
            String message = reason == null || reason.isBlank() ? org.eclipse.jetty.http.HttpStatus.getMessage(status)
                    : reason;
            try {
                return ByteBuffer.wrap((JSON.writeValueAsString(errorJson(status, message)) + "\n")
                        .getBytes(StandardCharsets.UTF_8));
            } catch (JsonProcessingException e) {
                return ByteBuffer.allocate(0);
            }
        }
    }

    /** Routes one authenticated request and answers it; throws only when the answer cannot be written. */
    private void handle(RestExchange ex) throws IOException {
        try {
            route(ex, ex.rawPath());
        } catch (HttpError e) {
            sendError(ex, e.status, e.getMessage());
        } catch (StoreException e) {
            int status = switch (e.kind()) {
                case INVALID -> e.getMessage().contains("bytes; the limit is") ? 413 : 400;
                case UNKNOWN_SHARD -> 404;
                case UNAVAILABLE -> 503;
            };
            sendError(ex, status, e.getMessage());
        } catch (IllegalArgumentException e) {
            sendError(ex, 400, e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("request {} {} failed", ex.method(), ex.rawPath(), e);
            sendError(ex, 500, "internal error: " + e);
        }
    }

    private static void authorize(String header, List<byte[]> tokens) {
        if (header == null || header.isBlank()) {
            throw new HttpError(401, "missing token: send 'Authorization: Bearer <token>'");
        }
        if (!header.startsWith("Bearer ")) {
            throw new HttpError(401, "malformed Authorization header: expected 'Bearer <token>'");
        }
        byte[] given = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        for (byte[] t : tokens) {
            if (MessageDigest.isEqual(t, given)) { // constant time: no token guessing by timing
                return;
            }
        }
        throw new HttpError(403, "invalid token");
    }

    private void route(RestExchange ex, String rawPath) throws IOException {
        String method = ex.method();
        Map<String, String> q = query(ex.rawQuery());
        String[] parts = rawPath.split("/", -1); // "", "v1", ...
        Routes root = rootRoutes.get(rawPath);
        if (root != null) {
            root.handle(ex, method, parts, q);
            return;
        }
        if (parts.length < 3 || !parts[1].equals("v1")) {
            throw new HttpError(404, "no such route: " + rawPath);
        }
        switch (parts[2]) {
            case "cluster" -> cluster(ex, method, parts);
            case "datastore" -> datastore(ex, method, rawPath, q);
            case "txn" -> {
                requireMethod(method, "POST");
                if (parts.length != 4) {
                    throw new HttpError(404, "expected /v1/txn/{shard}");
                }
                txn(ex, parts[3]);
            }
            case "shards" -> {
                if (parts.length == 5 && parts[4].equals("digest")) {
                    requireMethod(method, "GET");
                    ShardStatus s = admin.shardStatus(parts[3]);
                    send(ex, 200, JSON.createObjectNode().put("shard", s.shard()).put("node", s.node())
                            .put("digest", s.digest()).put("revision", s.revision()).put("keys", s.keys())
                            .put("applied-index", s.appliedIndex()));
                } else {
                    throw new HttpError(404, "no such route: " + rawPath);
                }
            }
            default -> {
                Routes routes = mounted.get(parts[2]);
                if (routes == null) {
                    throw new HttpError(404, "no such route: " + rawPath);
                }
                routes.handle(ex, method, parts, q);
            }
        }
    }

    static void requireMethod(String method, String... allowed) {
        for (String a : allowed) {
            if (a.equals(method)) {
                return;
            }
        }
        throw new HttpError(405, "method " + method + " not allowed here (use " + String.join(", ", allowed) + ")");
    }

    private void cluster(RestExchange ex, String method, String[] parts) throws IOException {
        if (parts.length == 3) {
            requireMethod(method, "GET");
            send(ex, 200, JSON.valueToTree(admin.view()));
        } else if (parts[3].equals("members") && parts.length == 4) {
            requireMethod(method, "GET", "POST");
            if (method.equals("POST")) {
                JsonNode body = body(ex);
                addMember(body.path("id").asText(""), body.path("address").asText(""));
            }
            ObjectNode out = JSON.createObjectNode();
            for (ClusterView.NodeView n : admin.view().nodes()) {
                out.put(n.id(), n.raftAddress());
            }
            send(ex, 200, JSON.createObjectNode().set("members", out));
        } else if (parts[3].equals("members") && parts.length == 5) {
            requireMethod(method, "DELETE");
            admin.removeMember(parts[4]);
            send(ex, 200, JSON.createObjectNode().put("removed", parts[4]));
        } else if (parts[3].equals("shards") && parts.length == 6 && parts[5].equals("transfer-leader")) {
            requireMethod(method, "POST");
            String target = body(ex).path("node").asText("");
            if (target.isEmpty()) {
                throw new HttpError(400, "expected {\"node\": \"<node id>\"}");
            }
            admin.transferLeader(parts[4], target);
            send(ex, 200, JSON.createObjectNode().put("shard", parts[4]).put("requested-leader", target));
        } else {
            throw new HttpError(404, "no such route: " + String.join("/", parts));
        }
    }

    /**
     * Adds a member after checking what Ratis would otherwise fail on late and loudly (issue 15, D9): a node id and
     * a host:port with a real port, not an id or an address already in the cluster (the same id at the same address
     * is a retry and succeeds without a change). Waits at most request-timeout
     * plus a second: a change that needs longer (the new node down or unreachable) is answered 503 and may still
     * complete; {@code GET /v1/cluster/members} tells.
     */
    private void addMember(String id, String address) {
        if (!id.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
            throw new HttpError(400, "expected {\"id\": \"n4\", \"address\": \"host:port\"}: the id is 1-64 of"
                    + " A-Z a-z 0-9 . _ - (got '" + id + "')");
        }
        var m = java.util.regex.Pattern.compile("([A-Za-z0-9.-]{1,253}):(\\d{1,5})").matcher(address);
        if (!m.matches() || Integer.parseInt(m.group(2)) < 1 || Integer.parseInt(m.group(2)) > 65535) {
            throw new HttpError(400, "address must be host:port with a port from 1 to 65535, got '" + address + "'");
        }
        for (ClusterView.NodeView n : admin.view().nodes()) {
            if (n.id().equals(id) && n.raftAddress().equals(address)) {
                return; // a retry of a change that completed: nothing to do
            }
            if (n.id().equals(id)) {
                throw new HttpError(409, "node " + id + " is already a member (at " + n.raftAddress() + ")");
            }
            if (n.raftAddress().equals(address)) {
                throw new HttpError(409, "address " + address + " is already member " + n.id() + "'s");
            }
        }
        long waitMs = admin.requestTimeout().toMillis() + 1_000;
        java.util.concurrent.Future<?> change = membershipChanges.submit(() -> admin.addMember(id, address));
        try {
            change.get(waitMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // Interrupted, so that Ratis' client stops retrying and the next change does not queue behind this one.
            change.cancel(true);
            LOG.warn("adding member {} at {}: no answer within {} ms, given up", id, address, waitMs);
            throw new HttpError(503, "adding " + id + " at " + address + " did not complete within " + waitMs
                    + " ms: is that node running and reachable? Some shards may have taken the change: see GET"
                    + " /v1/cluster/members");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StoreException se && se.getCause() == null) {
                throw se; // our own message (e.g. the node accepts no connection), with no library text in it
            }
            LOG.warn("adding member {} at {} failed: {}", id, address, e.getCause().toString());
            throw new HttpError(503, "adding " + id + " at " + address + " failed: the cluster did not accept the"
                    + " change (is a majority of the members up, and that node running?)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HttpError(503, "interrupted while adding " + id);
        }
    }

    private void datastore(RestExchange ex, String method, String rawPath, Map<String, String> q) throws IOException {
        String rest = rawPath.substring("/v1/datastore/".length() - 1); // "/{shard}/{path}"
        if (rest.length() <= 1) {
            throw new HttpError(404, "expected /v1/datastore/{shard}/{path}");
        }
        int slash = rest.indexOf('/', 1);
        String shard = slash < 0 ? rest.substring(1) : rest.substring(1, slash);
        String pathText = slash < 0 ? "/" : URLDecoder.decode(rest.substring(slash), StandardCharsets.UTF_8);
        if (!store.shards().contains(shard)) {
            throw new HttpError(404, "unknown shard '" + shard + "' (shards: " + String.join(", ", store.shards()) + ")");
        }
        DataPath path = DataPath.of(pathText);
        ReadConsistency consistency = switch (q.getOrDefault("consistency", "linearizable")) {
            case "linearizable" -> ReadConsistency.LINEARIZABLE;
            case "stale" -> ReadConsistency.STALE;
            default -> throw new HttpError(400, "consistency must be linearizable or stale");
        };
        switch (method) {
            case "GET" -> {
                if (flag(q, "watch")) {
                    watch(ex, shard, path, longParam(q, "from-revision", 0));
                } else if (flag(q, "list") || path.isRoot()) {
                    DatastoreService.Snapshot s = store.list(shard, path, consistency);
                    ObjectNode out = JSON.createObjectNode().put("shard", shard).put("revision", s.revision());
                    ArrayNode items = out.putArray("items");
                    s.values().forEach(v -> items.add(valueJson(v)));
                    send(ex, 200, out);
                } else {
                    Optional<VersionedValue> v = store.get(shard, path, consistency);
                    if (v.isEmpty()) {
                        throw new HttpError(404, "no document at " + shard + path);
                    }
                    send(ex, 200, valueJson(v.get()));
                }
            }
            case "PUT" -> {
                refuseInternal(shard, path, false);
                if (path.isRoot()) {
                    throw new HttpError(400, "cannot store a document at the shard root; give a path");
                }
                String json = canonical(readBody(ex));
                Transaction.Builder b = Transaction.builder();
                if (flag(q, "if-absent")) {
                    b.require(Precondition.absent(path.toString()));
                }
                if (q.containsKey("if-mod-revision")) {
                    b.require(Precondition.modRevision(path.toString(), longParam(q, "if-mod-revision", 0)));
                }
                commitAndSend(ex, shard, b.put(path.toString(), json).build());
            }
            case "DELETE" -> {
                boolean subtree = flag(q, "prefix");
                refuseInternal(shard, path, subtree);
                Transaction txn = subtree
                        ? new Transaction(List.of(), List.of(io.flowkeeper.api.store.Operation.deletePrefix(path.toString())))
                        : Transaction.builder().delete(path.toString()).build();
                commitAndSend(ex, shard, txn);
            }
            default -> throw new HttpError(405, "method " + method + " not allowed (GET, PUT, DELETE)");
        }
    }

    private void commitAndSend(RestExchange ex, String shard, Transaction txn) throws IOException {
        CommitResult r = store.commit(shard, txn);
        ObjectNode out = JSON.createObjectNode().put("succeeded", r.succeeded()).put("revision", r.revision());
        if (!r.succeeded()) {
            Precondition p = r.failedPrecondition();
            out.put("error", "precondition failed: " + p.path() + " " + p.kind().name().toLowerCase().replace('_', '-')
                    + (p.kind() == Precondition.Kind.MOD_REVISION ? " " + p.revision() : ""));
            send(ex, 409, out);
        } else {
            send(ex, 200, out);
        }
    }

    private void txn(RestExchange ex, String shard) throws IOException {
        if (!store.shards().contains(shard)) {
            throw new HttpError(404, "unknown shard '" + shard + "'");
        }
        JsonNode body = body(ex);
        Transaction.Builder b = Transaction.builder();
        for (JsonNode p : body.path("preconditions")) {
            String path = DataPath.of(p.path("path").asText("")).toString();
            if (p.path("absent").asBoolean(false)) {
                b.require(Precondition.absent(path));
            } else if (p.path("exists").asBoolean(false)) {
                b.require(Precondition.exists(path));
            } else if (p.has("mod-revision")) {
                b.require(Precondition.modRevision(path, p.get("mod-revision").asLong()));
            } else {
                throw new HttpError(400, "precondition on " + path + " needs absent, exists or mod-revision");
            }
        }
        for (JsonNode o : body.path("operations")) {
            if (o.has("put")) {
                if (!o.has("value")) {
                    throw new HttpError(400, "put " + o.get("put").asText() + " needs a value");
                }
                DataPath target = DataPath.of(o.get("put").asText());
                refuseInternal(shard, target, false);
                b.put(target.toString(), JSON.writeValueAsString(o.get("value")));
            } else if (o.has("delete")) {
                DataPath target = DataPath.of(o.get("delete").asText());
                refuseInternal(shard, target, false);
                b.delete(target.toString());
            } else {
                throw new HttpError(400, "each operation is {\"put\": path, \"value\": json} or {\"delete\": path}");
            }
        }
        commitAndSend(ex, shard, b.build());
    }

    /** Streams events as NDJSON until the client disconnects or the watch closes. */
    private void watch(RestExchange ex, String shard, DataPath prefix, long fromRevision) throws IOException {
        LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>(100_000);
        Object closedMarker = new Object();
        Watch w = store.watch(shard, prefix, fromRevision, new WatchListener() {
            @Override
            public void onEvent(WatchEvent event) {
                if (!queue.offer(event)) {
                    queue.clear();
                    queue.offer("watch fell behind; resume from the last revision seen");
                }
            }

            @Override
            public void onClosed(String reason) {
                queue.offer(reason);
                queue.offer(closedMarker);
            }
        });
        try (OutputStream out = ex.stream(200, "application/x-ndjson")) {
            out.write((JSON.writeValueAsString(JSON.createObjectNode().put("type", "WATCHING").put("shard", shard)
                    .put("prefix", prefix.toString()).put("node", admin.nodeId())) + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            while (true) {
                // Heartbeat every 10 s so proxies keep the stream open and a dead client is noticed.
                Object item = queue.poll(10, TimeUnit.SECONDS);
                if (item == closedMarker) {
                    break;
                }
                ObjectNode line = JSON.createObjectNode();
                if (item == null) {
                    line.put("type", "HEARTBEAT");
                } else if (item instanceof String reason) {
                    line.put("type", "CLOSED").put("reason", reason);
                } else {
                    WatchEvent e = (WatchEvent) item;
                    line.put("type", e.type().name()).put("revision", e.revision()).put("path", e.path());
                    if (e.json() != null) {
                        line.set("value", JSON.readTree(e.json()));
                    }
                }
                out.write((JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8));
                if (queue.isEmpty()) {
                    out.flush();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            w.close();
        }
    }

    private static ObjectNode valueJson(VersionedValue v) {
        ObjectNode n = JSON.createObjectNode().put("path", v.path()).put("create-revision", v.createRevision())
                .put("mod-revision", v.modRevision()).put("version", v.version());
        try {
            n.set("value", JSON.readTree(v.json()));
        } catch (JsonProcessingException e) {
            n.put("value-text", v.json());
        }
        return n;
    }

    JsonNode body(RestExchange ex) throws IOException {
        String text = readBody(ex);
        try {
            JsonNode n = strictTree(text);
            if (n == null || !n.isObject()) {
                throw new HttpError(400, "body must be a JSON object");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw new HttpError(400, "malformed JSON: " + e.getOriginalMessage());
        }
    }

    /**
     * One JSON value and nothing after it, no duplicate keys (the mapper refuses those), and only finite numbers:
     * {@code 1e999999} would otherwise be stored as the string "Infinity".
     */
    static JsonNode strictTree(String text) throws JsonProcessingException {
        JsonNode n = JSON.readTree(text);
        requireFinite(n);
        return n;
    }

    private static void requireFinite(JsonNode n) {
        if (n == null) {
            return;
        }
        if (n.isFloatingPointNumber() && !Double.isFinite(n.doubleValue())) {
            throw new HttpError(400, "number out of range: " + n.asText() + " (JSON numbers must be finite doubles)");
        }
        n.forEach(RestServer::requireFinite);
    }

    private static String canonical(String text) {
        try {
            JsonNode n = strictTree(text);
            if (n == null || n.isMissingNode()) {
                throw new HttpError(400, "empty body: send a JSON document");
            }
            return JSON.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new HttpError(400, "malformed JSON: " + e.getOriginalMessage());
        }
    }

    String readBody(RestExchange ex) {
        return new String(ex.body(), StandardCharsets.UTF_8);
    }

    /** 403 for a write to data the nodes keep for themselves (see {@link InternalData}). */
    private void refuseInternal(String shard, DataPath path, boolean subtree) {
        InternalData.whyReadOnly(shard, path, subtree).ifPresent(why -> {
            throw new HttpError(403, why);
        });
    }

    /** A boolean query parameter: {@code true} or {@code false} only ({@code ?list} alone means true). */
    private static boolean flag(Map<String, String> q, String key) {
        String s = q.get(key);
        if (s == null || s.equals("false")) {
            return false;
        }
        if (s.equals("true")) {
            return true;
        }
        throw new HttpError(400, key + " must be true or false, got '" + s + "'");
    }

    private static long longParam(Map<String, String> q, String key, long def) {
        String s = q.get(key);
        if (s == null) {
            return def;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new HttpError(400, key + " must be a number, got '" + s + "'");
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new HashMap<>();
        if (raw != null) {
            for (String kv : raw.split("&")) {
                int eq = kv.indexOf('=');
                String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "true" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
                q.put(k, v);
            }
        }
        return q;
    }

    static void send(RestExchange ex, int status, JsonNode body) throws IOException {
        ex.respond(status, "application/json", (JSON.writeValueAsString(body) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static void sendError(RestExchange ex, int status, String message) throws IOException {
        if (ex.responded()) {
            throw new IOException("failed after the response started (" + status + " " + message + ")");
        }
        send(ex, status, errorJson(status, message));
    }
}
