package io.flowkeeper.controller;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.flowkeeper.api.cluster.ClusterView;
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
import io.flowkeeper.cluster.ClusterNode;
import io.flowkeeper.cluster.ShardStateMachine;
import io.flowkeeper.network.OpenStackEndpoint;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The northbound REST API of one node (JDK HTTP server: no framework needed for a dozen routes). Every route but
 * {@code /v1/health} needs {@code Authorization: Bearer <token>}. Routes:
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
 * </pre>
 * Switch and ownership routes are mounted by {@link SwitchRoutes}. {@code /}, {@code /v2.0/} and {@code /identity/}
 * go to the OpenStack APIs ({@link OpenStackEndpoint}: Neutron and Keystone, with their own tokens and error shape). Routes under {@code /v1/internal/} are for calls
 * one node forwards to another and accept only the node token, never an API token.
 * Errors are {@code {"error": "..."}}: 400 bad input, 401 no token, 403 wrong token, 404 unknown shard/path/route,
 * 409 failed precondition, 413 oversized body, 503 shard without quorum (after request-timeout).
 */
public final class RestServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RestServer.class);
    static final ObjectMapper JSON = new ObjectMapper();

    /** The routes of one first path segment after {@code /v1/}, mounted by other parts of the node. */
    interface Routes {
        void handle(HttpExchange ex, String method, String[] parts, Map<String, String> query) throws IOException;
    }

    private final ClusterNode node;
    private final List<byte[]> tokens;
    private final byte[] nodeToken;
    private final Map<String, Routes> mounted = new java.util.concurrent.ConcurrentHashMap<>();
    private final HttpServer http;
    private final ExecutorService executor;
    private final int maxBodyBytes;
    private volatile OpenStackEndpoint openstack;

    public RestServer(ClusterNode node, String address, List<String> tokens, String nodeToken) throws IOException {
        this.node = node;
        this.tokens = tokens.stream().map(t -> t.getBytes(StandardCharsets.UTF_8)).toList();
        this.nodeToken = nodeToken.getBytes(StandardCharsets.UTF_8);
        // A body may carry a transaction of the largest size a node accepts and replicates: 4 documents of the
        // largest size plus their paths and framing.
        this.maxBodyBytes = (int) node.config().maxTransactionBytes();
        int colon = address.lastIndexOf(':');
        this.http = HttpServer.create(new InetSocketAddress(address.substring(0, colon),
                Integer.parseInt(address.substring(colon + 1))), 128);
        // Watch streams hold a thread each for their lifetime: a bounded pool, rejecting beyond 256 requests.
        this.executor = new ThreadPoolExecutor(8, 256, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "rest");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(executor);
        http.createContext("/", this::handle);
    }

    public void start() {
        http.start();
    }

    /** Serves {@code /}, {@code /v2.0/...} and {@code /identity/...} with the OpenStack APIs. */
    void mountOpenStack(OpenStackEndpoint endpoint) {
        this.openstack = endpoint;
    }

    /** Serves {@code /v1/<segment>/...} with {@code routes}; {@code internal} is reserved for node-to-node calls. */
    void mount(String segment, Routes routes) {
        mounted.put(segment, routes);
    }

    public int port() {
        return http.getAddress().getPort();
    }

    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
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

    private void handle(HttpExchange ex) throws IOException {
        try {
            String path = ex.getRequestURI().getRawPath();
            if (openstack != null && OpenStackEndpoint.handles(path)) {
                openstack.handle(ex); // Neutron and Keystone authenticate with their own X-Auth-Token
                return;
            }
            if (path.equals("/v1/health")) {
                send(ex, 200, JSON.createObjectNode().put("status", "up").put("node", node.nodeId()));
                return;
            }
            authorize(ex, path.startsWith("/v1/internal/") ? List.of(nodeToken) : tokens);
            route(ex, path);
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
        } catch (IOException e) {
            LOG.debug("client went away: {}", e.toString());
        } catch (RuntimeException e) {
            LOG.warn("request {} {} failed", ex.getRequestMethod(), ex.getRequestURI(), e);
            sendError(ex, 500, "internal error: " + e);
        } finally {
            ex.close();
        }
    }

    private static void authorize(HttpExchange ex, List<byte[]> tokens) {
        String header = ex.getRequestHeaders().getFirst("Authorization");
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

    private void route(HttpExchange ex, String rawPath) throws IOException {
        String method = ex.getRequestMethod();
        Map<String, String> q = query(ex);
        String[] parts = rawPath.split("/", -1); // "", "v1", ...
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
                    ShardStateMachine sm = node.stateMachine(parts[3]);
                    send(ex, 200, JSON.createObjectNode().put("shard", parts[3]).put("node", node.nodeId())
                            .put("digest", sm.digest()).put("revision", sm.revision()).put("keys", sm.size())
                            .put("applied-index", sm.getLastAppliedTermIndex().getIndex()));
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

    private void cluster(HttpExchange ex, String method, String[] parts) throws IOException {
        if (parts.length == 3) {
            requireMethod(method, "GET");
            send(ex, 200, JSON.valueToTree(node.view()));
        } else if (parts[3].equals("members") && parts.length == 4) {
            requireMethod(method, "GET", "POST");
            if (method.equals("POST")) {
                JsonNode body = body(ex);
                String id = body.path("id").asText("");
                String address = body.path("address").asText("");
                if (id.isEmpty() || !address.matches("[^:\\s]+:\\d{1,5}")) {
                    throw new HttpError(400, "expected {\"id\": \"n4\", \"address\": \"host:port\"}");
                }
                node.addMember(id, address);
            }
            ObjectNode out = JSON.createObjectNode();
            for (ClusterView.NodeView n : node.view().nodes()) {
                out.put(n.id(), n.raftAddress());
            }
            send(ex, 200, JSON.createObjectNode().set("members", out));
        } else if (parts[3].equals("members") && parts.length == 5) {
            requireMethod(method, "DELETE");
            node.removeMember(parts[4]);
            send(ex, 200, JSON.createObjectNode().put("removed", parts[4]));
        } else if (parts[3].equals("shards") && parts.length == 6 && parts[5].equals("transfer-leader")) {
            requireMethod(method, "POST");
            String target = body(ex).path("node").asText("");
            if (target.isEmpty()) {
                throw new HttpError(400, "expected {\"node\": \"<node id>\"}");
            }
            node.transferLeader(parts[4], target);
            send(ex, 200, JSON.createObjectNode().put("shard", parts[4]).put("requested-leader", target));
        } else {
            throw new HttpError(404, "no such route: " + String.join("/", parts));
        }
    }

    private void datastore(HttpExchange ex, String method, String rawPath, Map<String, String> q) throws IOException {
        String rest = rawPath.substring("/v1/datastore/".length() - 1); // "/{shard}/{path}"
        if (rest.length() <= 1) {
            throw new HttpError(404, "expected /v1/datastore/{shard}/{path}");
        }
        int slash = rest.indexOf('/', 1);
        String shard = slash < 0 ? rest.substring(1) : rest.substring(1, slash);
        String pathText = slash < 0 ? "/" : URLDecoder.decode(rest.substring(slash), StandardCharsets.UTF_8);
        if (!node.shards().contains(shard)) {
            throw new HttpError(404, "unknown shard '" + shard + "' (shards: " + String.join(", ", node.shards()) + ")");
        }
        DataPath path = DataPath.of(pathText);
        ReadConsistency consistency = switch (q.getOrDefault("consistency", "linearizable")) {
            case "linearizable" -> ReadConsistency.LINEARIZABLE;
            case "stale" -> ReadConsistency.STALE;
            default -> throw new HttpError(400, "consistency must be linearizable or stale");
        };
        switch (method) {
            case "GET" -> {
                if (Boolean.parseBoolean(q.get("watch"))) {
                    watch(ex, shard, path, longParam(q, "from-revision", 0));
                } else if (Boolean.parseBoolean(q.get("list")) || path.isRoot()) {
                    DatastoreService.Snapshot s = node.list(shard, path, consistency);
                    ObjectNode out = JSON.createObjectNode().put("shard", shard).put("revision", s.revision());
                    ArrayNode items = out.putArray("items");
                    s.values().forEach(v -> items.add(valueJson(v)));
                    send(ex, 200, out);
                } else {
                    Optional<VersionedValue> v = node.get(shard, path, consistency);
                    if (v.isEmpty()) {
                        throw new HttpError(404, "no document at " + shard + path);
                    }
                    send(ex, 200, valueJson(v.get()));
                }
            }
            case "PUT" -> {
                if (path.isRoot()) {
                    throw new HttpError(400, "cannot store a document at the shard root; give a path");
                }
                String json = canonical(readBody(ex));
                Transaction.Builder b = Transaction.builder();
                if (Boolean.parseBoolean(q.get("if-absent"))) {
                    b.require(Precondition.absent(path.toString()));
                }
                if (q.containsKey("if-mod-revision")) {
                    b.require(Precondition.modRevision(path.toString(), longParam(q, "if-mod-revision", 0)));
                }
                commitAndSend(ex, shard, b.put(path.toString(), json).build());
            }
            case "DELETE" -> {
                Transaction txn = Boolean.parseBoolean(q.get("prefix"))
                        ? new Transaction(List.of(), List.of(io.flowkeeper.api.store.Operation.deletePrefix(path.toString())))
                        : Transaction.builder().delete(path.toString()).build();
                commitAndSend(ex, shard, txn);
            }
            default -> throw new HttpError(405, "method " + method + " not allowed (GET, PUT, DELETE)");
        }
    }

    private void commitAndSend(HttpExchange ex, String shard, Transaction txn) throws IOException {
        CommitResult r = node.commit(shard, txn);
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

    private void txn(HttpExchange ex, String shard) throws IOException {
        if (!node.shards().contains(shard)) {
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
                b.put(DataPath.of(o.get("put").asText()).toString(), JSON.writeValueAsString(o.get("value")));
            } else if (o.has("delete")) {
                b.delete(DataPath.of(o.get("delete").asText()).toString());
            } else {
                throw new HttpError(400, "each operation is {\"put\": path, \"value\": json} or {\"delete\": path}");
            }
        }
        commitAndSend(ex, shard, b.build());
    }

    /** Streams events as NDJSON until the client disconnects or the watch closes. */
    private void watch(HttpExchange ex, String shard, DataPath prefix, long fromRevision) throws IOException {
        LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>(100_000);
        Object closedMarker = new Object();
        Watch w = node.watch(shard, prefix, fromRevision, new WatchListener() {
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
        ex.getResponseHeaders().set("Content-Type", "application/x-ndjson");
        ex.sendResponseHeaders(200, 0);
        try (OutputStream out = ex.getResponseBody()) {
            out.write((JSON.writeValueAsString(JSON.createObjectNode().put("type", "WATCHING").put("shard", shard)
                    .put("prefix", prefix.toString()).put("node", node.nodeId())) + "\n").getBytes(StandardCharsets.UTF_8));
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

    JsonNode body(HttpExchange ex) throws IOException {
        String text = readBody(ex);
        try {
            JsonNode n = JSON.readTree(text);
            if (n == null || !n.isObject()) {
                throw new HttpError(400, "body must be a JSON object");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw new HttpError(400, "malformed JSON: " + e.getOriginalMessage());
        }
    }

    private static String canonical(String text) {
        try {
            JsonNode n = JSON.readTree(text);
            if (n == null || n.isMissingNode()) {
                throw new HttpError(400, "empty body: send a JSON document");
            }
            return JSON.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new HttpError(400, "malformed JSON: " + e.getOriginalMessage());
        }
    }

    String readBody(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            byte[] bytes = in.readNBytes(maxBodyBytes + 1);
            if (bytes.length > maxBodyBytes) {
                throw new HttpError(413, "request body larger than " + maxBodyBytes + " bytes (documents may be at most "
                        + node.config().maxValueBytes() + " bytes)");
            }
            return new String(bytes, StandardCharsets.UTF_8);
        }
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

    private static Map<String, String> query(HttpExchange ex) {
        Map<String, String> q = new HashMap<>();
        String raw = ex.getRequestURI().getRawQuery();
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

    static void send(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] bytes = (JSON.writeValueAsString(body) + "\n").getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static void sendError(HttpExchange ex, int status, String message) {
        try {
            send(ex, status, JSON.createObjectNode().put("error", message).put("status", status));
        } catch (IOException e) {
            LOG.debug("could not send error: {}", e.toString());
        }
    }
}
