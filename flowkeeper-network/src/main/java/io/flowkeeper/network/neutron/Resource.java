package io.flowkeeper.network.neutron;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.store.CommitResult;
import io.flowkeeper.api.store.Operation;
import io.flowkeeper.api.store.Precondition;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.network.identity.Caller;
import io.flowkeeper.network.neutron.NeutronDocuments.Doc;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

/**
 * One Neutron collection: how its documents are created, updated, deleted and shown. Subclasses validate the body,
 * build the whole new state and commit it in one transaction; a failed precondition is mapped by the subclass to a
 * Neutron error or to {@link Retry} (another writer won a race the caller can retry: a fresh address, a newer
 * revision of the document).
 */
abstract class Resource {
    final NeutronApi api;
    final NeutronDocuments docs;
    final Clock clock;

    Resource(NeutronApi api) {
        this.api = api;
        this.docs = api.docs;
        this.clock = api.clock;
    }

    /** Plural name used in URLs and list bodies ({@code networks}). */
    abstract String collection();

    /** The key of a list in JSON bodies: the URL's collection with underscores ({@code security_groups}). */
    final String bodyKey() {
        return collection().replace('-', '_');
    }

    /** Singular name used in single-resource bodies ({@code network}). */
    abstract String member();

    /** The Neutron error type for an id that does not exist or is not visible ({@code NetworkNotFound}). */
    abstract String notFoundType();

    abstract Doc create(Caller caller, Body body, ReadCache cache);

    abstract Doc update(Caller caller, Doc current, Body body, ReadCache cache);

    abstract void delete(Caller caller, Doc current, ReadCache cache);

    /** The document as the API shows it (computed attributes added). */
    ObjectNode view(Caller caller, Doc doc, ReadCache cache) {
        return doc.json().deepCopy();
    }

    /**
     * Whether {@link #create}'s transaction requires, by its preconditions, that everything the create read is still
     * as read. Such a create runs on this replica's view without first catching up with the leader
     * ({@link NeutronApi#withRetries}): a stale view fails the commit and is retried like a lost race.
     */
    boolean createPinsItsReads() {
        return false;
    }

    /**
     * The documents a list with {@code query} must look at, when an index narrows them (a superset of the matches:
     * the list still applies every filter); empty for "read the whole collection".
     */
    java.util.Optional<List<Doc>> candidates(java.util.Map<String, List<String>> query) {
        return java.util.Optional.empty();
    }

    /** Runs before a list is read (the default security group is created on a project's first look). */
    void beforeList(Caller caller) {}

    boolean visible(Caller caller, ObjectNode doc) {
        return caller.owns(doc.path("project_id").asText());
    }

    /** Another writer changed what this call was based on: re-read after {@code revision} and try again. */
    static final class Retry extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final long revision;

        Retry(long revision) {
            super(null, null, false, false);
            this.revision = revision;
        }
    }

    NeutronException notFound(String id) {
        String what = member().replace('_', ' ');
        return NeutronException.notFound(notFoundType(),
                Character.toUpperCase(what.charAt(0)) + what.substring(1) + " " + Body.abbreviate(id)
                        + " could not be found.");
    }

    // ---- helpers shared by every collection ----

    String newId() {
        return UUID.randomUUID().toString();
    }

    String now() {
        return Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** The standard attributes of a new document: id, name, description, project, revision 1, timestamps. */
    ObjectNode newDoc(String id, Caller caller, Body body, boolean named) {
        ObjectNode d = NeutronDocuments.JSON.createObjectNode();
        d.put("id", id);
        if (named) {
            d.put("name", body.text("name", ""));
        }
        d.put("description", body.text("description", ""));
        String project = body.project(caller);
        d.put("project_id", project).put("tenant_id", project);
        String now = now();
        d.put("revision_number", 1).put("created_at", now).put("updated_at", now);
        d.putArray("tags");
        return d;
    }

    /** A copy of {@code current} with the revision bumped and the common updatable attributes applied. */
    ObjectNode updatedDoc(Doc current, Body body, boolean named) {
        ObjectNode d = current.json().deepCopy();
        if (named && body.has("name")) {
            d.put("name", body.text("name", ""));
        }
        if (body.has("description")) {
            d.put("description", body.text("description", ""));
        }
        d.put("revision_number", current.json().path("revision_number").asLong() + 1).put("updated_at", now());
        return d;
    }

    static void requireOwner(Caller caller, Doc current, String action) {
        if (!caller.owns(current.json().path("project_id").asText())) {
            throw NeutronException.forbidden("(rule:" + action + ") is disallowed by policy");
        }
    }

    /**
     * Applies boolean attributes of an update: {@code anyone} may be changed by the owner, {@code adminOnly} only by
     * an admin (Neutron's default policy), as rule {@code action}.
     */
    static void updateFlags(Caller caller, Doc current, Body body, ObjectNode d, String action, List<String> anyone,
                            List<String> adminOnly) {
        for (String key : anyone) {
            if (body.has(key)) {
                d.put(key, body.bool(key, true));
            }
        }
        for (String key : adminOnly) {
            if (body.has(key)) {
                boolean value = body.bool(key, false);
                if (value != current.json().path(key).asBoolean() && !caller.isAdmin()) {
                    throw NeutronException.forbidden("(rule:" + action + ":" + key + ") is disallowed by policy");
                }
                d.put(key, value);
            }
        }
    }

    /** Writes {@code updated} over {@code current} if nobody changed it since it was read, else retries. */
    Doc replace(Doc current, ObjectNode updated) {
        String path = NeutronDocuments.doc(collection(), current.id());
        long revision = commit(new Txn().require(Precondition.modRevision(path, current.modRevision()))
                .put(path, updated).build(), failed -> new Retry(0));
        return new Doc(updated, revision);
    }

    /**
     * Deletes a network or subnet unless {@code inUse} finds something on it, without racing the creates that would
     * put something on it: first a {@code deleting} marker (creates require it absent), then, with every earlier
     * commit in view, the check, then the {@code deletion} built from that view (it also removes the marker), or
     * the marker alone. The deletion may require more than the document's existence (the network's floating IPs
     * unchanged): such a precondition failing is a retry.
     */
    void deleteUnlessInUse(String id, ReadCache cache, java.util.function.Predicate<ReadCache> inUse,
                           java.util.function.Supplier<NeutronException> inUseError,
                           java.util.function.Function<ReadCache, Txn> deletion) {
        commit(new Txn().put(NeutronDocuments.deleting(id), NeutronDocuments.owner(id, member())).build(),
                failed -> new Retry(0));
        docs.barrier();
        cache.clear();
        if (inUse.test(cache)) {
            docs.commit(new Txn().delete(NeutronDocuments.deleting(id)).build());
            throw inUseError.get();
        }
        String path = NeutronDocuments.doc(collection(), id);
        commit(deletion.apply(cache).require(Precondition.exists(path)).delete(NeutronDocuments.deleting(id)).build(),
                failed -> failed.path().equals(path) ? notFound(id) : new Retry(0));
    }

    /**
     * Commits {@code txn}; on a failed precondition asks {@code onConflict} for the error to answer (or a
     * {@link Retry}). Returns the committed revision. Callers answer with the document they committed rather than
     * reading it back: this node's replica may learn of the commit only with the leader's next message.
     */
    long commit(Transaction txn, Function<Precondition, RuntimeException> onConflict) {
        CommitResult r = docs.commit(txn);
        if (!r.succeeded()) {
            RuntimeException e = onConflict.apply(r.failedPrecondition());
            if (e instanceof Retry) {
                throw new Retry(r.revision());
            }
            throw e;
        }
        return r.revision();
    }

    /** The transaction's builder plus prefix deletes, which {@link Transaction.Builder} does not offer. */
    static final class Txn {
        final List<Precondition> preconditions = new ArrayList<>();
        /** Documents are serialized at {@link #build()}, so a plan's document may still be completed after. */
        final List<java.util.function.Supplier<Operation>> operations = new ArrayList<>();

        Txn require(Precondition p) {
            preconditions.add(p);
            return this;
        }

        Txn put(String path, String json) {
            Operation op = Operation.put(path, json);
            operations.add(() -> op);
            return this;
        }

        Txn put(String path, ObjectNode json) {
            operations.add(() -> Operation.put(path, json.toString()));
            return this;
        }

        Txn delete(String path) {
            Operation op = Operation.delete(path);
            operations.add(() -> op);
            return this;
        }

        Txn deletePrefix(String path) {
            Operation op = Operation.deletePrefix(path);
            operations.add(() -> op);
            return this;
        }

        Transaction build() {
            return new Transaction(preconditions, operations.stream().map(java.util.function.Supplier::get).toList());
        }
    }

    static ArrayNode array() {
        return NeutronDocuments.JSON.createArrayNode();
    }
}
