package io.flowkeeper.agent.ovsdb;

import io.flowkeeper.api.util.Threads;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JSON-RPC session with {@code ovsdb-server} over its Unix socket. Requests may be sent from any thread; a
 * reader thread matches replies to requests by id and answers the server's {@code echo} probes.
 */
public final class OvsdbClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OvsdbClient.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(JsonParser.Feature.AUTO_CLOSE_SOURCE, false);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** A local ovsdb-server answers in milliseconds; this bounds a wedged one. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private final SocketChannel channel;
    private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    /** Monitor id → where its table updates go; the initial contents first (see {@link #monitor}). */
    private final Map<String, BlockingQueue<JsonNode>> monitors = new ConcurrentHashMap<>();
    private final Map<Long, BlockingQueue<JsonNode>> monitorReplies = new ConcurrentHashMap<>();
    /** Put on every monitor's queue when the session ends: the monitor must be set up again on a new session. */
    public static final JsonNode CLOSED = com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    private final AtomicLong ids = new AtomicLong();
    private final Thread reader;
    private volatile boolean closed;

    private OvsdbClient(SocketChannel channel, String name) {
        this.channel = channel;
        this.reader = Threads.startDaemon("ovsdb-" + name, this::readLoop);
    }

    /** Connects to {@code db.sock}. */
    public static OvsdbClient connect(Path socket) throws OvsdbException {
        try {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
            return new OvsdbClient(ch, socket.getParent() == null ? "db" : socket.getParent().getFileName().toString());
        } catch (IOException e) {
            throw new OvsdbException("cannot connect to OVSDB at " + socket + ": " + e.getMessage(), e);
        }
    }

    private void readLoop() {
        try (InputStream in = Channels.newInputStream(channel);
                MappingIterator<JsonNode> messages = JSON.readerFor(JsonNode.class).readValues(in)) {
            while (messages.hasNextValue()) {
                JsonNode msg = messages.nextValue();
                JsonNode method = msg.get("method");
                if (method != null && "echo".equals(method.asText())) {
                    ObjectNode reply = NODES.objectNode();
                    reply.set("result", msg.get("params"));
                    reply.set("error", NODES.nullNode());
                    reply.set("id", msg.get("id"));
                    send(reply);
                    continue;
                }
                if (method != null && "update".equals(method.asText())) {
                    JsonNode params = msg.path("params");
                    BlockingQueue<JsonNode> q = monitors.get(params.path(0).asText());
                    if (q != null) {
                        q.add(params.path(1));
                    }
                    continue;
                }
                JsonNode id = msg.get("id");
                if (id != null && id.canConvertToLong()) {
                    BlockingQueue<JsonNode> initial = monitorReplies.remove(id.asLong());
                    if (initial != null && msg.path("error").isNull()) {
                        initial.add(msg.path("result")); // before any update that follows it on the wire
                    }
                    CompletableFuture<JsonNode> f = pending.remove(id.asLong());
                    if (f != null) {
                        JsonNode error = msg.get("error");
                        if (error != null && !error.isNull()) {
                            f.completeExceptionally(new OvsdbException("OVSDB error: " + error));
                        } else {
                            f.complete(msg.get("result"));
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            if (!closed) {
                LOG.debug("OVSDB session ended: {}", e.getMessage());
            }
        } finally {
            monitors.values().forEach(q -> q.add(CLOSED));
            OvsdbException gone = new OvsdbException("OVSDB connection closed");
            pending.values().forEach(f -> f.completeExceptionally(gone));
            pending.clear();
        }
    }

    private synchronized void send(JsonNode message) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(JSON.writeValueAsBytes(message));
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
    }

    /** Sends a request and waits for its result. */
    public JsonNode call(String method, ArrayNode params) throws OvsdbException {
        return call(method, params, ids.incrementAndGet());
    }

    private JsonNode call(String method, ArrayNode params, long id) throws OvsdbException {
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        pending.put(id, f);
        ObjectNode req = NODES.objectNode();
        req.put("method", method);
        req.set("params", params);
        req.put("id", id);
        try {
            send(req);
            return f.get(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof OvsdbException o ? o : new OvsdbException(e.getCause().getMessage(), e);
        } catch (TimeoutException e) {
            throw new OvsdbException("OVSDB did not answer " + method + " within " + REQUEST_TIMEOUT.toSeconds() + " s");
        } catch (IOException e) {
            throw new OvsdbException("OVSDB request failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OvsdbException("interrupted", e);
        } finally {
            pending.remove(id);
        }
    }

    /** Runs one transaction on the Open_vSwitch database; fails if any operation in it failed. */
    public JsonNode transact(ObjectNode... operations) throws OvsdbException {
        ArrayNode params = NODES.arrayNode().add("Open_vSwitch");
        for (ObjectNode op : operations) {
            params.add(op);
        }
        JsonNode result = call("transact", params);
        for (JsonNode r : result) {
            if (r.has("error")) {
                throw new OvsdbException("OVSDB transaction failed: " + r.get("error").asText()
                        + (r.has("details") ? " (" + r.get("details").asText() + ")" : ""));
            }
        }
        return result;
    }

    /** The value of {@code other_config:<key>} in the Open_vSwitch row, or null. */
    public String otherConfig(String key) throws OvsdbException {
        ObjectNode select = NODES.objectNode();
        select.put("op", "select");
        select.put("table", "Open_vSwitch");
        select.set("where", NODES.arrayNode());
        select.set("columns", NODES.arrayNode().add("other_config"));
        JsonNode rows = transact(select).get(0).get("rows");
        if (rows == null || rows.isEmpty()) {
            return null;
        }
        return ovsMap(rows.get(0).get("other_config")).get(key);
    }

    /** How many controllers {@code bridge}'s row names (0 when there is no such bridge). */
    public int controllerCount(String bridge) throws OvsdbException {
        JsonNode rows = select("Bridge", equal("name", bridge), "controller");
        if (rows == null || rows.isEmpty()) {
            return 0;
        }
        JsonNode column = rows.get(0).get("controller"); // ["uuid", u] for one, ["set", [...]] otherwise
        return "set".equals(column.get(0).asText()) ? column.get(1).size() : 1;
    }

    /** Sets {@code other_config:<key>=<value>} in the Open_vSwitch row. */
    public void setOtherConfig(String key, String value) throws OvsdbException {
        mutateOtherConfig("delete", NODES.arrayNode().add("set").add(NODES.arrayNode().add(key)));
        mutateOtherConfig("insert", NODES.arrayNode().add("map").add(NODES.arrayNode().add(
                NODES.arrayNode().add(key).add(value))));
    }

    /** Removes {@code other_config:<key>} from the Open_vSwitch row (absent is fine). */
    public void removeOtherConfig(String key) throws OvsdbException {
        mutateOtherConfig("delete", NODES.arrayNode().add("set").add(NODES.arrayNode().add(key)));
    }

    private void mutateOtherConfig(String mutator, ArrayNode value) throws OvsdbException {
        ObjectNode mutate = NODES.objectNode();
        mutate.put("op", "mutate");
        mutate.put("table", "Open_vSwitch");
        mutate.set("where", NODES.arrayNode());
        mutate.set("mutations", NODES.arrayNode().add(NODES.arrayNode().add("other_config").add(mutator).add(value)));
        transact(mutate);
    }

    /** Every interface's {@code external_ids:iface-id} (VM port bindings), by interface name. */
    public Map<String, String> ifaceIds() throws OvsdbException {
        ObjectNode select = NODES.objectNode();
        select.put("op", "select");
        select.put("table", "Interface");
        select.set("where", NODES.arrayNode());
        select.set("columns", NODES.arrayNode().add("name").add("external_ids"));
        Map<String, String> bindings = new LinkedHashMap<>();
        for (JsonNode row : transact(select).get(0).get("rows")) {
            String id = ovsMap(row.get("external_ids")).get("iface-id");
            if (id != null) {
                bindings.put(row.get("name").asText(), id);
            }
        }
        return bindings;
    }

    /**
     * Monitors {@code columns} of {@code table}: {@code updates} receives the table's current rows and then every
     * change, each as OVSDB's {@code <table-updates>} ({@code {table: {uuid: {"old": row, "new": row}}}}), in the
     * order the server sent them; {@link #CLOSED} when the session ends.
     */
    public void monitor(String table, List<String> columns, BlockingQueue<JsonNode> updates) throws OvsdbException {
        long id = ids.incrementAndGet();
        ArrayNode cols = NODES.arrayNode();
        columns.forEach(cols::add);
        ObjectNode request = NODES.objectNode();
        request.putObject(table).set("columns", cols);
        monitors.put(table, updates);
        monitorReplies.put(id, updates);
        try {
            call("monitor", NODES.arrayNode().add("Open_vSwitch").add(table).add(request), id);
        } catch (OvsdbException e) {
            monitors.remove(table);
            monitorReplies.remove(id);
            throw e;
        }
    }

    /** The rows of {@code table} matching {@code where} (OVSDB conditions; empty: all), with {@code columns}. */
    public JsonNode select(String table, ArrayNode where, String... columns) throws OvsdbException {
        ObjectNode select = NODES.objectNode();
        select.put("op", "select");
        select.put("table", table);
        select.set("where", where);
        ArrayNode cols = select.putArray("columns");
        for (String c : columns) {
            cols.add(c);
        }
        return transact(select).get(0).get("rows");
    }

    /** The OVSDB condition {@code column == value}. */
    public static ArrayNode equal(String column, String value) {
        return NODES.arrayNode().add(NODES.arrayNode().add(column).add("==").add(value));
    }

    /** An OVSDB {@code ["map", [[k, v], ...]]}. */
    public static ArrayNode map(Map<String, String> entries) {
        ArrayNode pairs = NODES.arrayNode();
        entries.forEach((k, v) -> pairs.add(NODES.arrayNode().add(k).add(v)));
        return NODES.arrayNode().add("map").add(pairs);
    }

    /** An OVSDB set of strings. */
    public static ArrayNode set(List<String> values) {
        ArrayNode items = NODES.arrayNode();
        values.forEach(items::add);
        return NODES.arrayNode().add("set").add(items);
    }

    /** Decodes an OVSDB {@code ["map", [[k, v], ...]]}. */
    public static Map<String, String> ovsMap(JsonNode node) {
        Map<String, String> map = new LinkedHashMap<>();
        if (node != null && node.isArray() && node.size() == 2 && "map".equals(node.get(0).asText())) {
            for (JsonNode pair : node.get(1)) {
                map.put(pair.get(0).asText(), pair.get(1).asText());
            }
        }
        return map;
    }

    @Override
    public void close() {
        closed = true;
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("closing OVSDB socket: {}", e.getMessage());
        }
    }
}
