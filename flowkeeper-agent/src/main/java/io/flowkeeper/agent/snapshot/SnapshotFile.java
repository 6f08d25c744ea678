package io.flowkeeper.agent.snapshot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One base or log file of a partition: its name scheme, and reading its records with damage recovery. */
final class SnapshotFile {
    /** {@code p07.base.000000000012} / {@code p07.log.000000000013}. */
    static final Pattern NAME = Pattern.compile("p(\\d{2})\\.(base|log)\\.(\\d{12})");

    enum Kind { BASE, LOG }

    final Path path;
    final int partition;
    final Kind kind;
    final long generation;

    SnapshotFile(Path path, int partition, Kind kind, long generation) {
        this.path = path;
        this.partition = partition;
        this.kind = kind;
        this.generation = generation;
    }

    static String name(int partition, Kind kind, long generation) {
        return String.format(java.util.Locale.ROOT, "p%02d.%s.%012d", partition,
                kind == Kind.BASE ? "base" : "log", generation);
    }

    static SnapshotFile parse(Path path) {
        Matcher m = NAME.matcher(path.getFileName().toString());
        if (!m.matches()) {
            return null;
        }
        return new SnapshotFile(path, Integer.parseInt(m.group(1)),
                m.group(2).equals("base") ? Kind.BASE : Kind.LOG, Long.parseLong(m.group(3)));
    }

    /** Receives the records of a file in order. */
    interface Sink {
        void put(byte[] key, byte[] value);

        void delete(byte[] key);
    }

    /**
     * What reading a file found.
     *
     * @param validEnd offset just past the last valid record (where appends may continue)
     * @param records valid records read
     */
    record ReadResult(long validEnd, int records, List<SnapshotDamage> damage) {
    }

    /** Reads every valid record into {@code sink}, skipping damaged ones and stopping at a torn tail. */
    ReadResult read(Sink sink) throws IOException {
        List<SnapshotDamage> damage = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE) {
                throw new IOException(path + " is larger than 2 GiB; not a snapshot file");
            }
            if (size < RecordCodec.FILE_HEADER) {
                damage.add(new SnapshotDamage(path, 0, "file header incomplete", true));
                return new ReadResult(0, 0, damage);
            }
            MappedByteBuffer data = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            byte[] magic = new byte[RecordCodec.FILE_MAGIC.length];
            data.get(0, magic);
            if (!Arrays.equals(magic, RecordCodec.FILE_MAGIC) || data.getLong(8) != generation) {
                damage.add(new SnapshotDamage(path, 0, "bad file header", false));
                return new ReadResult(0, 0, damage);
            }
            return readRecords(data, sink, damage);
        }
    }

    private ReadResult readRecords(ByteBuffer data, Sink sink, List<SnapshotDamage> damage) {
        int pos = RecordCodec.FILE_HEADER;
        int limit = data.limit();
        int validEnd = pos;
        int records = 0;
        while (pos < limit) {
            RecordCodec.Decoded d = RecordCodec.decode(data, pos);
            if (d != null) {
                if (d.type() == RecordCodec.PUT) {
                    sink.put(d.key(), d.value());
                } else {
                    sink.delete(d.key());
                }
                records++;
                pos += d.size();
                validEnd = pos;
                continue;
            }
            int next = nextValidRecord(data, pos + 1);
            if (next < 0) {
                damage.add(new SnapshotDamage(path, pos, "torn last record (" + (limit - pos) + " bytes)", true));
                break;
            }
            damage.add(new SnapshotDamage(path, pos, "damaged record (" + (next - pos) + " bytes skipped)", false));
            pos = next;
        }
        return new ReadResult(validEnd, records, damage);
    }

    private static int nextValidRecord(ByteBuffer data, int from) {
        for (int q = from; q + RecordCodec.HEADER <= data.limit(); q++) {
            if (data.getShort(q) == RecordCodec.MAGIC && RecordCodec.decode(data, q) != null) {
                return q;
            }
        }
        return -1;
    }

    @Override
    public String toString() {
        return path.getFileName().toString();
    }
}
