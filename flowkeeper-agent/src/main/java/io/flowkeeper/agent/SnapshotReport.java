package io.flowkeeper.agent;

import java.time.Instant;

/**
 * What the agent tells the cluster of one bridge's snapshot with its registration and every heartbeat, so that
 * operators see it on the dashboard, the API and the CLI: whether it holds flows (the switch's master then waits for
 * the agent's restore), its size, when it was last written, and the agent's last restore of the bridge.
 *
 * @param holdsFlows whether any snapshot file holds a record (the agent restores the bridge when it comes back empty)
 * @param state the bridge's journal state ({@code journaling}: the snapshot follows the switch live), null before
 *     the agent's first connection
 * @param flows flows in the snapshot as the journal last counted them, null before its first initial dump
 * @param bytes the snapshot's partition files on disk
 * @param writtenAt when the snapshot was last written (newest file modification), null when it has no file yet
 * @param lastRestore the agent's last restore of this bridge since it started, null when none
 */
public record SnapshotReport(boolean holdsFlows, String state, Integer flows, long bytes, Instant writtenAt,
                             AgentStatus.Restore lastRestore) {
    /** A host agent without a snapshot of the bridge (a cluster agent run without one, in tests). */
    public static final SnapshotReport NONE = new SnapshotReport(false, null, null, 0, null, null);
}
