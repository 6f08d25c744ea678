/**
 * The flow snapshot: a crash-safe, partitioned, checksummed copy of every flow a bridge holds, on the host's own
 * disk, so a rebooted host can forward again before any controller is reachable (seed 000).
 *
 * <p>Layout of one bridge's snapshot directory:
 * <pre>
 *   MANIFEST                 format version and partition count (written once, atomically)
 *   p07.base.000000000012    partition 7's compacted state up to generation 12: PUT records only
 *   p07.log.000000000013     partition 7's journal since then: PUT and DELETE records, append-only
 * </pre>
 * A partition's state is its newest base plus every later log, replayed in order. Records are opaque to this
 * package: a key (the flow's identity: table, priority, match) and a value (the flow as an OpenFlow FLOW_MOD).
 *
 * <p>Partition key: a hash of the flow's identity, modulo the partition count (16 by default). Partitions are
 * then even in size whatever the pipeline looks like, so restore reads them in parallel, and compaction and any
 * damage stay inside one partition's files.
 *
 * <p>Record format: {@code magic(2) length(4) crc32c(4) payload(length)}, the CRC covering the length and the
 * payload. A torn last record (crash mid-write) is dropped and the log truncated before the next append; a
 * damaged record elsewhere (a flipped bit) is reported and skipped by scanning for the next valid record, so only
 * that record is lost.
 *
 * <p>Durability: appends reach the page cache at once (a killed agent loses nothing it acknowledged); they are
 * fsynced by {@link io.flowkeeper.agent.snapshot.FsyncPolicy} (default: at most 100 ms later), so a power failure
 * loses at most that window; the controller's reconciliation repairs whatever is missing after restore. New base
 * files are written to a temporary name, fsynced, renamed, and the directory fsynced.
 */
package io.flowkeeper.agent.snapshot;
