package io.flowkeeper.agent.snapshot;

import java.nio.file.Path;

/**
 * A record that could not be read: where it was and why. Only that record is lost; the partition's other records
 * load.
 *
 * @param file the base or log file
 * @param offset byte offset of the damaged record's start
 * @param reason e.g. "checksum mismatch", "torn last record"
 * @param tornTail true for an incomplete last record (a crash mid-append, expected), false for damage inside
 *     the file (a disk problem, reported)
 */
public record SnapshotDamage(Path file, long offset, String reason, boolean tornTail) {
    @Override
    public String toString() {
        return file.getFileName() + " @" + offset + ": " + reason;
    }
}
