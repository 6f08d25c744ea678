package io.flowkeeper.agent;

import io.flowkeeper.api.util.Threads;
import io.flowkeeper.agent.snapshot.SnapshotDamage;
import io.flowkeeper.agent.snapshot.SnapshotInspector;
import io.flowkeeper.api.flow.BundleResult;
import io.flowkeeper.openflow.unix.UnixSwitchConnection;
import io.flowkeeper.openflow.wire.BundleWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.IntConsumer;

/**
 * Installs a snapshot into a switch in one bundle that first deletes every flow, so the table becomes exactly the
 * snapshot, atomically (or, into a table known to be empty, one that only adds: see {@code replaceAll}).
 * Partitions are read in parallel a few ahead of the one being sent, so reading overlaps sending and memory holds
 * only a few partitions at a time.
 */
public final class SnapshotRestorer {
    /** Partitions read ahead of the one being sent. */
    private static final int READ_AHEAD = 3;

    private SnapshotRestorer() {
    }

    /**
     * What a restore did.
     *
     * @param damage snapshot records that could not be read (their flows are missing until reconciliation)
     */
    public record Result(BundleResult bundle, List<SnapshotDamage> damage) {
    }

    /**
     * Restores {@code snapshotDir} into the switch behind {@code connection}.
     *
     * @param replaceAll start the bundle with a delete-all; false only adds, so flows a controller installed
     *     meanwhile stay (for a table that was empty just before)
     */
    public static Result restore(Path snapshotDir, UnixSwitchConnection connection, boolean replaceAll,
            IntConsumer progress) throws IOException {
        int partitions = SnapshotInspector.partitionCount(snapshotDir);
        List<SnapshotDamage> damage = java.util.Collections.synchronizedList(new ArrayList<>());
        ExecutorService readers = Executors.newFixedThreadPool(2, Threads.daemon("snapshot-read"));
        try {
            PartitionStream flows = new PartitionStream(snapshotDir, partitions, readers, damage);
            BundleResult bundle = connection.installBundle(flows, replaceAll, BundleWriter.OnError.COMMIT_REST,
                    progress);
            return new Result(bundle, List.copyOf(damage));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } finally {
            readers.shutdownNow();
        }
    }

    /**
     * A restore sent into a bundle the switch holds open ({@link #stage}): {@link #commit} applies it in one short
     * message.
     */
    public static final class Staged {
        private final BundleWriter.Staged bundle;
        private final List<SnapshotDamage> damage;

        private Staged(BundleWriter.Staged bundle, List<SnapshotDamage> damage) {
            this.bundle = bundle;
            this.damage = damage;
        }

        public int flows() {
            return bundle.messages();
        }

        /** How long sending the snapshot took. */
        public java.time.Duration staging() {
            return bundle.staging();
        }

        /** Adds the snapshot's flows to the table, atomically. */
        public Result commit() throws IOException {
            return new Result(bundle.commit(BundleWriter.OnError.COMMIT_REST), List.copyOf(damage));
        }

        public void discard() {
            bundle.discard();
        }
    }

    /**
     * Makes the table hold exactly the snapshot's first flow, then sends the whole snapshot into a bundle left
     * open. For a switch that will flush its table soon (OVS as it adds a bridge's first controller): the one flow
     * makes the flush visible (the table's count drops to 0), and the commit after it refills the table in one
     * message rather than after the whole snapshot is sent again. Without a flush, the commit adds the rest.
     */
    public static Staged stage(Path snapshotDir, UnixSwitchConnection connection, IntConsumer progress)
            throws IOException {
        int partitions = SnapshotInspector.partitionCount(snapshotDir);
        List<SnapshotDamage> damage = java.util.Collections.synchronizedList(new ArrayList<>());
        ExecutorService readers = Executors.newFixedThreadPool(2, Threads.daemon("snapshot-read"));
        try {
            PartitionStream flows = new PartitionStream(snapshotDir, partitions, readers, damage);
            // the first flow the switch accepts (one it refuses would leave the table empty: no flush to see)
            List<byte[]> first = new ArrayList<>();
            while (flows.hasNext()) {
                first.add(flows.next());
                if (connection.installBundle(List.of(first.get(first.size() - 1)).iterator(), true,
                        BundleWriter.OnError.COMMIT_REST, null).failures().isEmpty()) {
                    break;
                }
            }
            Iterator<byte[]> all = first.isEmpty() ? flows
                    : java.util.stream.Stream.concat(first.stream(), java.util.stream.StreamSupport.stream(
                            java.util.Spliterators.spliteratorUnknownSize(flows, 0), false)).iterator();
            return new Staged(connection.stageBundle(all, progress), damage);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } finally {
            readers.shutdownNow();
        }
    }

    /** Iterates every stored flow-mod, partition after partition, reading ahead in the background. */
    private static final class PartitionStream implements Iterator<byte[]> {
        private final Path dir;
        private final int partitions;
        private final ExecutorService readers;
        private final List<SnapshotDamage> damage;
        private final List<CompletableFuture<Collection<byte[]>>> loads = new ArrayList<>();
        private int current = -1;
        private Iterator<byte[]> values = java.util.Collections.emptyIterator();

        PartitionStream(Path dir, int partitions, ExecutorService readers, List<SnapshotDamage> damage) {
            this.dir = dir;
            this.partitions = partitions;
            this.readers = readers;
            this.damage = damage;
            for (int p = 0; p < Math.min(READ_AHEAD, partitions); p++) {
                loads.add(load(p));
            }
        }

        private CompletableFuture<Collection<byte[]>> load(int p) {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return SnapshotInspector.flows(dir, p, damage).values();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, readers);
        }

        @Override
        public boolean hasNext() {
            while (!values.hasNext()) {
                if (current + 1 >= partitions) {
                    return false;
                }
                current++;
                if (current + READ_AHEAD - 1 < partitions && loads.size() < current + READ_AHEAD) {
                    loads.add(load(current + READ_AHEAD - 1));
                }
                try {
                    values = loads.get(current).join().iterator();
                } catch (java.util.concurrent.CompletionException e) {
                    throw e.getCause() instanceof UncheckedIOException u ? u : new IllegalStateException(e);
                }
                loads.set(current, null); // let the partition be collected once sent
            }
            return true;
        }

        @Override
        public byte[] next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return values.next();
        }
    }
}
