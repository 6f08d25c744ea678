package io.flowkeeper.controller.mastership;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.store.StoreException;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.api.util.Threads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the statistics documents of every switch this node masters, in bulk: once per statistics interval, all
 * that the masters handed in since, in as few transactions as fit (not one write per switch), on a thread of its
 * own, so that bulk work never delays a lease renewal or a role change.
 *
 * <p>Idle switches cost little: a document whose content (all but its {@code updated-ms} stamp) is what this node
 * last wrote at the same generation is written again only once {@link #REFRESH} has passed, so a thousand idle
 * switches write a few documents a second instead of a thousand. The stamp therefore says when the statistics were
 * last <em>written</em>, at most {@code REFRESH} plus one poll's delay old while they do not change (an idle
 * switch's master polls it up to {@link SwitchMaster#MAX_STATS_BACKOFF} intervals apart).
 *
 * <p>Only a master writes: each document is checked against mastership ({@code canAct}) just before its
 * transaction is committed.
 */
final class StatisticsWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StatisticsWriter.class);
    /** How long an unchanged statistics document may go without being written again. */
    static final Duration REFRESH = Duration.ofSeconds(30);
    /** A transaction's size budget: well under the smallest transaction limit a node accepts. */
    private static final int BATCH_BYTES = 512 * 1024;

    /** Whether this node may still write for the entity at that generation. */
    interface Gate {
        boolean canAct(String entity, long generation);
    }

    /** The documents of one switch, to be written while its master holds that generation. */
    record Publication(String entity, long generation, Map<String, ObjectNode> documents) {
    }

    /** What was last written per path: the generation, the content's hash and length, and when. */
    private record Written(long generation, int hash, int length, long atNanos) {
    }

    private final DatastoreService store;
    private final String shard;
    private final Gate gate;
    private final Map<String, Publication> pending = new ConcurrentHashMap<>();
    private final Map<String, Written> written = new ConcurrentHashMap<>();
    private final ScheduledExecutorService thread =
            Executors.newSingleThreadScheduledExecutor(Threads.daemon("statistics-writer"));
    private final AtomicBoolean urgent = new AtomicBoolean();

    StatisticsWriter(DatastoreService store, String shard, Gate gate, Duration interval) {
        this.store = store;
        this.shard = shard;
        this.gate = gate;
        long ms = interval.toMillis();
        thread.scheduleWithFixedDelay(this::flush, ms, ms, TimeUnit.MILLISECONDS);
    }

    /**
     * Hands in a switch's latest documents (replacing any not yet written); {@code now} writes them at once, for
     * news a reader should not wait an interval for (a refused flow).
     */
    void publish(Publication publication, boolean now) {
        pending.put(publication.entity(), publication);
        if (now && urgent.compareAndSet(false, true)) {
            try {
                thread.execute(this::flush);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closed
            }
        }
    }

    /** Forgets what was written for an entity (this node no longer masters it): the next master writes afresh. */
    void forget(String entity, Iterable<String> paths) {
        pending.remove(entity);
        paths.forEach(written::remove);
    }

    private void flush() {
        urgent.set(false);
        long now = System.nanoTime();
        List<Map<String, String>> batches = new ArrayList<>();
        Map<String, String> batch = new LinkedHashMap<>();
        Map<String, Written> stamps = new LinkedHashMap<>();
        int bytes = 0;
        for (String entity : List.copyOf(pending.keySet())) {
            Publication p = pending.remove(entity);
            if (p == null || !gate.canAct(p.entity(), p.generation())) {
                continue;
            }
            for (Map.Entry<String, ObjectNode> d : p.documents().entrySet()) {
                String content = d.getValue().toString();
                Written last = written.get(d.getKey());
                if (last != null && last.generation() == p.generation() && last.hash() == content.hashCode()
                        && last.length() == content.length() && now - last.atNanos() < REFRESH.toNanos()) {
                    continue; // unchanged, and written recently enough
                }
                String json = d.getValue().deepCopy().put("updated-ms", System.currentTimeMillis()).toString();
                if (bytes + json.length() > BATCH_BYTES && !batch.isEmpty()) {
                    batches.add(batch);
                    batch = new LinkedHashMap<>();
                    bytes = 0;
                }
                batch.put(d.getKey(), json);
                bytes += json.length() + d.getKey().length();
                stamps.put(d.getKey(), new Written(p.generation(), content.hashCode(), content.length(), now));
            }
        }
        if (!batch.isEmpty()) {
            batches.add(batch);
        }
        for (Map<String, String> b : batches) {
            Transaction.Builder t = Transaction.builder();
            b.forEach(t::put);
            try {
                store.commit(shard, t.build());
                b.keySet().forEach(path -> written.put(path, stamps.get(path)));
            } catch (StoreException e) {
                LOG.debug("cannot write {} statistics documents: {}", b.size(), e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
