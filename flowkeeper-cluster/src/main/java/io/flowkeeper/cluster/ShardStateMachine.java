package io.flowkeeper.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.api.store.VersionedValue;
import io.flowkeeper.api.util.Threads;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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
 * One shard's Raft state machine: adapts the replicated log to a {@link ShardState} (which holds the documents, the
 * revision, the watch history and the watches, and knows nothing of Ratis) and keeps that state's snapshot files.
 *
 * <p>Threading: Ratis calls {@link #applyTransaction} on one thread per group, in log order; queries, snapshots and
 * watch registration come from other threads. Applying an entry and recording its log index hold this object's
 * monitor, so a snapshot captured under it holds exactly the state at its index.
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
    private final ShardCommands commands;
    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    /** Writes snapshot files off Ratis' apply thread (see {@link #takeSnapshot}). */
    private final ExecutorService snapshotWriter;
    private final Object snapshotLock = new Object();
    /** The snapshot being written, or written and not yet reported to Ratis; null when there is none. */
    private CompletableFuture<Long> snapshotWrite;
    /** Index of the snapshot the state was last loaded from (-1: none); an older one is never reported. */
    private volatile long loadedSnapshotIndex = -1;

    private final ShardState state;

    public ShardStateMachine(String shard, int historyLimit) {
        this(shard, historyLimit, ShardCommands.NONE);
    }

    ShardStateMachine(String shard, int historyLimit, ShardCommands commands) {
        this.shard = shard;
        this.state = new ShardState(shard, historyLimit);
        this.commands = commands;
        this.snapshotWriter = Executors.newSingleThreadExecutor(Threads.daemon("snapshot-writer-" + shard));
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
        List<VersionedValue> loaded = new ArrayList<>();
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
                    loaded.add(new VersionedValue(path, new String(json, StandardCharsets.UTF_8),
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
        // Watchers on this replica missed whatever the snapshot replaced: the state gives them it from scratch.
        state.restore(new ShardState.Image(loadedRevision, loaded));
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
            final ShardState.Image image;
            synchronized (this) {
                last = getLastAppliedTermIndex();
                if (last == null || last.getIndex() < 0) {
                    return -1;
                }
                image = state.capture();
            }
            snapshotWrite = CompletableFuture.supplyAsync(() -> {
                try {
                    return writeSnapshot(last, image.values(), image.revision());
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
                new DigestOutputStream(java.nio.channels.Channels.newOutputStream(io.flowkeeper.api.io.PrivateFiles.openPrivate(
                        tmp.toPath(), java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE,
                        java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)), md5), 1 << 16);
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
                return CompletableFuture.completedFuture(Codec.encodeResults(List.of(
                        ShardState.Outcome.refused(state.revision(), "undecodable log entry: " + e.getMessage()))));
            }
        }
        List<ShardState.Outcome> results = new ArrayList<>(Math.max(1, decoded.transactions().size()));
        // The state and the applied index move together, so a snapshot taken under this monitor is exact.
        synchronized (this) {
            if (decoded.isCommand()) {
                results.add(state.applyCommand(commands, decoded.command(), decoded.args()));
            } else {
                for (Transaction txn : decoded.transactions()) {
                    results.add(state.apply(txn));
                }
            }
            updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
        }
        return CompletableFuture.completedFuture(Codec.encodeResults(results));
    }

    /** The replica's state, for reads and watches on this node. */
    public ShardState state() {
        return state;
    }

    /** The log index this replica has applied (0 before the first entry). */
    public long appliedIndex() {
        TermIndex last = getLastAppliedTermIndex();
        return last == null ? 0 : Math.max(0, last.getIndex());
    }

    @Override
    public CompletableFuture<Message> query(Message request) {
        try {
            JsonNode q = Codec.parse(request.getContent());
            ObjectNode reply = Codec.JSON.createObjectNode();
            switch (q.get("q").asText()) {
                case "get" -> {
                    synchronized (state) { // the revision the value was read at
                        reply.put("rev", state.revision());
                        VersionedValue v = state.get(q.get("p").asText());
                        if (v != null) {
                            reply.set("value", Codec.value(v));
                        }
                    }
                }
                case "list" -> {
                    DatastoreService.Snapshot s = state.snapshot(DataPath.of(q.get("p").asText()));
                    reply.put("rev", s.revision());
                    ArrayNode items = reply.putArray("items");
                    s.values().forEach(v -> items.add(Codec.value(v)));
                }
                default -> throw new IllegalArgumentException("unknown query " + q);
            }
            return CompletableFuture.completedFuture(Codec.bytes(reply));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private volatile boolean shutDownByTheGroup;

    /**
     * Ratis shut this replica down because the group does not count it as a member (its candidate was told so by
     * a voter): a removed member, or a joining one that called an election too early. Such a replica must stay
     * closed; {@link ClusterNode} reopens only replicas closed for other reasons.
     */
    @Override
    public void notifyServerShutdown(org.apache.ratis.proto.RaftProtos.RoleInfoProto roleInfo, boolean allServers) {
        if (!allServers) {
            shutDownByTheGroup = true;
        }
    }

    boolean shutDownByTheGroup() {
        return shutDownByTheGroup;
    }

    @Override
    public void close() throws IOException {
        state.closeWatches("the node is shutting down");
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
}
