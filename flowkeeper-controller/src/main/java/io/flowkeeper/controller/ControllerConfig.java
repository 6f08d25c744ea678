package io.flowkeeper.controller;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.flowkeeper.cluster.ClusterConfig;
import io.flowkeeper.cluster.ShardCatalog;
import io.flowkeeper.network.NetworkSettings;
import io.flowkeeper.network.identity.IdentityConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every setting of a controller node, read from a YAML file and overridden by flags. Keys, defaults and meaning:
 * <pre>
 * node-id: n1                      # required; this node's id, unique in the cluster
 * peers:                           # required; every member's Raft address (gRPC), this node included
 *   n1: 10.0.0.1:9870
 *   n2: 10.0.0.2:9870
 *   n3: 10.0.0.3:9870
 * rest-address: 127.0.0.1:8181     # where the REST API listens (default 127.0.0.1:8181: local only)
 * openflow-address: 0.0.0.0:6653   # where switches connect (used by the OpenFlow module)
 * data-dir: /var/lib/flowkeeper    # required; Raft logs and snapshots
 * api-tokens: [secret-1]           # required; bearer tokens accepted by the REST API (no token, no access)
 * request-timeout: 5s              # a write/linearizable read without quorum fails with 503 after this
 * election-timeout-min: 150ms      # Raft election timeout range (see ClusterConfig)
 * election-timeout-max: 300ms
 * snapshot-threshold: 4000         # log entries between state-machine snapshots
 * watch-history: 20000             # changes kept per shard for resuming watches
 * max-value-bytes: 1048576         # largest JSON document accepted (413 above)
 * rebalance-interval: 2s           # how often leaders re-balance shards (0s: never)
 * rebalance-settle: 3s             # a returning node must be caught up this long before it gets shards back
 * shards:                          # optional; default: network-config, inventory-config,
 *   - {name: network-config, kind: config, description: ...}   # inventory-operational, ownership
 * lease-time: 800ms               # a node that has not renewed its lease for this long loses its switches; it
 *                                  # stops writing to them itself after 60% of it (see Mastership)
 * stats-interval: 2s               # how often a switch's master polls flow and port statistics
 * node-token: secret-n             # token nodes use for calls forwarded to each other (default: first api-token);
 *                                  # must be the same on every node; also keys the Keystone token signatures
 * identity: {admin-password-file: /etc/flowkeeper/admin.pw}   # Keystone users (see IdentityConfig)
 * network: {vxlan-vni-ranges: ["1000:1999"]}                 # segment and MAC allocation (see NetworkSettings)
 * </pre>
 * The Raft address a node binds is its own entry in {@code peers}; nothing binds any address not configured here.
 */
public record ControllerConfig(ClusterConfig cluster, String restAddress, String openflowAddress, List<String> apiTokens,
                               Duration leaseTime, Duration statsInterval, String nodeToken, IdentityConfig identity,
                               NetworkSettings network) {

    public static final String DEFAULT_REST_ADDRESS = "127.0.0.1:8181";
    public static final String DEFAULT_OPENFLOW_ADDRESS = "0.0.0.0:6653";

    private static final Set<String> KEYS = Set.of("node-id", "peers", "rest-address", "openflow-address", "data-dir",
            "api-tokens", "request-timeout", "election-timeout-min", "election-timeout-max", "snapshot-threshold",
            "watch-history", "max-value-bytes", "rebalance-interval", "rebalance-settle", "shards", "lease-time",
            "stats-interval", "node-token", "identity", "network");
    /**
     * A dead master's switches move ~lease-time after its death; 800 ms leaves room under the 1.5 s failover goal
     * for the new master's role request and reconcile, while renewals (every 160 ms, overlapping) tolerate commit
     * latencies of a few hundred milliseconds before a node fences itself.
     */
    public static final Duration DEFAULT_LEASE_TIME = Duration.ofMillis(800);
    public static final Duration DEFAULT_STATS_INTERVAL = Duration.ofSeconds(2);

    /** A node without Keystone users and with the default network ranges. */
    public ControllerConfig(ClusterConfig cluster, String restAddress, String openflowAddress, List<String> apiTokens,
                            Duration leaseTime, Duration statsInterval, String nodeToken) {
        this(cluster, restAddress, openflowAddress, apiTokens, leaseTime, statsInterval, nodeToken,
                IdentityConfig.none(), NetworkSettings.defaults());
    }

    public ControllerConfig {
        apiTokens = List.copyOf(apiTokens);
        if (apiTokens.isEmpty() || apiTokens.stream().anyMatch(t -> t.length() < 8)) {
            throw new IllegalArgumentException("api-tokens: at least one token of 8 or more characters is required");
        }
        checkAddress("rest-address", restAddress);
        checkAddress("openflow-address", openflowAddress);
        if (leaseTime.toMillis() < 300) {
            throw new IllegalArgumentException("lease-time: at least 300ms (renewals go through Raft), got "
                    + leaseTime.toMillis() + "ms");
        }
        if (statsInterval.toMillis() < 100) {
            throw new IllegalArgumentException("stats-interval: at least 100ms");
        }
        if (nodeToken == null) {
            nodeToken = apiTokens.get(0);
        } else if (nodeToken.length() < 8) {
            throw new IllegalArgumentException("node-token: at least 8 characters");
        }
    }

    private static void checkAddress(String key, String address) {
        if (address == null || !address.matches("[^:\\s]+:\\d{1,5}")) {
            throw new IllegalArgumentException(key + ": expected host:port, got '" + address + "'");
        }
    }

    /** Reads the YAML file (if any) and applies flag overrides (same keys, already parsed). */
    public static ControllerConfig load(Path file, Map<String, Object> overrides) throws IOException {
        Map<String, Object> values = new LinkedHashMap<>();
        if (file != null) {
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("config file not found: " + file);
            }
            JsonNode root;
            try {
                root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
            } catch (IOException e) {
                throw new IllegalArgumentException("config file " + file + " is not valid YAML: "
                        + e.getMessage().lines().findFirst().orElse(""));
            }
            if (root != null && !root.isNull()) {
                if (!root.isObject()) {
                    throw new IllegalArgumentException("config file " + file + " must be a YAML mapping");
                }
                for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
                    String key = it.next();
                    if (!KEYS.contains(key)) {
                        throw new IllegalArgumentException("config file " + file + ": unknown key '" + key + "'");
                    }
                    values.put(key, root.get(key));
                }
            }
        }
        values.putAll(overrides);
        return fromValues(values);
    }

    @SuppressWarnings("unchecked")
    private static ControllerConfig fromValues(Map<String, Object> v) {
        String nodeId = text(v, "node-id", null);
        if (nodeId == null) {
            throw new IllegalArgumentException("node-id is required");
        }
        Map<String, String> peers = new LinkedHashMap<>();
        Object p = v.get("peers");
        if (p instanceof JsonNode node) {
            node.fields().forEachRemaining(e -> peers.put(e.getKey(), e.getValue().asText()));
        } else if (p instanceof Map<?, ?> map) {
            ((Map<String, String>) map).forEach(peers::put);
        }
        if (peers.isEmpty()) {
            throw new IllegalArgumentException("peers is required (id: host:port for every member)");
        }
        String dataDir = text(v, "data-dir", null);
        if (dataDir == null) {
            throw new IllegalArgumentException("data-dir is required");
        }
        List<String> tokens = new ArrayList<>();
        Object t = v.get("api-tokens");
        if (t instanceof JsonNode node) {
            if (node.isArray()) {
                node.forEach(n -> tokens.add(n.asText()));
            } else {
                tokens.add(node.asText());
            }
        } else if (t instanceof List<?> list) {
            list.forEach(x -> tokens.add(x.toString()));
        }
        List<ShardCatalog.Shard> shards = new ArrayList<>();
        if (v.get("shards") instanceof JsonNode node && node.isArray()) {
            for (JsonNode s : node) {
                shards.add(new ShardCatalog.Shard(s.path("name").asText(),
                        ShardCatalog.Kind.valueOf(s.path("kind").asText("config").toUpperCase()),
                        s.path("description").asText("")));
            }
        }
        ClusterConfig cluster = new ClusterConfig(nodeId, peers, Path.of(dataDir), shards,
                duration(v, "election-timeout-min", ClusterConfig.DEFAULT_ELECTION_TIMEOUT_MIN),
                duration(v, "election-timeout-max", ClusterConfig.DEFAULT_ELECTION_TIMEOUT_MAX),
                duration(v, "request-timeout", ClusterConfig.DEFAULT_REQUEST_TIMEOUT),
                number(v, "snapshot-threshold", ClusterConfig.DEFAULT_SNAPSHOT_THRESHOLD),
                (int) number(v, "watch-history", ClusterConfig.DEFAULT_WATCH_HISTORY),
                (int) number(v, "max-value-bytes", ClusterConfig.DEFAULT_MAX_VALUE_BYTES),
                duration(v, "rebalance-interval", ClusterConfig.DEFAULT_REBALANCE_INTERVAL),
                duration(v, "rebalance-settle", ClusterConfig.DEFAULT_REBALANCE_SETTLE));
        return new ControllerConfig(cluster, text(v, "rest-address", DEFAULT_REST_ADDRESS),
                text(v, "openflow-address", DEFAULT_OPENFLOW_ADDRESS), tokens,
                duration(v, "lease-time", DEFAULT_LEASE_TIME), duration(v, "stats-interval", DEFAULT_STATS_INTERVAL),
                text(v, "node-token", null), IdentityConfig.fromYaml(yaml(v, "identity")),
                NetworkSettings.fromYaml(yaml(v, "network")));
    }

    private static JsonNode yaml(Map<String, Object> v, String key) {
        Object o = v.get(key);
        if (o == null || o instanceof JsonNode) {
            return (JsonNode) o;
        }
        throw new IllegalArgumentException(key + ": set it in the config file");
    }

    private static String text(Map<String, Object> v, String key, String def) {
        Object o = v.get(key);
        if (o == null) {
            return def;
        }
        return o instanceof JsonNode n ? n.asText() : o.toString();
    }

    private static long number(Map<String, Object> v, String key, long def) {
        String s = text(v, key, null);
        if (s == null) {
            return def;
        }
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": expected a number, got '" + s + "'");
        }
    }

    /** Parses {@code 150ms}, {@code 5s}, {@code 2m}. */
    static Duration duration(Map<String, Object> v, String key, Duration def) {
        String s = text(v, key, null);
        if (s == null) {
            return def;
        }
        var m = java.util.regex.Pattern.compile("(\\d+)\\s*(ms|s|m)").matcher(s.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(key + ": expected a duration like 150ms, 5s or 2m, got '" + s + "'");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            default -> Duration.ofMinutes(n);
        };
    }
}
