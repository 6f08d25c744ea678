package io.flowkeeper.api.store;

/**
 * A stored document with its revisions, like an etcd key-value: {@code createRevision} is the shard revision that
 * created the key, {@code modRevision} the one that last changed it, {@code version} how many times it was written
 * since creation (1 after the first write), so a write applied twice would show as version 2.
 *
 * @param path the key
 * @param json the document, as compact JSON text
 */
public record VersionedValue(String path, String json, long createRevision, long modRevision, long version) {}
