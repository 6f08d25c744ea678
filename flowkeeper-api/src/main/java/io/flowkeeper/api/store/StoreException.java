package io.flowkeeper.api.store;

/** A datastore call failed; {@link #kind()} says how, so the REST layer can pick a status code. */
public class StoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public enum Kind {
        /** Bad input: an invalid path, oversized value, malformed JSON (a 400). */
        INVALID,
        /** The shard is not in this cluster's shard list (a 404). */
        UNKNOWN_SHARD,
        /** The shard could not commit or read within its timeout: no quorum or no leader (a 503). */
        UNAVAILABLE
    }

    private final Kind kind;
    private final String shard;

    public StoreException(Kind kind, String shard, String message) {
        this(kind, shard, message, null);
    }

    public StoreException(Kind kind, String shard, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.shard = shard;
    }

    public Kind kind() {
        return kind;
    }

    public String shard() {
        return shard;
    }
}
