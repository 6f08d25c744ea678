package io.flowkeeper.network.identity;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.store.CommitResult;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.store.Precondition;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.api.store.VersionedValue;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

/**
 * Projects an admin created through Keystone's API ({@code POST /identity/v3/projects}), replicated in the
 * {@code network-config} shard so every node's Keystone lists the same ones. The projects of the node config's users
 * are not here: they are fixed by the config. A name is unique (case-insensitively, as Keystone compares them in a
 * domain) through an index key claimed in the create's own transaction, so two admins racing for one name on two
 * nodes get one project and one conflict.
 *
 * <p>A project made here owns resources like any other ({@code project_id} on a network or router); no user is a
 * member of it (users and their role assignments come from the config), so only an admin acts in it.
 */
public final class ProjectRegistry {
    /** The shard of the network model: the projects' resources live there too. */
    public static final String SHARD = "network-config";
    /** Where the projects are; internal data, read-only through the datastore API. */
    public static final String PREFIX = "/identity";
    private static final String PROJECTS = PREFIX + "/projects/";
    private static final String NAMES = PREFIX + "/project-names/";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DatastoreService store;
    private final Clock clock;

    public ProjectRegistry(DatastoreService store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** A project's name is taken (in the one domain). */
    public static final class NameTaken extends Exception {
        NameTaken(String name) {
            super(name);
        }
    }

    /** Every created project, as stored (id, name, description, enabled, created_millis). */
    public List<ObjectNode> list() {
        List<ObjectNode> out = new ArrayList<>();
        for (VersionedValue v : store.list(SHARD, DataPath.of(PROJECTS.substring(0, PROJECTS.length() - 1)),
                ReadConsistency.LINEARIZABLE).values()) {
            out.add(parse(v));
        }
        return out;
    }

    public Optional<ObjectNode> get(String id) {
        if (!id.matches("[0-9a-f]{32}")) {
            return Optional.empty();
        }
        return store.get(SHARD, DataPath.of(PROJECTS + id), ReadConsistency.LINEARIZABLE).map(ProjectRegistry::parse);
    }

    /** Creates a project; its new id is in the answer. */
    public ObjectNode create(String name, String description, boolean enabled) throws NameTaken {
        String id = UUID.randomUUID().toString().replace("-", "");
        ObjectNode p = JSON.createObjectNode().put("id", id).put("name", name).put("description", description)
                .put("enabled", enabled).put("created_millis", clock.millis());
        String nameKey = NAMES + key(name);
        CommitResult r = store.commit(SHARD, Transaction.builder().require(Precondition.absent(nameKey))
                .put(PROJECTS + id, p.toString()).put(nameKey, JSON.createObjectNode().put("id", id).toString())
                .build());
        if (!r.succeeded()) {
            throw new NameTaken(name);
        }
        return p;
    }

    /** Changes a project's description and enabled flag (and its name, if free); empty if there is no such project. */
    public Optional<ObjectNode> update(String id, String name, String description, Boolean enabled) throws NameTaken {
        Optional<VersionedValue> current = get(id).isPresent()
                ? store.get(SHARD, DataPath.of(PROJECTS + id), ReadConsistency.LINEARIZABLE) : Optional.empty();
        if (current.isEmpty()) {
            return Optional.empty();
        }
        ObjectNode p = parse(current.get());
        String oldName = p.path("name").asText();
        Transaction.Builder tx = Transaction.builder()
                .require(Precondition.modRevision(PROJECTS + id, current.get().modRevision()));
        if (name != null && !key(name).equals(key(oldName))) {
            tx.require(Precondition.absent(NAMES + key(name))).delete(NAMES + key(oldName))
                    .put(NAMES + key(name), JSON.createObjectNode().put("id", id).toString());
        }
        if (name != null) {
            p.put("name", name);
        }
        if (description != null) {
            p.put("description", description);
        }
        if (enabled != null) {
            p.put("enabled", enabled);
        }
        if (!store.commit(SHARD, tx.put(PROJECTS + id, p.toString()).build()).succeeded()) {
            throw new NameTaken(name != null ? name : oldName);
        }
        return Optional.of(p);
    }

    /** Deletes a project (not its resources: Keystone does not either); false if there was none. */
    public boolean delete(String id) {
        Optional<ObjectNode> p = get(id);
        if (p.isEmpty()) {
            return false;
        }
        return store.commit(SHARD, Transaction.builder().require(Precondition.exists(PROJECTS + id))
                .delete(PROJECTS + id).delete(NAMES + key(p.get().path("name").asText())).build()).succeeded();
    }

    private static String key(String name) {
        return java.net.URLEncoder.encode(name.toLowerCase(Locale.ROOT), java.nio.charset.StandardCharsets.UTF_8);
    }

    private static ObjectNode parse(VersionedValue v) {
        try {
            return (ObjectNode) JSON.readTree(v.json());
        } catch (JsonProcessingException | ClassCastException e) {
            throw new IllegalStateException("unreadable project document " + v.path(), e);
        }
    }
}
