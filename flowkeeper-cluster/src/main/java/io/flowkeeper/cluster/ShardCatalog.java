package io.flowkeeper.cluster;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The shard list, like OpenDaylight's {@code module-shards.conf}: each shard is one Raft group with its own leader.
 * Config shards hold desired state, operational shards observed state; the ownership shard holds entity ownership
 * and liveness. The list must be the same on every node (it names the Raft groups).
 */
public final class ShardCatalog {
    /** What a shard holds, as in OpenDaylight's config vs operational datastores. */
    public enum Kind { CONFIG, OPERATIONAL, OWNERSHIP }

    /** One shard: its name (used in URLs and group ids), kind and a line for operators. */
    public record Shard(String name, Kind kind, String description) {}

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");

    /** The default shards. */
    public static final List<Shard> DEFAULTS = List.of(
            new Shard("network-config", Kind.CONFIG, "the virtual network model (networks, subnets, ports, routers)"),
            new Shard("inventory-config", Kind.CONFIG, "raw flows pushed through the API, per switch"),
            new Shard("inventory-operational", Kind.OPERATIONAL, "switches, ports and statistics as observed"),
            new Shard("ownership", Kind.OWNERSHIP, "entity ownership (switch mastership) and node liveness"));

    private final List<Shard> shards;

    public ShardCatalog(List<Shard> shards) {
        if (shards.isEmpty()) {
            throw new IllegalArgumentException("the shard list is empty");
        }
        List<String> seen = new ArrayList<>();
        for (Shard s : shards) {
            if (!NAME.matcher(s.name()).matches()) {
                throw new IllegalArgumentException("invalid shard name '" + s.name() + "' (lower case, digits, '-')");
            }
            if (seen.contains(s.name())) {
                throw new IllegalArgumentException("shard '" + s.name() + "' listed twice");
            }
            seen.add(s.name());
        }
        this.shards = List.copyOf(shards);
    }

    public static ShardCatalog defaults() {
        return new ShardCatalog(DEFAULTS);
    }

    public List<Shard> shards() {
        return shards;
    }

    public Optional<Shard> find(String name) {
        return shards.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    public int indexOf(String name) {
        for (int i = 0; i < shards.size(); i++) {
            if (shards.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /** The Raft group id of a shard: derived from its name, so every node computes the same id with no exchange. */
    public static UUID groupUuid(String shardName) {
        return UUID.nameUUIDFromBytes(("flowkeeper-shard:" + shardName).getBytes(StandardCharsets.UTF_8));
    }
}
