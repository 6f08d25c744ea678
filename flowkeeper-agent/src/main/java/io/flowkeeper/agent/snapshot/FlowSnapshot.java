package io.flowkeeper.agent.snapshot;

import io.flowkeeper.api.io.PrivateFiles;
import io.flowkeeper.api.util.Threads;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One bridge's flow snapshot, open for journaling (see the package documentation for the format).
 *
 * <p>Threading: {@link #put}, {@link #delete}, {@link #flush} and {@link #rebase} are called from one journal
 * thread; compaction and fsync run on the snapshot's own background thread; reads ({@link #loadPartition}) may run
 * from any thread and see what was flushed.
 */
public final class FlowSnapshot implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FlowSnapshot.class);

    public static final int DEFAULT_PARTITIONS = 16;
    static final String MANIFEST = "MANIFEST";
    /** A partition is compacted once its journal is larger than this and larger than its base. */
    static final long DEFAULT_COMPACT_THRESHOLD = 4L << 20;
    private static final int WRITE_BUFFER = 64 << 10;

    private final Path dir;
    private final int partitions;
    private final FsyncPolicy fsync;
    private final long compactThreshold;
    private final Partition[] parts;
    /** Compaction and rebase both rewrite bases: one at a time. */
    private final ReentrantLock rewriteLock = new ReentrantLock();
    private final ScheduledExecutorService background;
    private volatile String degradedReason;
    private volatile boolean needsResync;
    private volatile boolean closed;

    /** Per-partition writer state, guarded by its lock. */
    private final class Partition {
        final int index;
        final ReentrantLock lock = new ReentrantLock();
        long activeGeneration;
        FileChannel log;
        long logEnd;
        long baseBytes;
        ByteBuffer pending = ByteBuffer.allocate(WRITE_BUFFER);
        volatile boolean unsynced;

        Partition(int index) {
            this.index = index;
        }
    }

    private FlowSnapshot(Path dir, int partitions, FsyncPolicy fsync, long compactThreshold) {
        this.dir = dir;
        this.partitions = partitions;
        this.fsync = fsync;
        this.compactThreshold = compactThreshold;
        this.parts = new Partition[partitions];
        this.background = Executors.newSingleThreadScheduledExecutor(Threads.daemon("snapshot-" + dir.getFileName()));
    }

    /** Opens (creating if new) the snapshot in {@code dir} with default settings. */
    public static FlowSnapshot open(Path dir) throws IOException {
        return open(dir, DEFAULT_PARTITIONS, FsyncPolicy.DEFAULT, DEFAULT_COMPACT_THRESHOLD);
    }

    /**
     * Opens the snapshot for journaling: recovers from a crash (temporary files removed, a torn last record
     * truncated) and continues the newest journal of every partition.
     *
     * @param partitions used only when the snapshot is new; an existing one keeps its own count
     */
    public static FlowSnapshot open(Path dir, int partitions, FsyncPolicy fsync, long compactThreshold)
            throws IOException {
        PrivateFiles.createPrivateDirectories(dir); // the host's flows: owner only, every file 0600 when created
        int count = readManifest(dir).orElse(-1);
        if (count < 0) {
            count = partitions;
            writeAtomically(dir, MANIFEST, ("flowkeeper-snapshot 1\npartitions " + count + "\n")
                    .getBytes(StandardCharsets.US_ASCII));
        }
        FlowSnapshot s = new FlowSnapshot(dir, count, fsync, compactThreshold);
        s.recover();
        if (!fsync.interval().isZero()) {
            long ms = Math.max(1, fsync.interval().toMillis());
            s.background.scheduleWithFixedDelay(s::syncQuietly, ms, ms, TimeUnit.MILLISECONDS);
        }
        return s;
    }

    static java.util.OptionalInt readManifest(Path dir) throws IOException {
        Path manifest = dir.resolve(MANIFEST);
        if (!Files.exists(manifest)) {
            return java.util.OptionalInt.empty();
        }
        for (String line : Files.readAllLines(manifest, StandardCharsets.US_ASCII)) {
            if (line.startsWith("partitions ")) {
                int n = Integer.parseInt(line.substring("partitions ".length()).strip());
                if (n < 1 || n > 99) {
                    throw new IOException("MANIFEST of " + dir + " names " + n + " partitions (1-99 allowed)");
                }
                return java.util.OptionalInt.of(n);
            }
        }
        throw new IOException("MANIFEST of " + dir + " has no partition count");
    }

    private void recover() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (p.getFileName().toString().endsWith(".tmp")) {
                    Files.deleteIfExists(p); // a base being written when the agent died: the old one stands
                }
            }
        }
        Map<Integer, List<SnapshotFile>> byPartition = listFiles(dir);
        for (int i = 0; i < partitions; i++) {
            Partition part = new Partition(i);
            List<SnapshotFile> files = byPartition.getOrDefault(i, List.of());
            long newestBase = files.stream().filter(f -> f.kind == SnapshotFile.Kind.BASE)
                    .mapToLong(f -> f.generation).max().orElse(-1);
            SnapshotFile newestLog = files.stream().filter(f -> f.kind == SnapshotFile.Kind.LOG)
                    .max(Comparator.comparingLong(f -> f.generation)).orElse(null);
            part.baseBytes = files.stream().filter(f -> f.kind == SnapshotFile.Kind.BASE && f.generation == newestBase)
                    .mapToLong(f -> size(f.path)).sum();
            if (newestLog != null && newestLog.generation > newestBase) {
                SnapshotFile.ReadResult r = newestLog.read(noopSink());
                part.activeGeneration = newestLog.generation;
                part.log = FileChannel.open(newestLog.path, StandardOpenOption.WRITE);
                if (r.validEnd() < RecordCodec.FILE_HEADER) {
                    part.log.truncate(0);
                    part.log.write(RecordCodec.fileHeader(part.activeGeneration), 0);
                    part.logEnd = RecordCodec.FILE_HEADER;
                } else {
                    part.logEnd = r.validEnd();
                    if (part.log.size() > part.logEnd) {
                        LOG.info("snapshot {}: dropped a torn last record in {}", dir, newestLog);
                        part.log.truncate(part.logEnd);
                    }
                }
                part.log.force(true);
            } else {
                openNewLog(part, Math.max(newestBase, newestLog == null ? -1 : newestLog.generation) + 1);
            }
            parts[i] = part;
        }
        fsyncDirectory(dir);
    }

    private void openNewLog(Partition part, long generation) throws IOException {
        Path path = dir.resolve(SnapshotFile.name(part.index, SnapshotFile.Kind.LOG, generation));
        FileChannel ch = PrivateFiles.openPrivate(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        ch.write(RecordCodec.fileHeader(generation), 0);
        ch.force(true);
        if (part.log != null) {
            part.log.close();
        }
        part.log = ch;
        part.logEnd = RecordCodec.FILE_HEADER;
        part.activeGeneration = generation;
    }

    // ---- journaling -------------------------------------------------------------------------------------

    /** Records that the switch holds {@code value} under {@code key} (added or modified). */
    public void put(byte[] key, byte[] value) throws SnapshotWriteException {
        append(RecordCodec.PUT, key, value);
    }

    /** Records that the flow with {@code key} is gone. */
    public void delete(byte[] key) throws SnapshotWriteException {
        append(RecordCodec.DELETE, key, null);
    }

    private void append(byte type, byte[] key, byte[] value) throws SnapshotWriteException {
        Partition part = parts[FlowKey.partitionOf(key, partitions)];
        int size = RecordCodec.encodedSize(key, value);
        part.lock.lock();
        try {
            if (part.pending.remaining() < size) {
                writePending(part);
                if (part.pending.capacity() < size) {
                    part.pending = ByteBuffer.allocate(size);
                }
            }
            RecordCodec.encode(part.pending, type, key, value);
        } finally {
            part.lock.unlock();
        }
    }

    /**
     * Writes every pending record to the journal files (then in the page cache: safe from a killed agent) and,
     * with {@link FsyncPolicy#EVERY_FLUSH}, to disk. May start a background compaction.
     *
     * @throws SnapshotWriteException when a write failed; those records are lost and {@link #needsResync()}
     *     is set, the files still hold the last good state
     */
    public void flush() throws SnapshotWriteException {
        SnapshotWriteException failure = null;
        for (Partition part : parts) {
            part.lock.lock();
            try {
                writePending(part);
                if (fsync.interval().isZero() && part.unsynced) {
                    part.log.force(false);
                    part.unsynced = false;
                }
            } catch (SnapshotWriteException e) {
                failure = e;
            } catch (IOException e) {
                failure = degrade("fsync of partition " + part.index + " failed", e);
            } finally {
                part.lock.unlock();
            }
            if (part.logEnd > compactThreshold && part.logEnd > part.baseBytes && !closed) {
                int index = part.index;
                background.execute(() -> compactQuietly(index));
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Caller holds the partition lock. */
    private void writePending(Partition part) throws SnapshotWriteException {
        if (part.pending.position() == 0) {
            return;
        }
        part.pending.flip();
        try {
            while (part.pending.hasRemaining()) {
                part.logEnd += part.log.write(part.pending, part.logEnd);
            }
            part.unsynced = true;
        } catch (IOException e) {
            // Cut the journal back to its last whole record, so the next append does not follow a torn one.
            try {
                long good = part.logEnd - part.pending.position();
                part.log.truncate(good);
                part.logEnd = good;
            } catch (IOException ignored) {
                // the next open() drops the torn tail anyway
            }
            throw degrade("journal write to partition " + part.index + " failed", e);
        } finally {
            part.pending.clear();
        }
    }

    private SnapshotWriteException degrade(String what, IOException cause) {
        needsResync = true;
        String reason = what + ": " + cause.getMessage();
        if (degradedReason == null) {
            LOG.warn("snapshot {} DEGRADED: {} (last good state kept; changes are being lost)", dir, reason);
        }
        degradedReason = reason;
        return new SnapshotWriteException(reason, cause);
    }

    /** Forces every journal with unsynced appends to disk (the fsync policy's timer calls this). */
    public void sync() throws IOException {
        for (Partition part : parts) {
            if (part.unsynced) {
                part.lock.lock();
                try {
                    part.log.force(false);
                    part.unsynced = false;
                } finally {
                    part.lock.unlock();
                }
            }
        }
    }

    private void syncQuietly() {
        try {
            if (!closed) {
                sync();
            }
        } catch (IOException | RuntimeException e) {
            degrade("fsync failed", e instanceof IOException io ? io : new IOException(e));
        }
    }

    // ---- rebase: replace the whole content --------------------------------------------------------------

    /**
     * Starts replacing the snapshot's whole content (with the switch's full flow table, after a flow monitor's
     * initial dump). Nothing changes on disk until {@link Rebase#commit()}; a crash before it leaves the old
     * snapshot.
     */
    public Rebase rebase() throws IOException {
        flush();
        rewriteLock.lock();
        try {
            return new Rebase();
        } catch (IOException | RuntimeException e) {
            rewriteLock.unlock();
            throw e;
        }
    }

    /** A whole-content replacement in progress; see {@link FlowSnapshot#rebase()}. */
    public final class Rebase implements AutoCloseable {
        private final FileChannel[] out = new FileChannel[partitions];
        private final Path[] tmp = new Path[partitions];
        private final long[] generation = new long[partitions];
        private final long[] written = new long[partitions];
        private final ByteBuffer[] buffers = new ByteBuffer[partitions];
        private boolean done;

        private Rebase() throws IOException {
            for (Partition part : parts) {
                int i = part.index;
                part.lock.lock();
                try {
                    generation[i] = part.activeGeneration;
                } finally {
                    part.lock.unlock();
                }
                tmp[i] = dir.resolve(SnapshotFile.name(i, SnapshotFile.Kind.BASE, generation[i]) + ".tmp");
                out[i] = PrivateFiles.openPrivate(tmp[i], StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING);
                ByteBuffer header = RecordCodec.fileHeader(generation[i]);
                written[i] = out[i].write(header, 0);
                buffers[i] = ByteBuffer.allocate(WRITE_BUFFER);
            }
        }

        public void put(byte[] key, byte[] value) throws IOException {
            int i = FlowKey.partitionOf(key, partitions);
            int size = RecordCodec.encodedSize(key, value);
            if (buffers[i].remaining() < size) {
                drain(i);
                if (buffers[i].capacity() < size) {
                    buffers[i] = ByteBuffer.allocate(size);
                }
            }
            RecordCodec.encode(buffers[i], RecordCodec.PUT, key, value);
        }

        private void drain(int i) throws IOException {
            buffers[i].flip();
            while (buffers[i].hasRemaining()) {
                written[i] += out[i].write(buffers[i], written[i]);
            }
            buffers[i].clear();
        }

        /**
         * Makes the new content the snapshot: every new base is fsynced and renamed in place, a fresh journal
         * started, and the superseded files deleted. A partition is replaced atomically; a crash between two
         * partitions leaves each partition either old or new, never mixed.
         */
        public void commit() throws IOException {
            try {
                for (int i = 0; i < partitions; i++) {
                    drain(i);
                    out[i].force(true);
                    out[i].close();
                }
                for (Partition part : parts) {
                    int i = part.index;
                    part.lock.lock();
                    try {
                        writePending(part); // changes journaled during the dump precede it: superseded below
                        Path base = dir.resolve(SnapshotFile.name(i, SnapshotFile.Kind.BASE, generation[i]));
                        move(tmp[i], base);
                        openNewLog(part, generation[i] + 1);
                        part.baseBytes = written[i];
                    } finally {
                        part.lock.unlock();
                    }
                }
                fsyncDirectory(dir);
                for (int i = 0; i < partitions; i++) {
                    deleteSuperseded(i, generation[i]);
                }
                fsyncDirectory(dir);
                needsResync = false;
                if (degradedReason != null) {
                    LOG.info("snapshot {} healthy again after a full rewrite", dir);
                }
                degradedReason = null;
            } catch (IOException e) {
                throw degrade("rebase failed (the previous snapshot is kept)", e);
            } finally {
                done = true;
                cleanup();
            }
        }

        /** Abandons the replacement: the snapshot stays as it was. */
        @Override
        public void close() {
            if (!done) {
                done = true;
                cleanup();
            }
        }

        private void cleanup() {
            for (int i = 0; i < partitions; i++) {
                try {
                    if (out[i] != null && out[i].isOpen()) {
                        out[i].close();
                    }
                    Files.deleteIfExists(tmp[i]);
                } catch (IOException e) {
                    LOG.warn("cannot remove {}: {}", tmp[i], e.getMessage());
                }
            }
            rewriteLock.unlock();
        }
    }

    // ---- compaction -------------------------------------------------------------------------------------

    private void compactQuietly(int index) {
        try {
            compact(index);
        } catch (IOException | RuntimeException e) {
            LOG.warn("snapshot {}: compaction of partition {} failed, the journal is kept: {}", dir, index,
                    e.getMessage());
        }
    }

    /**
     * Folds a partition's journal into a new base: the journal is rotated (appends continue in a new file),
     * base + old journals are merged into a temporary file, fsynced and renamed, then the old files deleted.
     */
    public void compact(int index) throws IOException {
        Partition part = parts[index];
        if (!rewriteLock.tryLock()) {
            return; // a rebase or another compaction is rewriting: this one is not needed now
        }
        try {
            long sealed;
            part.lock.lock();
            try {
                writePending(part);
                if (part.logEnd <= RecordCodec.FILE_HEADER) {
                    return;
                }
                part.log.force(false);
                sealed = part.activeGeneration;
                openNewLog(part, sealed + 1);
            } finally {
                part.lock.unlock();
            }
            fsyncDirectory(dir);
            Map<FlowKey, byte[]> state = readPartition(dir, index, sealed, new ArrayList<>());
            Path tmp = dir.resolve(SnapshotFile.name(index, SnapshotFile.Kind.BASE, sealed) + ".tmp");
            long bytes = writeBase(tmp, sealed, state);
            move(tmp, dir.resolve(SnapshotFile.name(index, SnapshotFile.Kind.BASE, sealed)));
            fsyncDirectory(dir);
            part.baseBytes = bytes;
            deleteSuperseded(index, sealed);
            LOG.debug("snapshot {}: partition {} compacted to {} flows", dir, index, state.size());
        } finally {
            rewriteLock.unlock();
        }
    }

    private static long writeBase(Path tmp, long generation, Map<FlowKey, byte[]> state) throws IOException {
        try (FileChannel ch = PrivateFiles.openPrivate(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.allocate(WRITE_BUFFER);
            buf.put(RecordCodec.fileHeader(generation));
            long written = 0;
            for (Map.Entry<FlowKey, byte[]> e : state.entrySet()) {
                int size = RecordCodec.encodedSize(e.getKey().unsafeBytes(), e.getValue());
                if (buf.remaining() < size) {
                    buf.flip();
                    while (buf.hasRemaining()) {
                        written += ch.write(buf, written);
                    }
                    buf = buf.capacity() < size ? ByteBuffer.allocate(size) : buf.clear();
                }
                RecordCodec.encode(buf, RecordCodec.PUT, e.getKey().unsafeBytes(), e.getValue());
            }
            buf.flip();
            while (buf.hasRemaining()) {
                written += ch.write(buf, written);
            }
            ch.force(true);
            return written;
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /** Deletes bases older than {@code generation} and journals up to it: the base at {@code generation} has them. */
    private void deleteSuperseded(int index, long generation) throws IOException {
        for (SnapshotFile f : listFiles(dir).getOrDefault(index, List.of())) {
            boolean oldBase = f.kind == SnapshotFile.Kind.BASE && f.generation < generation;
            boolean oldLog = f.kind == SnapshotFile.Kind.LOG && f.generation <= generation;
            if (oldBase || oldLog) {
                Files.deleteIfExists(f.path);
            }
        }
    }

    // ---- reading ----------------------------------------------------------------------------------------

    /** The partition count (fixed when the snapshot was created). */
    public int partitions() {
        return partitions;
    }

    public Path directory() {
        return dir;
    }

    /** The flows of one partition as last flushed, keyed by identity. */
    public Map<FlowKey, byte[]> loadPartition(int index, List<SnapshotDamage> damage) throws IOException {
        return readPartition(dir, index, Long.MAX_VALUE, damage);
    }

    /**
     * Reads a partition from disk: its newest base, then its journals in order, up to {@code maxGeneration}.
     * Damaged records are skipped and added to {@code damage}.
     */
    static Map<FlowKey, byte[]> readPartition(Path dir, int index, long maxGeneration, List<SnapshotDamage> damage)
            throws IOException {
        // A running agent may compact or rebase while we read: a file listed a moment ago can be gone. The
        // replacement holds the same state, so read the partition again from a fresh listing.
        for (int attempt = 1; ; attempt++) {
            List<SnapshotDamage> found = new ArrayList<>();
            try {
                Map<FlowKey, byte[]> state = readPartitionOnce(dir, index, maxGeneration, found);
                damage.addAll(found);
                return state;
            } catch (java.nio.file.NoSuchFileException e) {
                if (attempt == 5) {
                    throw e;
                }
            }
        }
    }

    private static Map<FlowKey, byte[]> readPartitionOnce(Path dir, int index, long maxGeneration,
            List<SnapshotDamage> damage) throws IOException {
        List<SnapshotFile> files = new ArrayList<>(listFiles(dir).getOrDefault(index, List.of()));
        files.removeIf(f -> f.generation > maxGeneration);
        long base = files.stream().filter(f -> f.kind == SnapshotFile.Kind.BASE)
                .mapToLong(f -> f.generation).max().orElse(-1);
        Map<FlowKey, byte[]> state = new HashMap<>();
        SnapshotFile.Sink sink = new SnapshotFile.Sink() {
            @Override
            public void put(byte[] key, byte[] value) {
                state.put(FlowKey.wrap(key), value);
            }

            @Override
            public void delete(byte[] key) {
                state.remove(FlowKey.wrap(key));
            }
        };
        files.sort(Comparator.comparingLong((SnapshotFile f) -> f.generation)
                .thenComparing(f -> f.kind == SnapshotFile.Kind.BASE ? 0 : 1));
        for (SnapshotFile f : files) {
            boolean use = (f.kind == SnapshotFile.Kind.BASE && f.generation == base)
                    || (f.kind == SnapshotFile.Kind.LOG && f.generation > base);
            if (use) {
                damage.addAll(f.read(sink).damage());
            }
        }
        return state;
    }

    static Map<Integer, List<SnapshotFile>> listFiles(Path dir) throws IOException {
        Map<Integer, List<SnapshotFile>> byPartition = new HashMap<>();
        if (!Files.isDirectory(dir)) {
            return byPartition;
        }
        try (Stream<Path> files = Files.list(dir)) {
            files.map(SnapshotFile::parse).filter(java.util.Objects::nonNull)
                    .forEach(f -> byPartition.computeIfAbsent(f.partition, k -> new ArrayList<>()).add(f));
        }
        return byPartition;
    }

    /** Null when healthy; otherwise why the snapshot is missing changes (full disk, I/O error). */
    public String degradedReason() {
        return degradedReason;
    }

    /** True after a failed write: the snapshot lacks changes and should be rebased from a fresh dump. */
    public boolean needsResync() {
        return needsResync;
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        IOException failure = null;
        try {
            flush();
        } catch (IOException e) {
            failure = e;
        }
        closed = true;
        background.shutdown();
        try {
            background.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Partition part : parts) {
            part.lock.lock();
            try {
                if (part.log != null && part.log.isOpen()) {
                    part.log.force(false);
                    part.log.close();
                }
            } catch (IOException e) {
                failure = failure == null ? e : failure;
            } finally {
                part.lock.unlock();
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    // ---- file-system helpers ----------------------------------------------------------------------------

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static SnapshotFile.Sink noopSink() {
        return new SnapshotFile.Sink() {
            @Override
            public void put(byte[] key, byte[] value) {
            }

            @Override
            public void delete(byte[] key) {
            }
        };
    }

    static void writeAtomically(Path dir, String name, byte[] content) throws IOException {
        Path tmp = dir.resolve(name + ".tmp");
        try (FileChannel ch = PrivateFiles.openPrivate(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap(content));
            ch.force(true);
        }
        move(tmp, dir.resolve(name));
        fsyncDirectory(dir);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the snapshot directory's file system cannot rename atomically: " + to, e);
        }
    }

    /** A rename is durable only once its directory is: fsync the directory itself. */
    static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
