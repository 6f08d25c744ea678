package io.flowkeeper.api.store;

/**
 * One committed change seen by a watch, delivered in commit order. {@link Type#RESET} starts a fresh state dump
 * (sent when the requested resume revision is older than what the replica still remembers): the watcher drops what
 * it knew, then receives one {@link Type#PUT} per current key and a {@link Type#SYNCED} marker at {@code revision}.
 *
 * @param revision the shard revision of the change
 * @param json the new document for PUT, null otherwise
 */
public record WatchEvent(Type type, long revision, String path, String json) {
    public enum Type { PUT, DELETE, RESET, SYNCED }
}
