package io.flowkeeper.network;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.StoreException;
import io.flowkeeper.api.store.VersionedValue;
import io.flowkeeper.api.store.Watch;
import io.flowkeeper.api.store.WatchEvent;
import io.flowkeeper.api.store.WatchListener;
import io.flowkeeper.api.util.Threads;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's in-memory copy of the documents directly below one prefix of a shard ({@code /neutron/ports/{id}}),
 * kept current by a watch, telling a listener each document's before and after. It reads the prefix, then watches
 * from that revision, so no change is missed or seen twice; a watch that restarts (RESET, or closed because it fell
 * behind) is replayed as changes from what was known to what is. The listener runs on the watch's thread.
 */
public final class DocumentMirror implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DocumentMirror.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Hears changes; {@code live} is false for what start-up and watch restarts replay. */
    public interface Listener {
        /** {@code before} null: a new document; {@code after} null: deleted. */
        void changed(String id, JsonNode before, JsonNode after, boolean live);
    }

    private final DatastoreService store;
    private final String shard;
    private final String prefix;
    private final Listener listener;
    private final Map<String, JsonNode> docs = new HashMap<>();
    /** Ids seen since the last RESET (the dump's): what is not among them at SYNCED was deleted meanwhile. */
    private Map<String, JsonNode> dump;
    private volatile Watch watch;
    private volatile boolean closed;

    public DocumentMirror(DatastoreService store, String shard, String prefix, Listener listener) {
        this.store = store;
        this.shard = shard;
        this.prefix = prefix;
        this.listener = listener;
    }

    /** Reads the documents (replayed to the listener, not live) and starts watching; retries in the background. */
    public DocumentMirror start() {
        DatastoreService.Snapshot snapshot;
        try {
            snapshot = store.list(shard, DataPath.of(prefix), ReadConsistency.STALE);
        } catch (StoreException e) {
            LOG.warn("cannot read {} ({}); retrying in 1 s", prefix, e.getMessage());
            Threads.startDaemon("mirror-retry", () -> {
                try {
                    Thread.sleep(1_000);
                } catch (InterruptedException ie) {
                    return;
                }
                if (!closed) {
                    start();
                }
            });
            return this;
        }
        Map<String, JsonNode> now = new HashMap<>();
        for (VersionedValue v : snapshot.values()) {
            if (isChild(v.path())) {
                now.put(id(v.path()), parse(v.json()));
            }
        }
        synchronized (this) {
            replace(now);
        }
        watch = store.watch(shard, DataPath.of(prefix), snapshot.revision(), new WatchListener() {
            @Override
            public void onEvent(WatchEvent e) {
                apply(e);
            }

            @Override
            public void onClosed(String reason) {
                if (!closed) {
                    LOG.warn("watch of {} closed ({}): reading it again", prefix, reason);
                    start();
                }
            }
        });
        if (closed) {
            watch.close();
        }
        return this;
    }

    private synchronized void apply(WatchEvent e) {
        switch (e.type()) {
            case RESET -> dump = new HashMap<>();
            case SYNCED -> {
                if (dump != null) {
                    replace(dump);
                    dump = null;
                }
            }
            case PUT -> {
                if (!isChild(e.path())) {
                    return;
                }
                JsonNode after = parse(e.json());
                if (dump != null) {
                    dump.put(id(e.path()), after);
                } else {
                    listener.changed(id(e.path()), docs.put(id(e.path()), after), after, true);
                }
            }
            case DELETE -> {
                if (dump == null && isChild(e.path())) {
                    JsonNode before = docs.remove(id(e.path()));
                    if (before != null) {
                        listener.changed(id(e.path()), before, null, true);
                    }
                }
            }
            default -> { }
        }
    }

    /** Makes {@code now} the known state, telling the listener every difference (not live). */
    private void replace(Map<String, JsonNode> now) {
        for (Map.Entry<String, JsonNode> old : Map.copyOf(docs).entrySet()) {
            if (!now.containsKey(old.getKey())) {
                docs.remove(old.getKey());
                listener.changed(old.getKey(), old.getValue(), null, false);
            }
        }
        now.forEach((id, doc) -> {
            JsonNode before = docs.put(id, doc);
            if (!doc.equals(before)) {
                listener.changed(id, before, doc, false);
            }
        });
    }

    private boolean isChild(String path) {
        return path.length() > prefix.length() + 1 && path.indexOf('/', prefix.length() + 1) < 0;
    }

    private static String id(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }

    @Override
    public void close() {
        closed = true;
        Watch w = watch;
        if (w != null) {
            w.close();
        }
    }
}
