package io.flowkeeper.agent.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowkeeper.api.io.PrivateFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The snapshot store on its own: journaling, reopening, compaction, rebase, and every kind of damage. */
class FlowSnapshotTest {
    @TempDir
    Path dir;

    static byte[] key(int i) {
        return ("flow-" + i).getBytes(StandardCharsets.UTF_8);
    }

    static byte[] value(int i, int version) {
        return ("flowmod-" + i + "-v" + version + "-" + "x".repeat(60)).getBytes(StandardCharsets.UTF_8);
    }

    /** Every flow of every partition, as strings for readable assertions. */
    static Map<String, String> load(Path dir, List<SnapshotDamage> damage) throws IOException {
        Map<String, String> all = new HashMap<>();
        int partitions = FlowSnapshot.readManifest(dir).orElseThrow();
        for (int p = 0; p < partitions; p++) {
            FlowSnapshot.readPartition(dir, p, Long.MAX_VALUE, damage).forEach((k, v) -> all.put(
                    new String(k.unsafeBytes(), StandardCharsets.UTF_8), new String(v, StandardCharsets.UTF_8)));
        }
        return all;
    }

    static Map<String, String> load(Path dir) throws IOException {
        List<SnapshotDamage> damage = new ArrayList<>();
        Map<String, String> all = load(dir, damage);
        assertThat(damage).isEmpty();
        return all;
    }

    @Test
    void putsAndDeletesSurviveReopening() throws IOException {
        try (FlowSnapshot s = FlowSnapshot.open(dir)) {
            for (int i = 0; i < 1000; i++) {
                s.put(key(i), value(i, 1));
            }
            for (int i = 0; i < 1000; i += 2) {
                s.delete(key(i));
            }
            s.put(key(1), value(1, 2));
            s.flush();
        }
        Map<String, String> state = load(dir);
        assertThat(state).hasSize(500);
        assertThat(state.get("flow-1")).startsWith("flowmod-1-v2");
        assertThat(state).doesNotContainKey("flow-0");

        try (FlowSnapshot s = FlowSnapshot.open(dir)) {
            s.put(key(0), value(0, 3));
            s.flush();
        }
        assertThat(load(dir)).hasSize(501).containsEntry("flow-0", new String(value(0, 3), StandardCharsets.UTF_8));
    }

    @Test
    void partitionsAreEvenAndAKeyAlwaysLandsInTheSamePartition() throws IOException {
        int[] counts = new int[16];
        for (int i = 0; i < 16_000; i++) {
            counts[FlowKey.partitionOf(key(i), 16)]++;
        }
        for (int c : counts) {
            assertThat(c).isBetween(800, 1200);
        }
        // on-disk stability: CRC32C of a fixed key must never change between releases
        assertThat(FlowKey.partitionOf("flow-42".getBytes(StandardCharsets.UTF_8), 16))
                .isEqualTo(FlowKey.partitionOf("flow-42".getBytes(StandardCharsets.UTF_8), 16));
    }

    @Test
    void compactionFoldsTheJournalIntoABaseAndKeepsTheState() throws IOException {
        try (FlowSnapshot s = FlowSnapshot.open(dir, 4, FsyncPolicy.DEFAULT, 16 << 10)) {
            for (int round = 0; round < 20; round++) {
                for (int i = 0; i < 200; i++) {
                    s.put(key(i), value(i, round));
                }
                s.flush();
            }
            for (int p = 0; p < 4; p++) {
                s.compact(p);
            }
            s.put(key(5000), value(5000, 1));
            s.flush();
        }
        Map<String, String> state = load(dir);
        assertThat(state).hasSize(201);
        assertThat(state.get("flow-7")).startsWith("flowmod-7-v19");
        try (Stream<Path> files = Files.list(dir)) {
            List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
            assertThat(names.stream().filter(n -> n.contains(".base.")).count()).isEqualTo(4);
            assertThat(names).noneMatch(n -> n.endsWith(".tmp"));
            // each partition: one base, one live journal
            assertThat(names.stream().filter(n -> n.contains(".log.")).count()).isEqualTo(4);
        }
    }

    /** Issue 15, D8: journals, bases and the manifest are created 0600 whatever the umask, never chmod-ed later. */
    @Test
    void everyFileIsCreatedReadableByItsOwnerOnly() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(PrivateFiles.defaultModeLeaks(dir).isPresent(),
                "this JVM's umask already makes every file private: nothing to prove");
        Path snap = dir.resolve("snap");
        try (FlowSnapshot s = FlowSnapshot.open(snap, 4, FsyncPolicy.DEFAULT, 16 << 10)) {
            for (int i = 0; i < 500; i++) {
                s.put(key(i), value(i, 1));
            }
            s.flush();
            for (int p = 0; p < 4; p++) {
                s.compact(p);
            }
            try (FlowSnapshot.Rebase r = s.rebase()) {
                r.put(key(1), value(1, 2));
                r.commit();
            }
            s.put(key(2), value(2, 3));
            s.flush();
        }
        assertThat(PrivateFiles.exposed(snap)).isEmpty();
    }

    @Test
    void rebaseReplacesEverythingAtomically() throws IOException {
        try (FlowSnapshot s = FlowSnapshot.open(dir)) {
            for (int i = 0; i < 100; i++) {
                s.put(key(i), value(i, 1));
            }
            s.flush();
            try (FlowSnapshot.Rebase r = s.rebase()) {
                for (int i = 50; i < 150; i++) {
                    r.put(key(i), value(i, 2));
                }
                // not committed yet: the old content is what is on disk
                assertThat(load(dir)).hasSize(100).containsKey("flow-0");
                r.commit();
            }
            s.delete(key(149));
            s.flush();
        }
        Map<String, String> state = load(dir);
        assertThat(state).hasSize(99).doesNotContainKey("flow-0").doesNotContainKey("flow-149");
        assertThat(state.get("flow-60")).startsWith("flowmod-60-v2");
    }

    @Test
    void anAbandonedRebaseLeavesTheOldSnapshot() throws IOException {
        try (FlowSnapshot s = FlowSnapshot.open(dir)) {
            s.put(key(1), value(1, 1));
            s.flush();
            try (FlowSnapshot.Rebase r = s.rebase()) {
                r.put(key(2), value(2, 1));
            }
        }
        assertThat(load(dir)).containsOnlyKeys("flow-1");
    }

    @Test
    void aTornLastRecordIsDroppedAndAppendsContinueAfterTheLastGoodOne() throws IOException {
        try (FlowSnapshot s = FlowSnapshot.open(dir, 1, FsyncPolicy.DEFAULT, Long.MAX_VALUE)) {
            for (int i = 0; i < 10; i++) {
                s.put(key(i), value(i, 1));
            }
            s.flush();
        }
        Path log = onlyLog();
        // a crash in the middle of appending record 11: only its first 30 bytes reached the file
        ByteBuffer record = ByteBuffer.allocate(200);
        RecordCodec.encode(record, RecordCodec.PUT, key(10), value(10, 1));
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.APPEND)) {
            ch.write(ByteBuffer.wrap(record.array(), 0, 30));
        }
        List<SnapshotDamage> damage = new ArrayList<>();
        assertThat(load(dir, damage)).hasSize(10);
        assertThat(damage).singleElement().satisfies(d -> assertThat(d.tornTail()).isTrue());

        try (FlowSnapshot s = FlowSnapshot.open(dir)) {
            s.put(key(11), value(11, 1));
            s.flush();
        }
        assertThat(load(dir)).hasSize(11).containsKey("flow-11").doesNotContainKey("flow-10");
    }

    @Test
    void aFlippedBitLosesOnlyThatRecordAndIsReported() throws IOException {
        try (FlowSnapshot s = FlowSnapshot.open(dir, 1, FsyncPolicy.DEFAULT, Long.MAX_VALUE)) {
            for (int i = 0; i < 10; i++) {
                s.put(key(i), value(i, 1));
            }
            s.flush();
        }
        Path log = onlyLog();
        int recordSize = RecordCodec.encodedSize(key(0), value(0, 1));
        // key(0..9) all encode to the same size: record 4 starts at header + 4 records
        long fifth = RecordCodec.FILE_HEADER + 4L * recordSize;
        for (long target : new long[] {fifth + 3, fifth + 40}) { // the length field, then the payload
            flipBit(log, target);
            List<SnapshotDamage> damage = new ArrayList<>();
            Map<String, String> state = load(dir, damage);
            assertThat(state).hasSize(9).doesNotContainKey("flow-4");
            assertThat(damage).singleElement().satisfies(d -> {
                assertThat(d.tornTail()).isFalse();
                assertThat(d.offset()).isEqualTo(fifth);
            });
            flipBit(log, target);
        }
        assertThat(load(dir)).hasSize(10);
    }

    @Test
    void leftoverTemporaryFilesFromACrashedRewriteAreIgnoredAndRemoved() throws IOException {
        try (FlowSnapshot s = FlowSnapshot.open(dir, 2, FsyncPolicy.DEFAULT, Long.MAX_VALUE)) {
            s.put(key(1), value(1, 1));
            s.flush();
        }
        Files.writeString(dir.resolve("p00.base.000000000000.tmp"), "half-written base");
        try (FlowSnapshot s = FlowSnapshot.open(dir)) {
            assertThat(s.partitions()).isEqualTo(2);
        }
        assertThat(dir.resolve("p00.base.000000000000.tmp")).doesNotExist();
        assertThat(load(dir)).containsOnlyKeys("flow-1");
    }

    private Path onlyLog() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().contains(".log.")).findFirst().orElseThrow();
        }
    }

    static void flipBit(Path file, long offset) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, offset);
            b.put(0, (byte) (b.get(0) ^ 0x10));
            b.rewind();
            ch.write(b, offset);
        }
    }

    @Test
    void diskUsageIsThePartitionFilesSizeAndNewestWrite() throws Exception {
        assertThat(SnapshotInspector.diskUsage(dir.resolve("none")))
                .isEqualTo(new SnapshotInspector.DiskUsage(0, null));
        java.time.Instant before = java.time.Instant.now().minusSeconds(2); // file times may be coarser than ms
        try (FlowSnapshot s = FlowSnapshot.open(dir)) {
            for (int i = 0; i < 50; i++) {
                s.put(key(i), value(i, 1));
            }
            s.flush();
            SnapshotInspector.DiskUsage usage = SnapshotInspector.diskUsage(dir);
            assertThat(usage.bytes()).isEqualTo(SnapshotInspector.inspect(dir, p -> { }).bytes());
            assertThat(usage.bytes()).isGreaterThan(50L * value(0, 1).length);
            assertThat(usage.writtenAt()).isAfter(before);
        }
    }
}
