package io.flowkeeper.controller.mastership;

import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.store.CommitResult;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.store.Precondition;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.api.store.VersionedValue;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a switch's desired flows together with their identity index ({@link FlowDocuments}): one transaction puts
 * or deletes the flow documents and claims or frees the identities, with a precondition on every document it read,
 * so a write costs reads in proportion to the flows it names, never to the switch. Two writers racing for one
 * identity: the first commit wins, the second's precondition fails, it reads again, and is refused with
 * {@link IdentityConflict}. Thread-safe (the store is).
 */
public final class DesiredFlows {
    private static final Logger LOG = LoggerFactory.getLogger(DesiredFlows.class);
    /** Commits tried before giving up when other writers keep changing the same documents. */
    static final int ATTEMPTS = 5;
    private static final int MIGRATION_BATCH = 500;

    private final DatastoreService store;

    public DesiredFlows(DatastoreService store) {
        this.store = store;
    }

    /** Two flow ids would hold one identity (table, priority, match): they would fight over one switch flow. */
    public static final class IdentityConflict extends RuntimeException {
        private static final long serialVersionUID = 1L;

        IdentityConflict(String message) {
            super(message);
        }
    }

    /**
     * Puts {@code puts} and deletes {@code deletes} on switch {@code dpid} atomically.
     *
     * @return the shard revision of the commit
     * @throws IdentityConflict naming the two flow ids, when a flow would take an identity another id holds
     */
    public long write(long dpid, Map<String, Flow> puts, Collection<String> deletes) {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            // The first attempt reads this replica; a precondition that fails means it was behind or someone
            // wrote meanwhile, so the next attempts read through the leader.
            ReadConsistency consistency = attempt == 0 ? ReadConsistency.STALE : ReadConsistency.LINEARIZABLE;
            CommitResult r = store.commit(FlowDocuments.CONFIG_SHARD, plan(dpid, puts, deletes, consistency));
            if (r.succeeded()) {
                return r.revision();
            }
            LOG.debug("switch {}: flow write raced on {}; reading again", FlowDocuments.dpid(dpid),
                    r.failedPrecondition());
        }
        throw new IdentityConflict("switch " + FlowDocuments.dpid(dpid) + ": these flows were changed by other "
                + "writers " + ATTEMPTS + " times while this write was prepared; retry");
    }

    private Transaction plan(long dpid, Map<String, Flow> puts, Collection<String> deletes,
                             ReadConsistency consistency) {
        Transaction.Builder txn = Transaction.builder();
        Map<String, Long> revisions = new HashMap<>();
        Set<String> touched = new LinkedHashSet<>(puts.keySet());
        touched.addAll(deletes);
        // Identities the named flows hold now: freed unless a flow of this write claims them again.
        Map<String, String> heldBy = new LinkedHashMap<>();
        for (String id : touched) {
            String path = FlowDocuments.desiredPath(dpid, id).toString();
            Optional<VersionedValue> doc = read(path, consistency, revisions);
            if (doc.isPresent()) {
                try {
                    heldBy.put(FlowDocuments.identityPath(dpid, FlowDocuments.flowOf(doc.get().json())).toString(),
                            id);
                } catch (RuntimeException e) {
                    LOG.warn("switch {}: stored flow {} is unreadable ({}); overwriting it", FlowDocuments.dpid(dpid),
                            id, e.getMessage());
                }
            }
        }
        Map<String, String> claims = new LinkedHashMap<>();
        for (Map.Entry<String, Flow> e : puts.entrySet()) {
            String id = e.getKey();
            String path = FlowDocuments.identityPath(dpid, e.getValue()).toString();
            String other = claims.put(path, id);
            if (other != null) {
                throw conflict(id, other);
            }
            Optional<VersionedValue> index = read(path, consistency, revisions);
            if (index.isPresent()) {
                String owner = FlowDocuments.idOfIdentityDocument(index.get().json());
                // the owner may be giving this identity up in this very write (deleted, or moved elsewhere)
                boolean released = deletes.contains(owner) || (puts.containsKey(owner) && !path.equals(
                        FlowDocuments.identityPath(dpid, puts.get(owner)).toString()));
                if (!owner.equals(id) && !released) {
                    throw conflict(id, owner);
                }
            }
        }
        for (String path : heldBy.keySet()) {
            if (!claims.containsKey(path)) {
                read(path, consistency, revisions);
            }
        }
        revisions.forEach((path, revision) -> txn.require(Precondition.modRevision(path, revision)));
        heldBy.keySet().stream().filter(p -> !claims.containsKey(p)).forEach(txn::delete);
        deletes.stream().filter(id -> !puts.containsKey(id))
                .forEach(id -> txn.delete(FlowDocuments.desiredPath(dpid, id).toString()));
        claims.forEach((path, id) -> txn.put(path, FlowDocuments.identityDocument(id)));
        puts.forEach((id, f) -> txn.put(FlowDocuments.desiredPath(dpid, id).toString(), FlowDocuments.document(id, f)));
        return txn.build();
    }

    private Optional<VersionedValue> read(String path, ReadConsistency consistency, Map<String, Long> revisions) {
        Optional<VersionedValue> v = store.get(FlowDocuments.CONFIG_SHARD, DataPath.of(path),
                consistency);
        revisions.put(path, v.map(VersionedValue::modRevision).orElse(0L));
        return v;
    }

    private static IdentityConflict conflict(String id, String other) {
        return new IdentityConflict("flow " + id + " has the same table, priority and match as flow " + other);
    }

    /**
     * Rewrites flows stored as ovs-ofctl text (before structured documents) as structured documents and gives them
     * their identity keys, each only if unchanged since read and its identity still free. Run by a switch's master,
     * which reads all its desired flows anyway; a flow whose identity another id took meanwhile stays as it is and
     * is logged.
     *
     * @param documents the switch's text documents, as listed
     * @return how many were migrated
     */
    public int migrate(long dpid, List<VersionedValue> documents) {
        int migrated = 0;
        for (int from = 0; from < documents.size(); from += MIGRATION_BATCH) {
            Transaction.Builder txn = Transaction.builder();
            List<VersionedValue> batch = documents.subList(from, Math.min(documents.size(), from + MIGRATION_BATCH));
            int n = 0;
            for (VersionedValue v : batch) {
                String id = FlowDocuments.flowIdOf(v.path());
                Flow f;
                try {
                    f = FlowDocuments.flowOf(v.json());
                } catch (RuntimeException e) {
                    continue; // unreadable: the master skips it and says so
                }
                String index = FlowDocuments.identityPath(dpid, f).toString();
                txn.require(Precondition.modRevision(v.path(), v.modRevision())).require(Precondition.absent(index))
                        .put(index, FlowDocuments.identityDocument(id)).put(v.path(), FlowDocuments.document(id, f));
                n++;
            }
            if (n > 0 && store.commit(FlowDocuments.CONFIG_SHARD, txn.build()).succeeded()) {
                migrated += n;
            } else if (n > 0) {
                LOG.warn("switch {}: {} flows stored as ovs-ofctl text not migrated: one changed meanwhile or shares "
                        + "its identity with another flow; the next sync tries again", FlowDocuments.dpid(dpid), n);
            }
        }
        return migrated;
    }
}
