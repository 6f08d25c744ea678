package io.flowkeeper.agent.snapshot;

import java.time.Duration;

/**
 * When journal appends are forced to disk. Whatever the policy, an append is in the page cache when
 * {@link FlowSnapshot#flush()} returns, so killing the agent loses nothing; the policy bounds what a power failure
 * can lose.
 *
 * @param interval fsync at most this long after an append; {@link Duration#ZERO} fsyncs inside every flush
 */
public record FsyncPolicy(Duration interval) {
    /** The default: a power failure loses at most the last 100 ms of flow changes. */
    public static final FsyncPolicy DEFAULT = new FsyncPolicy(Duration.ofMillis(100));

    /** Every flush is durable before it returns (slowest; for tests and paranoid operators). */
    public static final FsyncPolicy EVERY_FLUSH = new FsyncPolicy(Duration.ZERO);

    public FsyncPolicy {
        if (interval.isNegative()) {
            throw new IllegalArgumentException("fsync interval must not be negative");
        }
    }
}
