package io.flowkeeper.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.Operation;
import io.flowkeeper.api.store.Precondition;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.api.store.VersionedValue;
import io.flowkeeper.api.store.Watch;
import io.flowkeeper.api.store.WatchEvent;
import io.flowkeeper.api.store.WatchListener;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One shard's replicated state: a sorted map from path to {@link VersionedValue}, the shard revision (one more per
 * successful transaction), and a bounded history of committed changes for resuming watches.
 *
 * <p>Threading: Ratis calls {@link #applyTransaction} on one thread per group, in log order; queries, snapshots and
 * watch registration come from other threads. Every access to the state holds this object's monitor, which also
 * makes a watch's replay-then-live hand-over gap free.
 *
 * <p>Snapshot install: a follower too far behind receives the leader's snapshot file; Ratis first calls
 * {@link #pause()} (we must stop serving and be PAUSED, or the follower silently drops out of the group), writes the
 * file, then calls {@link #reinitialize()}, which loads it and returns to RUNNING. Watchers on that replica get a
 * RESET and a fresh state dump, since the changes in between were never applied here.
 */
public final class ShardStateMachine extends BaseStateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(ShardStateMachine.class);
    private static final int SNAPSHOT_MAGIC = 0x464b5331; // "FKS1"
    private static final String TMP_SUFFIX = ".tmp";

    private final String shard;
    private final int historyLimit;
    private final ShardCommands commands;
    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    /** Writes snapshot files off Ratis' apply thread (see {@link #takeSnapshot}). */
    private final ExecutorService snapshotWriter;
    private final Object snapshotLock = new Object();
    /** The snapshot being written, or written and not yet reported to Ratis; null when there is none. */
    private CompletableFuture<Long> snapshotWrite;
    /** Index of the snapshot the state was last loaded from (-1: none); an older one is never reported. */
    private volatile long loadedSnapshotIndex = -1;

    private NavigableMap<String, VersionedValue> data = new TreeMap<>();
    private long revision;
    /** Changes after {@code historyFloor}, oldest first; every change after the floor is in here. */
    private final ArrayDeque<WatchEvent> history = new ArrayDeque<>();
    private long historyFloor;
    private final List<ShardWatch> watches = new CopyOnWriteArrayList<>();

    public ShardStateMachine(String shard, int historyLimit) {
        this(shard, historyLimit, ShardCommands.NONE);
    }

    ShardStateMachine(String shard, int historyLimit, ShardCommands commands) {
        this.shard = shard;
        this.historyLimit = historyLimit;
        this.commands = commands;
        this.snapshotWriter = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "snapshot-writer-" + shard);
            t.setDaemon(true);
            return t;
        });
    }

    public String shard() {
        return shard;
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        super.initialize(server, groupId, raftStorage);
        storage.init(raftStorage);
        deleteUnfinishedSnapshots();
        getLifeCycle().startAndTransition(() -> load(storage.loadLatestSnapshot()));
    }

    /** A process killed while writing a snapshot leaves its .tmp file behind; it was never registered, so drop it. */
    private void deleteUnfinishedSnapshots() throws IOException {
        File dir = storage.getSnapshotFile(0, 0).getParentFile();
        File[] unfinished = dir.listFiles((d, name) -> name.endsWith(TMP_SUFFIX));
        for (File f : unfinished != null ? unfinished : new File[0]) {
            LOG.info("{}: removing unfinished snapshot {}", shard, f.getName());
            Files.deleteIfExists(f.toPath());
        }
    }

    @Override
    public SimpleStateMachineStorage getStateMachineStorage() {
        return storage;
    }

    @Override
    public void pause() {
        // BaseStateMachine.pause() does nothing; Ratis expects PAUSED before it replaces our snapshot files.
        getLifeCycle().transition(LifeCycle.State.PAUSING);
        getLifeCycle().transition(LifeCycle.State.PAUSED);
    }

    @Override
    public void reinitialize() throws IOException {
        load(storage.loadLatestSnapshot());
        getLifeCycle().transition(LifeCycle.State.STARTING);
        getLifeCycle().transition(LifeCycle.State.RUNNING);
    }

    private synchronized void load(SingleFileSnapshotInfo snapshot) throws IOException {
        NavigableMap<String, VersionedValue> loaded = new TreeMap<>();
        long loadedRevision = 0;
        if (snapshot != null) {
            File file = snapshot.getFile().getPath().toFile();
            CRC32 crc = new CRC32();
            try (InputStream raw = new BufferedInputStream(Files.newInputStream(file.toPath()), 1 << 16);
                 DataInputStream in = new DataInputStream(new CheckedInputStream(raw, crc))) {
                if (in.readInt() != SNAPSHOT_MAGIC) {
                    throw new IOException("not a Flowkeeper shard snapshot: " + file);
                }
                loadedRevision = in.readLong();
                int count = in.readInt();
                for (int i = 0; i < count; i++) {
                    String path = in.readUTF();
                    byte[] json = new byte[in.readInt()];
                    in.readFully(json);
                    loaded.put(path, new VersionedValue(path, new String(json, StandardCharsets.UTF_8),
                            in.readLong(), in.readLong(), in.readLong()));
                }
                long expected = crc.getValue();
                if (new DataInputStream(raw).readLong() != expected) {
                    throw new IOException("snapshot checksum mismatch: " + file);
                }
            }
            setLastAppliedTermIndex(snapshot.getTermIndex());
            loadedSnapshotIndex = snapshot.getIndex();
            LOG.info("{}: loaded snapshot {} (revision {}, {} keys)", shard, snapshot.getTermIndex(),
                    loadedRevision, loaded.size());
        }
        data = loaded;
        revision = loadedRevision;
        history.clear();
        historyFloor = loadedRevision;
        // Watchers on this replica missed whatever the snapshot replaced: give them the new state from scratch.
        for (ShardWatch w : watches) {
            w.dump(this);
        }
    }

    /**
     * Called by Ratis on the thread that applies the log. Writing the file takes a while (64 MB took ~0.6 s in bench
     * datastore, and every replica reaches the threshold at the same index), so this only captures the state, which
     * takes a few milliseconds under the monitor, and a background thread writes it. Until the file is complete and
     * fsynced this returns -1 ("no snapshot taken"): Ratis keeps its log and asks again after applying more entries,
     * and once the write has finished it gets that snapshot's index, and only then may purge the log before it.
     */
    @Override
    public long takeSnapshot() throws IOException {
        synchronized (snapshotLock) {
            if (snapshotWrite != null) {
                if (!snapshotWrite.isDone()) {
                    return -1;
                }
                CompletableFuture<Long> finished = snapshotWrite;
                snapshotWrite = null;
                long index;
                try {
                    index = finished.join();
                } catch (CompletionException e) {
                    // Ratis logs it and asks again later, which starts a new write.
                    throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
                }
                // A snapshot installed from the leader while this one was written is newer: Ratis asserts that its
                // snapshot index only grows (and would stop applying the log), so the older file is not reported.
                return index > loadedSnapshotIndex ? index : -1;
            }
            if (snapshotWriter.isShutdown()) {
                return -1; // closing: close() waits for the write already under way, if any
            }
            final TermIndex last;
            final List<VersionedValue> values;
            final long rev;
            synchronized (this) {
                last = getLastAppliedTermIndex();
                if (last == null || last.getIndex() < 0) {
                    return -1;
                }
                values = new ArrayList<>(data.values());
                rev = revision;
            }
            snapshotWrite = CompletableFuture.supplyAsync(() -> {
                try {
                    return writeSnapshot(last, values, rev);
                } catch (IOException e) {
                    LOG.warn("{}: snapshot at {} failed: {}", shard, last, e.toString());
                    throw new UncheckedIOException(e);
                }
            }, snapshotWriter);
            return -1;
        }
    }

    /** Writes, fsyncs and registers one snapshot file; the values are immutable, so no lock is needed. */
    private long writeSnapshot(TermIndex last, List<VersionedValue> values, long rev) throws IOException {
        long started = System.nanoTime();
        File file = storage.getSnapshotFile(last.getTerm(), last.getIndex());
        File tmp = new File(file.getParentFile(), file.getName() + TMP_SUFFIX);
        CRC32 crc = new CRC32();
        // The MD5 Ratis ships with a snapshot it installs on another node, computed while writing rather than by
        // reading the file back.
        MessageDigest md5 = MD5FileUtil.newMD5();
        try (OutputStream raw = new BufferedOutputStream(
                new DigestOutputStream(Files.newOutputStream(tmp.toPath()), md5), 1 << 16);
             DataOutputStream out = new DataOutputStream(new CheckedOutputStream(raw, crc))) {
            out.writeInt(SNAPSHOT_MAGIC);
            out.writeLong(rev);
            out.writeInt(values.size());
            for (VersionedValue v : values) {
                out.writeUTF(v.path());
                byte[] json = v.json().getBytes(StandardCharsets.UTF_8);
                out.writeInt(json.length);
                out.write(json);
                out.writeLong(v.createRevision());
                out.writeLong(v.modRevision());
                out.writeLong(v.version());
            }
            out.flush();
            new DataOutputStream(raw).writeLong(crc.getValue());
        }
        try (var channel = java.nio.channels.FileChannel.open(tmp.toPath(), java.nio.file.StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        Files.move(tmp.toPath(), file.toPath(), StandardCopyOption.ATOMIC_MOVE);
        MD5Hash digest = MD5Hash.newInstance(md5.digest());
        MD5FileUtil.saveMD5File(file, digest);
        // Older files go when Ratis is told of this one: it cleans up after every takeSnapshot() call, keeping
        // snapshot-retention (2) files.
        storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(file.toPath(), digest), last));
        LOG.info("{}: snapshot taken at {} (revision {}, {} keys, {} KB) in {} ms, in the background", shard, last,
                rev, values.size(), file.length() / 1024, (System.nanoTime() - started) / 1_000_000);
        return last.getIndex();
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        Codec.Entry decoded;
        try {
            decoded = Codec.decodeEntry(entry.getStateMachineLogEntry().getLogData());
        } catch (RuntimeException e) {
            // Cannot happen for entries written by our own client; never let one bad entry stop the replica.
            LOG.error("{}: undecodable log entry {}", shard, entry.getIndex(), e);
            synchronized (this) {
                updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
                return CompletableFuture.completedFuture(Codec.encodeResults(
                        List.of(Codec.Result.refused(revision, "undecodable log entry: " + e.getMessage()))));
            }
        }
        List<Codec.Result> results = new ArrayList<>(Math.max(1, decoded.transactions().size()));
        synchronized (this) {
            if (decoded.isCommand()) {
                Transaction txn;
                try {
                    // Planned against the state right here, under the monitor: every replica plans the same changes.
                    txn = commands.plan(decoded.command(), decoded.args(), commandState);
                } catch (RuntimeException e) {
                    LOG.warn("{}: command at log index {} refused: {}", shard, entry.getIndex(), e.getMessage());
                    txn = new Transaction(List.of(), List.of());
                }
                results.add(apply(txn));
            } else {
                for (Transaction txn : decoded.transactions()) {
                    results.add(apply(txn));
                }
            }
            updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
        }
        return CompletableFuture.completedFuture(Codec.encodeResults(results));
    }

    /** Checks one transaction's preconditions and applies it under the next revision; the same on every replica. */
    private Codec.Result apply(Transaction txn) {
        List<Precondition> pre = txn.preconditions();
        for (int i = 0; i < pre.size(); i++) {
            if (!holds(pre.get(i))) {
                return new Codec.Result(false, revision, i, null);
            }
        }
        if (txn.operations().isEmpty()) {
            return new Codec.Result(true, revision, -1, null);
        }
        DataPath[] prefixes = new DataPath[txn.operations().size()];
        for (int i = 0; i < prefixes.length; i++) {
            Operation op = txn.operations().get(i);
            if (op.kind() == Operation.Kind.DELETE_PREFIX) {
                try {
                    prefixes[i] = DataPath.of(op.path());
                } catch (IllegalArgumentException e) {
                    // Checked before anything changed, so a refused transaction leaves no partial write behind.
                    return Codec.Result.refused(revision, e.getMessage());
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
        return new Codec.Result(true, rev, -1, null);
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

    // ---- reads (local replica) ----

    public synchronized VersionedValue get(String path) {
        return data.get(path);
    }

    public synchronized List<VersionedValue> list(DataPath prefix) {
        return new ArrayList<>(subMap(prefix).values());
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

    @Override
    public CompletableFuture<Message> query(Message request) {
        try {
            JsonNode q = Codec.parse(request.getContent());
            ObjectNode reply = Codec.JSON.createObjectNode();
            synchronized (this) {
                reply.put("rev", revision);
                switch (q.get("q").asText()) {
                    case "get" -> {
                        VersionedValue v = data.get(q.get("p").asText());
                        if (v != null) {
                            reply.set("value", Codec.value(v));
                        }
                    }
                    case "list" -> {
                        ArrayNode items = reply.putArray("items");
                        subMap(DataPath.of(q.get("p").asText())).values().forEach(v -> items.add(Codec.value(v)));
                    }
                    default -> throw new IllegalArgumentException("unknown query " + q);
                }
            }
            return CompletableFuture.completedFuture(Codec.bytes(reply));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    // ---- watches ----

    /** Registers a watch on this replica; see {@link io.flowkeeper.api.store.DatastoreService#watch}. */
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
                w.dump(this);
            }
            watches.add(w);
        }
        w.start(() -> watches.remove(w));
        return w;
    }

    /** Called with the monitor held: a RESET, every current key under the prefix, then SYNCED. */
    synchronized void dumpTo(ShardWatch w) {
        w.offer(new WatchEvent(WatchEvent.Type.RESET, revision, w.prefix().toString(), null));
        for (VersionedValue v : subMap(w.prefix()).values()) {
            w.offer(new WatchEvent(WatchEvent.Type.PUT, v.modRevision(), v.path(), v.json()));
        }
        w.offer(new WatchEvent(WatchEvent.Type.SYNCED, revision, w.prefix().toString(), null));
    }

    @Override
    public void close() throws IOException {
        for (ShardWatch w : watches) {
            w.closeWith("the node is shutting down");
        }
        // A graceful stop lets the snapshot under way finish (Ratis also asks for one when it stops); a kill leaves
        // at most a .tmp file, removed at the next start.
        snapshotWriter.shutdown();
        try {
            if (!snapshotWriter.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("{}: snapshot still being written after 30 s; closing anyway", shard);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        super.close();
    }

    /** For tests and the cluster view. */
    synchronized Map<String, Long> stats() {
        return Map.of("revision", revision, "keys", (long) data.size(), "historyFloor", historyFloor);
    }
}
