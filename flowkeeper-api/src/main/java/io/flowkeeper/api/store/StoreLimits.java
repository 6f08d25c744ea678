package io.flowkeeper.api.store;

import java.nio.charset.StandardCharsets;

/**
 * The largest document and transaction a datastore accepts. One transaction is one replicated log entry, so its
 * size is bounded by what every replica can buffer and write in one piece.
 *
 * @param maxValueBytes the largest document, in UTF-8 bytes
 * @param maxTransactionBytes the largest transaction: its paths, documents and a few bytes of framing per item
 */
public record StoreLimits(int maxValueBytes, long maxTransactionBytes) {
    /** A message fragment {@link #check} puts in every size refusal, so a REST layer can answer 413, not 400. */
    public static final String SIZE_REFUSAL = "bytes; the limit is";

    /**
     * The limits for a largest document of {@code maxValueBytes}: a transaction may carry four such documents plus
     * 64 KB of paths and framing.
     */
    public static StoreLimits ofMaxValue(int maxValueBytes) {
        return new StoreLimits(maxValueBytes, 4L * maxValueBytes + 65_536);
    }

    /**
     * Refuses, before anything is written, a transaction that is empty, names an invalid path, stores a document at
     * the root or without one, or exceeds a limit; throws {@link StoreException} of kind INVALID naming the shard.
     */
    public void check(String shard, Transaction txn) {
        if (txn.operations().isEmpty() && txn.preconditions().isEmpty()) {
            throw new StoreException(StoreException.Kind.INVALID, shard, "empty transaction");
        }
        try {
            // Roughly the encoded size of a log entry: a path, a document and a few bytes of framing per item.
            long bytes = 0;
            for (Precondition p : txn.preconditions()) {
                DataPath.of(p.path());
                bytes += p.path().length() + 16;
            }
            for (Operation op : txn.operations()) {
                DataPath path = DataPath.of(op.path());
                bytes += op.path().length() + 16;
                if (op.kind() == Operation.Kind.PUT) {
                    if (path.isRoot()) {
                        throw new IllegalArgumentException("cannot store a document at /");
                    }
                    if (op.json() == null) {
                        throw new IllegalArgumentException("PUT " + op.path() + " without a document");
                    }
                    int size = op.json().getBytes(StandardCharsets.UTF_8).length;
                    if (size > maxValueBytes) {
                        throw new IllegalArgumentException("document at " + op.path() + " is " + size + " "
                                + SIZE_REFUSAL + " " + maxValueBytes + " bytes");
                    }
                    bytes += size;
                }
            }
            if (bytes > maxTransactionBytes) {
                throw new IllegalArgumentException("transaction of " + txn.operations().size() + " operations is "
                        + bytes + " " + SIZE_REFUSAL + " " + maxTransactionBytes
                        + " bytes (4 x max-value-bytes + 64 KB): split it");
            }
        } catch (IllegalArgumentException e) {
            throw new StoreException(StoreException.Kind.INVALID, shard, e.getMessage());
        }
    }
}
