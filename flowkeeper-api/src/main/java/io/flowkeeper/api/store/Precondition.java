package io.flowkeeper.api.store;

/**
 * A condition checked, atomically with the writes, when a {@link Transaction} commits. If any fails, nothing in the
 * transaction is written. Allocations use {@link #absent} ("take this IP only if nobody has it").
 *
 * @param path the key tested
 * @param kind what is tested
 * @param revision the expected modification revision, for {@link Kind#MOD_REVISION}
 */
public record Precondition(String path, Kind kind, long revision) {
    public enum Kind {
        /** The key must not exist. */
        ABSENT,
        /** The key must exist. */
        EXISTS,
        /** The key's modification revision must equal {@code revision} (0 means: absent). */
        MOD_REVISION
    }

    public static Precondition absent(String path) {
        return new Precondition(path, Kind.ABSENT, 0);
    }

    public static Precondition exists(String path) {
        return new Precondition(path, Kind.EXISTS, 0);
    }

    public static Precondition modRevision(String path, long revision) {
        return new Precondition(path, Kind.MOD_REVISION, revision);
    }
}
