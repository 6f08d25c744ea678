package io.flowkeeper.agent.snapshot;

import java.io.IOException;

/**
 * The journal could not be written (full disk, I/O error). The snapshot on disk is still the last good state; the
 * changes of the failed flush are not in it, so {@link FlowSnapshot#needsResync()} becomes true.
 */
public final class SnapshotWriteException extends IOException {
    private static final long serialVersionUID = 1L;

    public SnapshotWriteException(String message, Throwable cause) {
        super(message, cause);
    }
}
