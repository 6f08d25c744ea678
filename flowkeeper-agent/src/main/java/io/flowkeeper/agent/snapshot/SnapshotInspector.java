package io.flowkeeper.agent.snapshot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Reads a snapshot directory without opening it for writing (safe while an agent journals into it): what
 * {@code flowkeeper snapshot inspect} and {@code verify} print.
 */
public final class SnapshotInspector {
    private SnapshotInspector() {
    }

    /**
     * One partition's summary.
     *
     * @param flows flows it holds (after replaying its journal)
     * @param bytes size of its files
     * @param files its base and journal files
     * @param lastChange newest modification time of its files
     * @param damage records that could not be read (torn tails included)
     */
    public record PartitionInfo(int partition, int flows, long bytes, List<String> files, Instant lastChange,
            List<SnapshotDamage> damage) {
    }

    /** The whole snapshot's summary. */
    public record SnapshotInfo(Path directory, int partitionCount, List<PartitionInfo> partitions) {
        public int flows() {
            return partitions.stream().mapToInt(PartitionInfo::flows).sum();
        }

        public long bytes() {
            return partitions.stream().mapToLong(PartitionInfo::bytes).sum();
        }

        public List<SnapshotDamage> damage() {
            return partitions.stream().flatMap(p -> p.damage().stream()).toList();
        }

        /** Damage other than a torn last record (which a crash mid-append leaves, and which is expected). */
        public List<SnapshotDamage> corruption() {
            return damage().stream().filter(d -> !d.tornTail()).toList();
        }
    }

    /** Reads every partition; {@code progress} hears each partition index as it is done. */
    public static SnapshotInfo inspect(Path dir, IntConsumer progress) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + " is not a directory");
        }
        int count = FlowSnapshot.readManifest(dir).orElseThrow(
                () -> new IOException(dir + " is not a Flowkeeper snapshot (no MANIFEST)"));
        List<PartitionInfo> infos = new ArrayList<>();
        for (int p = 0; p < count; p++) {
            List<SnapshotDamage> damage = new ArrayList<>();
            int flows = FlowSnapshot.readPartition(dir, p, Long.MAX_VALUE, damage).size();
            long bytes = 0;
            Instant last = Instant.EPOCH;
            List<String> names = new ArrayList<>();
            for (SnapshotFile f : FlowSnapshot.listFiles(dir).getOrDefault(p, List.of())) {
                try {
                    bytes += Files.size(f.path);
                    Instant modified = Files.getLastModifiedTime(f.path).toInstant();
                    last = modified.isAfter(last) ? modified : last;
                    names.add(f.toString());
                } catch (java.nio.file.NoSuchFileException e) {
                    // compacted away by a running agent since the listing: its content is in the new base
                }
            }
            names.sort(null);
            infos.add(new PartitionInfo(p, flows, bytes, names, last, damage));
            progress.accept(p);
        }
        return new SnapshotInfo(dir, count, infos);
    }

    /** Every flow of one partition (value = the flow as stored), for export and restore. */
    public static Map<FlowKey, byte[]> flows(Path dir, int partition, List<SnapshotDamage> damage)
            throws IOException {
        return FlowSnapshot.readPartition(dir, partition, Long.MAX_VALUE, damage);
    }

    /** True if any partition file holds a record (file sizes only; no record is read). */
    public static boolean hasRecords(Path dir) throws IOException {
        for (List<SnapshotFile> files : FlowSnapshot.listFiles(dir).values()) {
            for (SnapshotFile f : files) {
                try {
                    if (Files.size(f.path) > RecordCodec.FILE_HEADER) {
                        return true;
                    }
                } catch (java.nio.file.NoSuchFileException e) {
                    // replaced by a compaction since the listing
                }
            }
        }
        return false;
    }

    /**
     * The snapshot's size on disk and when it was last written, from its partition files' sizes and modification
     * times only (no record is read: cheap enough for every heartbeat and scrape).
     *
     * @param bytes the partition files' total size
     * @param writtenAt the newest modification time among them (null for a snapshot with no file yet)
     */
    public record DiskUsage(long bytes, Instant writtenAt) {
    }

    /** {@link DiskUsage} of the snapshot in {@code dir}; zero bytes and no time where there is none yet. */
    public static DiskUsage diskUsage(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return new DiskUsage(0, null);
        }
        long bytes = 0;
        Instant last = null;
        for (List<SnapshotFile> files : FlowSnapshot.listFiles(dir).values()) {
            for (SnapshotFile f : files) {
                try {
                    bytes += Files.size(f.path);
                    Instant modified = Files.getLastModifiedTime(f.path).toInstant();
                    last = last == null || modified.isAfter(last) ? modified : last;
                } catch (java.nio.file.NoSuchFileException e) {
                    // replaced by a compaction since the listing: its content is in the new base
                }
            }
        }
        return new DiskUsage(bytes, last);
    }

    /** The partition count recorded in the snapshot's MANIFEST. */
    public static int partitionCount(Path dir) throws IOException {
        return FlowSnapshot.readManifest(dir).orElseThrow(
                () -> new IOException(dir + " is not a Flowkeeper snapshot (no MANIFEST)"));
    }
}
