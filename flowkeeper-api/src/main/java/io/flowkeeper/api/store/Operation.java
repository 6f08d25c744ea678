package io.flowkeeper.api.store;

/**
 * One write in a {@link Transaction}: put a document, or delete a key (deleting with {@code prefix} removes the key
 * and everything below it).
 *
 * @param json the document for {@link Kind#PUT}, null for deletes
 */
public record Operation(Kind kind, String path, String json) {
    public enum Kind { PUT, DELETE, DELETE_PREFIX }

    public static Operation put(String path, String json) {
        return new Operation(Kind.PUT, path, json);
    }

    public static Operation delete(String path) {
        return new Operation(Kind.DELETE, path, null);
    }

    public static Operation deletePrefix(String path) {
        return new Operation(Kind.DELETE_PREFIX, path, null);
    }
}
