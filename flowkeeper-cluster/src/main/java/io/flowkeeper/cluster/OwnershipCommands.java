package io.flowkeeper.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.ownership.EntityOwnership;
import io.flowkeeper.api.ownership.NodeLease;
import io.flowkeeper.api.ownership.OwnershipService;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.api.store.VersionedValue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ownership shard's rules, applied identically on every replica:
 * <ul>
 *   <li>an entity keeps its owner while the owner is a live candidate (no flapping);</li>
 *   <li>otherwise the live candidate owning the fewest entities gets it, ties broken by a hash of entity and node
 *       so switches spread over nodes;</li>
 *   <li>a newly registered candidate takes the entity over when the owner has two or more entities more than it,
 *       which balances switches that connected to one node first;</li>
 *   <li>every owner change bumps the entity's generation, which only grows: an entity without an owner may be
 *       removed (its switch is gone), and the shard then remembers the highest generation removed
 *       ({@code /generation-floor}); a new entity starts there, so a switch that returns sees a higher one;</li>
 *   <li>a lease renewal with a new incarnation drops the node's old candidacies; an expiry applies only if no
 *       renewal committed since the leader judged it.</li>
 * </ul>
 */
final class OwnershipCommands implements ShardCommands {
    private static final Logger LOG = LoggerFactory.getLogger(OwnershipCommands.class);
    /** Documents already reported as unreadable (path and revision), so each is logged once, not per read. */
    private static final Set<String> REPORTED = ConcurrentHashMap.newKeySet();
    static final String RENEW = "renew";
    static final String EXPIRE = "expire";
    static final String REGISTER = "register";
    static final String UNREGISTER = "unregister";
    static final String REMOVE = "remove";
    /** The highest generation of any removed entity: new entities start there (see {@link Plan#remove}). */
    static final String FLOOR_PATH = "/generation-floor";

    @Override
    public Transaction plan(String command, JsonNode args, State state) {
        Plan plan = new Plan(state);
        switch (command) {
            case RENEW -> plan.renew(text(args, "node"), text(args, "incarnation"), args.path("rpc").asText(""),
                    args.path("link").asText(""));
            case EXPIRE -> plan.expire(text(args, "node"), args.path("renewals").asLong());
            case REGISTER -> {
                String node = text(args, "node");
                entities(args).forEach(entity -> plan.register(entity, node));
            }
            case UNREGISTER -> {
                String node = text(args, "node");
                entities(args).forEach(entity -> plan.unregister(entity, node));
            }
            case REMOVE -> plan.remove(text(args, "entity"), args.path("generation").asLong(-1));
            default -> throw new IllegalArgumentException("unknown ownership command '" + command + "'");
        }
        return plan.transaction();
    }

    /**
     * The entities a candidacy command names: {@code entities} (one command for every switch a node connected to
     * at once), or the single {@code entity} of commands logged before candidacies were batched.
     */
    private static List<String> entities(JsonNode args) {
        if (!args.has("entities")) {
            return List.of(text(args, "entity"));
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : args.path("entities")) {
            out.add(segment(e.asText(""), "entities"));
        }
        return out;
    }

    private static String text(JsonNode args, String field) {
        return segment(args.path(field).asText(""), field);
    }

    private static String segment(String value, String field) {
        if (value.isEmpty()) {
            throw new IllegalArgumentException("ownership command without " + field);
        }
        if (DataPath.of("/" + value).segments().size() != 1) {
            throw new IllegalArgumentException("invalid path segment '" + value + "' for " + field);
        }
        return value;
    }

    static String entityPath(String entity) {
        return OwnershipService.ENTITIES + "/" + entity;
    }

    static String nodePath(String node) {
        return OwnershipService.NODES + "/" + node;
    }

    /**
     * The documents that parse. One that does not (written around the REST API, which refuses writes to this
     * shard) is skipped with one log line: a bad document must never stop renewals, elections or a node's start.
     */
    static <T> List<T> readable(java.util.Collection<VersionedValue> values, Function<VersionedValue, T> parse) {
        List<T> out = new ArrayList<>(values.size());
        for (VersionedValue v : values) {
            tryParse(v, parse).ifPresent(out::add);
        }
        return out;
    }

    static <T> Optional<T> tryParse(VersionedValue v, Function<VersionedValue, T> parse) {
        try {
            return Optional.of(parse.apply(v));
        } catch (RuntimeException e) {
            if (REPORTED.size() > 10_000) {
                REPORTED.clear();
            }
            if (REPORTED.add(v.path() + "@" + v.modRevision())) {
                LOG.error("ownership document {} (revision {}) is unreadable and ignored: {}", v.path(),
                        v.modRevision(), e.getMessage());
            }
            return Optional.empty();
        }
    }

    static EntityOwnership entity(VersionedValue v) {
        return entity(v.json());
    }

    static EntityOwnership entity(String json) {
        JsonNode n = Codec.parse(json);
        List<String> candidates = new ArrayList<>();
        n.path("candidates").forEach(c -> candidates.add(c.asText()));
        return new EntityOwnership(n.path("entity").asText(), n.path("owner").isTextual() ? n.get("owner").asText() : null,
                n.path("generation").asLong(), candidates);
    }

    static NodeLease lease(VersionedValue v) {
        JsonNode n = Codec.parse(v.json());
        return new NodeLease(n.path("node").asText(), n.path("incarnation").asText(), n.path("alive").asBoolean(),
                n.path("renewals").asLong(), n.path("rpc").asText(""), n.path("link").asText(""));
    }

    static String json(EntityOwnership e) {
        ObjectNode o = Codec.JSON.createObjectNode().put("entity", e.entity());
        if (e.owner() == null) {
            o.putNull("owner");
        } else {
            o.put("owner", e.owner());
        }
        o.put("generation", e.generation());
        e.candidates().forEach(o.putArray("candidates")::add);
        return write(o);
    }

    static String json(NodeLease l) {
        return write(Codec.JSON.createObjectNode().put("node", l.node()).put("incarnation", l.incarnation())
                .put("alive", l.alive()).put("renewals", l.renewals()).put("rpc", l.rpcAddress())
                .put("link", l.peerLink()));
    }

    private static String write(ObjectNode o) {
        try {
            return Codec.JSON.writeValueAsString(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * One command's changes, computed against the state plus the changes planned so far. The entities (one
     * document per switch) are parsed only by commands that need them: a renewal, the most frequent command (every
     * node, several times a second), reads only the node documents, so its cost does not grow with the switches.
     */
    private static final class Plan {
        private final State state;
        private Map<String, EntityOwnership> entities;
        /** Entities owned, by node: kept with {@link #entities} so a choice among candidates is not a scan. */
        private final Map<String, Integer> loads = new java.util.HashMap<>();
        private final Map<String, NodeLease> leases = new LinkedHashMap<>();
        private final Map<String, EntityOwnership> changedEntities = new LinkedHashMap<>();
        private final Map<String, NodeLease> changedLeases = new LinkedHashMap<>();
        private final Set<String> removedEntities = new TreeSet<>();
        private long floor;
        private boolean floorChanged;

        Plan(State state) {
            this.state = state;
            VersionedValue f = state.get(FLOOR_PATH);
            floor = f == null ? 0 : tryParse(f, v -> Codec.parse(v.json()).path("floor").asLong()).orElse(0L);
            for (NodeLease l : readable(state.list(DataPath.of(OwnershipService.NODES)), OwnershipCommands::lease)) {
                leases.put(l.node(), l);
            }
        }

        /** Every entity, loaded whole on first use so load counts are exact. */
        private Map<String, EntityOwnership> entities() {
            if (entities == null) {
                entities = new LinkedHashMap<>();
                for (EntityOwnership e : readable(state.list(DataPath.of(OwnershipService.ENTITIES)),
                        OwnershipCommands::entity)) {
                    entities.put(e.entity(), e);
                    if (e.owner() != null) {
                        loads.merge(e.owner(), 1, Integer::sum);
                    }
                }
            }
            return entities;
        }

        void renew(String node, String incarnation, String rpc, String link) {
            NodeLease old = leases.get(node);
            boolean restarted = old != null && !old.incarnation().equals(incarnation);
            long renewals = old == null || restarted ? 1 : old.renewals() + 1;
            boolean wasAlive = old != null && old.alive() && !restarted;
            setLease(new NodeLease(node, incarnation, true, renewals, rpc, link));
            if (restarted) {
                // The old process' sessions are gone: so are its candidacies. It registers again as it reconnects.
                for (EntityOwnership e : List.copyOf(entities().values())) {
                    if (e.candidates().contains(node)) {
                        TreeSet<String> c = new TreeSet<>(e.candidates());
                        c.remove(node);
                        settle(new EntityOwnership(e.entity(), e.owner(), e.generation(), List.copyOf(c)));
                    }
                }
            } else if (!wasAlive) {
                // Back from an expiry: entities left without an owner may have it now.
                for (EntityOwnership e : List.copyOf(entities().values())) {
                    if (e.owner() == null && e.candidates().contains(node)) {
                        settle(e);
                    }
                }
            }
        }

        void expire(String node, long renewals) {
            NodeLease old = leases.get(node);
            if (old == null || !old.alive() || old.renewals() != renewals) {
                return; // renewed since the leader judged it, or already dead
            }
            setLease(new NodeLease(node, old.incarnation(), false, old.renewals(), old.rpcAddress(), old.peerLink()));
            for (EntityOwnership e : List.copyOf(entities().values())) {
                if (node.equals(e.owner())) {
                    settle(e);
                }
            }
        }

        void register(String entity, String node) {
            EntityOwnership e = entities().get(entity);
            TreeSet<String> c = new TreeSet<>(e == null ? List.of() : e.candidates());
            if (!c.add(node) && e.owner() != null) {
                return; // already a candidate, and the entity has an owner: nothing to do
            }
            EntityOwnership next = e == null
                    ? new EntityOwnership(entity, null, floor, List.copyOf(c))
                    : new EntityOwnership(entity, e.owner(), e.generation(), List.copyOf(c));
            if (next.owner() != null && alive(next.owner()) && alive(node)
                    && load(next.owner()) >= load(node) + 2) {
                next = withOwner(next, node);
            }
            settle(next);
        }

        void unregister(String entity, String node) {
            EntityOwnership e = entities().get(entity);
            if (e == null || !e.candidates().contains(node)) {
                return;
            }
            TreeSet<String> c = new TreeSet<>(e.candidates());
            c.remove(node);
            settle(new EntityOwnership(entity, e.owner(), e.generation(), List.copyOf(c)));
        }

        /** Removes an entity still without an owner at {@code generation}; raises the floor to its generation. */
        void remove(String entity, long generation) {
            EntityOwnership e = entities().get(entity);
            if (e == null || e.owner() != null || e.generation() != generation) {
                return; // gone already, owned again, or changed since the caller judged it
            }
            entities.remove(entity);
            changedEntities.remove(entity);
            removedEntities.add(entity);
            if (e.generation() > floor) {
                floor = e.generation();
                floorChanged = true;
            }
        }

        /** Keeps a live candidate owner; otherwise picks one (or none). Records the entity if it changed. */
        private void settle(EntityOwnership e) {
            EntityOwnership next = e;
            boolean ownerOk = e.owner() != null && e.candidates().contains(e.owner()) && alive(e.owner());
            if (!ownerOk) {
                String pick = e.candidates().stream().filter(this::alive)
                        .min(Comparator.<String>comparingInt(this::load)
                                .thenComparingInt(n -> spread(e.entity(), n))
                                .thenComparing(Comparator.naturalOrder()))
                        .orElse(null);
                next = withOwner(e, pick);
            }
            EntityOwnership old = entities().get(e.entity());
            if (!next.equals(old)) {
                if (old != null && old.owner() != null) {
                    loads.merge(old.owner(), -1, Integer::sum);
                }
                if (next.owner() != null) {
                    loads.merge(next.owner(), 1, Integer::sum);
                }
                entities.put(next.entity(), next);
                changedEntities.put(next.entity(), next);
            }
        }

        private static EntityOwnership withOwner(EntityOwnership e, String owner) {
            if (java.util.Objects.equals(e.owner(), owner)) {
                return e;
            }
            return new EntityOwnership(e.entity(), owner, e.generation() + 1, e.candidates());
        }

        private static int spread(String entity, String node) {
            return Integer.rotateLeft((entity + "/" + node).hashCode() * 0x9E3779B9, 7);
        }

        private boolean alive(String node) {
            NodeLease l = leases.get(node);
            return l != null && l.alive();
        }

        private int load(String node) {
            entities();
            return loads.getOrDefault(node, 0);
        }

        private void setLease(NodeLease l) {
            leases.put(l.node(), l);
            changedLeases.put(l.node(), l);
        }

        Transaction transaction() {
            Transaction.Builder b = Transaction.builder();
            changedLeases.values().forEach(l -> b.put(nodePath(l.node()), json(l)));
            changedEntities.values().forEach(e -> b.put(entityPath(e.entity()), json(e)));
            removedEntities.forEach(e -> b.delete(entityPath(e)));
            if (floorChanged) {
                b.put(FLOOR_PATH, write(Codec.JSON.createObjectNode().put("floor", floor)));
            }
            return b.build();
        }
    }
}
