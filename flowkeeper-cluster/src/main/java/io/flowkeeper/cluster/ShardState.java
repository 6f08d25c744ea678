package io.flowkeeper.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowkeeper.api.store.CommitResult;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.store.Operation;
import io.flowkeeper.api.store.Precondition;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.api.store.VersionedValue;
import io.flowkeeper.api.store.Watch;
import io.flowkeeper.api.store.WatchEvent;
import io.flowkeeper.api.store.WatchListener;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One shard's state, with no consensus in it: a sorted map from path to {@link VersionedValue}, the shard revision
 * (one more per successful transaction that writes), the checks and application of a transaction, a bounded history
 * of committed changes for resuming watches, the watches themselves, and a digest. {@link ShardStateMachine} feeds
 * it the replicated log; the in-memory datastore of {@code io.flowkeeper.cluster.testing} feeds it directly. Given
 * the same transactions in the same order, every instance reaches the same state.
 *
 * <p>Threading: every method holds this object's monitor, which also makes a watch's replay-then-live hand-over gap
 * free. Watch listeners run on their watch's own thread, never under the monitor.
 */
public final class ShardState {
    private static final Logger LOG = LoggerFactory.getLogger(ShardState.class);

    /**
     * The outcome of one transaction: {@code failedPrecondition} is the index of the first precondition that did not
     * hold (-1: none), {@code error} is set when the transaction was refused as malformed (the same on every replica,
     * since all see the same transaction).
     */
    public record Outcome(boolean succeeded, long revision, int failedPrecondition, String error) {
        static Outcome refused(long revision, String error) {
            return new Outcome(false, revision, -1, error);
        }

        /** The service's result for {@code txn}, the transaction this is the outcome of. */
        public CommitResult toCommitResult(Transaction txn) {
            return new CommitResult(succeeded, revision,
                    failedPrecondition >= 0 ? txn.preconditions().get(failedPrecondition) : null);
        }
    }

    /** Every key and the revision they reflect, taken atomically (what a snapshot file holds). */
    public record Image(long revision, List<VersionedValue> values) {}

    private final String shard;
    private final int historyLimit;
    private NavigableMap<String, VersionedValue> data = new TreeMap<>();
    private long revision;
    /** Changes after {@code historyFloor}, oldest first; every change after the floor is in here. */
    private final ArrayDeque<WatchEvent> history = new ArrayDeque<>();
    private long historyFloor;
    private final List<ShardWatch> watches = new CopyOnWriteArrayList<>();

    /** @param historyLimit how many changes are kept for watches that resume from an older revision */
    public ShardState(String shard, int historyLimit) {
        this.shard = shard;
        this.historyLimit = historyLimit;
    }

    public String shard() {
        return shard;
    }

    // ---- writes ----

    /** Checks one transaction's preconditions and, if all hold, applies it under the next revision. */
    public synchronized Outcome apply(Transaction txn) {
        List<Precondition> pre = txn.preconditions();
        for (int i = 0; i < pre.size(); i++) {
            if (!holds(pre.get(i))) {
                return new Outcome(false, revision, i, null);
            }
        }
        if (txn.operations().isEmpty()) {
            return new Outcome(true, revision, -1, null);
        }
        DataPath[] prefixes = new DataPath[txn.operations().size()];
        for (int i = 0; i < prefixes.length; i++) {
            Operation op = txn.operations().get(i);
            if (op.kind() == Operation.Kind.DELETE_PREFIX) {
                try {
                    prefixes[i] = DataPath.of(op.path());
                } catch (IllegalArgumentException e) {
                    // Checked before anything changed, so a refused transaction leaves no partial write behind.
                    return Outcome.refused(revision, e.getMessage());
                }
            }
        }
        long rev = revision + 1;
        List<WatchEvent> events = new ArrayList<>();
        for (int i = 0; i < prefixes.length; i++) {
            Operation op = txn.operations().get(i);
            switch (op.kind()) {
                case PUT -> {
                    // One walk down the tree, not a get and a put: path comparisons were ~10% of a replica's CPU.
                    data.compute(op.path(), (path, old) -> old == null
                            ? new VersionedValue(path, op.json(), rev, rev, 1)
                            : new VersionedValue(path, op.json(), old.createRevision(), rev, old.version() + 1));
                    events.add(new WatchEvent(WatchEvent.Type.PUT, rev, op.path(), op.json()));
                }
                case DELETE -> {
                    if (data.remove(op.path()) != null) {
                        events.add(new WatchEvent(WatchEvent.Type.DELETE, rev, op.path(), null));
                    }
                }
                case DELETE_PREFIX -> {
                    for (String key : new ArrayList<>(subMap(prefixes[i]).keySet())) {
                        data.remove(key);
                        events.add(new WatchEvent(WatchEvent.Type.DELETE, rev, key, null));
                    }
                }
            }
        }
        revision = rev;
        for (WatchEvent e : events) {
            history.addLast(e);
            for (ShardWatch w : watches) {
                w.offer(e);
            }
        }
        while (history.size() > historyLimit) {
            historyFloor = history.removeFirst().revision();
            // Drop the rest of that revision too, so the floor never splits one transaction.
            while (!history.isEmpty() && history.peekFirst().revision() == historyFloor) {
                history.removeFirst();
            }
        }
        return new Outcome(true, rev, -1, null);
    }

    /**
     * Plans a command against the current state (see {@link ShardCommands}) and applies the resulting transaction,
     * atomically. A command the rules refuse changes nothing (it is logged, and succeeds as an empty transaction).
     */
    public synchronized Outcome applyCommand(ShardCommands commands, String command, JsonNode args) {
        Transaction txn;
        try {
            // Planned against the state right here, under the monitor: every replica plans the same changes.
            txn = commands.plan(command, args, commandState);
        } catch (RuntimeException e) {
            LOG.warn("{}: command '{}' refused: {}", shard, command, e.getMessage());
            txn = new Transaction(List.of(), List.of());
        }
        return apply(txn);
    }

    /**
     * Replaces the whole state (a snapshot was loaded or installed). History restarts at {@code image.revision()},
     * and every watch gets a RESET and a fresh dump, since the changes in between were never seen here.
     */
    public synchronized void restore(Image image) {
        NavigableMap<String, VersionedValue> loaded = new TreeMap<>();
        for (VersionedValue v : image.values()) {
            loaded.put(v.path(), v);
        }
        data = loaded;
        revision = image.revision();
        history.clear();
        historyFloor = image.revision();
        for (ShardWatch w : watches) {
            dumpTo(w);
        }
    }

    private boolean holds(Precondition p) {
        VersionedValue v = data.get(p.path());
        return switch (p.kind()) {
            case ABSENT -> v == null;
            case EXISTS -> v != null;
            case MOD_REVISION -> p.revision() == 0 ? v == null : v != null && v.modRevision() == p.revision();
        };
    }

    private NavigableMap<String, VersionedValue> subMap(DataPath prefix) {
        if (prefix.isRoot()) {
            return data;
        }
        String p = prefix.toString();
        // Keys equal to p or starting with p + "/": '/' + 1 == '0', so [p, p + "0") holds exactly those and the
        // siblings starting with p + "." or "-", filtered below.
        NavigableMap<String, VersionedValue> range = data.subMap(p, true, p + "0", false);
        if (range.keySet().stream().allMatch(prefix::contains)) {
            return range;
        }
        NavigableMap<String, VersionedValue> filtered = new TreeMap<>();
        range.forEach((k, v) -> {
            if (prefix.contains(k)) {
                filtered.put(k, v);
            }
        });
        return filtered;
    }

    /** What commands read: called only under the monitor, from {@link #applyCommand}. */
    private final ShardCommands.State commandState = new ShardCommands.State() {
        @Override
        public VersionedValue get(String path) {
            return data.get(path);
        }

        @Override
        public List<VersionedValue> list(DataPath prefix) {
            return new ArrayList<>(subMap(prefix).values());
        }
    };

    // ---- reads ----

    public synchronized VersionedValue get(String path) {
        return data.get(path);
    }

    public synchronized List<VersionedValue> list(DataPath prefix) {
        return new ArrayList<>(subMap(prefix).values());
    }

    /** The keys under {@code prefix} and the revision they reflect, read together. */
    public synchronized DatastoreService.Snapshot snapshot(DataPath prefix) {
        return new DatastoreService.Snapshot(revision, list(prefix));
    }

    /** Every key and the revision, read together; the values are immutable, so the caller may write them at leisure. */
    public synchronized Image capture() {
        return new Image(revision, new ArrayList<>(data.values()));
    }

    public synchronized long revision() {
        return revision;
    }

    public synchronized int size() {
        return data.size();
    }

    /** A SHA-256 over every key, document and revision: equal on replicas that applied the same log. */
    public synchronized String digest() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (VersionedValue v : data.values()) {
                md.update((v.path() + "\0" + v.json() + "\0" + v.createRevision() + "\0" + v.modRevision() + "\0"
                        + v.version() + "\n").getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** For tests and the cluster view. */
    synchronized Map<String, Long> stats() {
        return Map.of("revision", revision, "keys", (long) data.size(), "historyFloor", historyFloor);
    }

    // ---- watches ----

    /**
     * Registers a watch; see {@link DatastoreService#watch}. With {@code fromRevision} > 0 it first replays the
     * remembered changes after that revision, or, if the history no longer reaches back that far, sends a RESET and a
     * dump of the current keys under the prefix. A watch whose undelivered events exceed {@code queueLimit} is closed.
     */
    public Watch watch(DataPath prefix, long fromRevision, WatchListener listener, int queueLimit) {
        ShardWatch w = new ShardWatch(shard, prefix, listener, queueLimit, () -> {});
        synchronized (this) {
            if (fromRevision > 0 && fromRevision >= historyFloor) {
                for (WatchEvent e : history) {
                    if (e.revision() > fromRevision) {
                        w.offer(e);
                    }
                }
            } else if (fromRevision > 0) {
                dumpTo(w);
            }
            watches.add(w);
        }
        w.start(() -> watches.remove(w));
        return w;
    }

    /** Called with the monitor held: a RESET, every current key under the prefix, then SYNCED. */
    private void dumpTo(ShardWatch w) {
        w.offer(new WatchEvent(WatchEvent.Type.RESET, revision, w.prefix().toString(), null));
        for (VersionedValue v : subMap(w.prefix()).values()) {
            w.offer(new WatchEvent(WatchEvent.Type.PUT, v.modRevision(), v.path(), v.json()));
        }
        w.offer(new WatchEvent(WatchEvent.Type.SYNCED, revision, w.prefix().toString(), null));
    }

    /** Ends every watch with {@code reason} (the node is stopping). */
    public void closeWatches(String reason) {
        for (ShardWatch w : watches) {
            w.closeWith(reason);
        }
    }
}
