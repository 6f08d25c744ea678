package io.flowkeeper.controller;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.flowkeeper.cluster.ClusterConfig;
import io.flowkeeper.cluster.ShardCatalog;
import io.flowkeeper.api.security.TlsFiles;
import io.flowkeeper.controller.mastership.EntityLifecycle;
import io.flowkeeper.network.NetworkSettings;
import io.flowkeeper.network.nova.NovaSettings;
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
 * api-token-files: [/etc/flowkeeper/api.token]   # files of bearer tokens accepted by the REST API, one per line
 *                                  # (blank and # lines skipped); keep them 0600. At least one token is required,
 *                                  # from these files, api-tokens, or the environment's FLOWKEEPER_TOKEN (all count)
 * api-tokens: [secret-1]           # tokens written in this file itself (then keep the file 0600)
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
 * stats-interval: 2s               # how often a switch's master polls flow and port statistics (an idle
 *                                  # switch's polls back off to 8 intervals apart; see SwitchMaster)
 * ownership-retention: 10m         # a switch gone (no owner) this long loses its ownership entity (see
 * max-switches: 10000              # EntityLifecycle); new dpids beyond this many entities are disconnected
 * peer-link-address: 10.0.0.1:6655 # the peer link port (early death detection, see LeaseKeeper); default: any
 *                                  # free port on the REST address' host; name one to open it in a firewall
 * node-token-file: /etc/flowkeeper/node.token  # token nodes use for calls forwarded to each other
 *                                  # (/v1/internal/); the same on every node, different from every API token.
 *                                  # Required with more than one peer; a single node gets a random one
 * node-token: secret-n             # the same, written in this file; it also keys the Keystone token signatures
 * identity: {admin-password-file: /etc/flowkeeper/admin.pw}   # Keystone users (see IdentityConfig)
 * network: {vxlan-vni-ranges: ["1000:1999"]}                 # segment and MAC allocation (see NetworkSettings)
 * tls:                             # one setting, TLS on every channel (off by default; docs/security.md):
 *   ca: /etc/flowkeeper/ca.pem     #   the cluster's CA: other nodes' and switches' certificates must chain to it
 *   cert: /etc/flowkeeper/n1.pem   #   this node's certificate (urn:flowkeeper:node:N1; flowkeeper certs init)
 *   key: /etc/flowkeeper/n1.key    #   its PKCS#8 key, 0600
 *                                  # REST serves HTTPS; node-to-node calls and Raft gRPC are mutual TLS between
 *                                  # node certificates; OpenFlow is TLS, switches present a certificate from the
 *                                  # CA that binds the datapath id they claim
 * nova: {url: http://nova:8774/v2.1, token-file: /etc/flowkeeper/nova.token}  # port events to Nova (NovaSettings);
 *                                  # absent: none sent
 * </pre>
 * The REST server's limits ({@code rest-idle-timeout}, {@code rest-max-connections}, ...) are {@link RestSettings}.
 * The Raft address a node binds is its own entry in {@code peers}; nothing binds any address not configured here.
 */
public record ControllerConfig(ClusterConfig cluster, String restAddress, String openflowAddress, List<String> apiTokens,
                               Duration leaseTime, Duration statsInterval, String nodeToken, RestSettings restSettings,
                               IdentityConfig identity, NetworkSettings network, TlsFiles tls,
                               EntityLifecycle lifecycle, NovaSettings nova, String peerLinkAddress) {

    public static final String DEFAULT_REST_ADDRESS = "127.0.0.1:8181";
    public static final String DEFAULT_OPENFLOW_ADDRESS = "0.0.0.0:6653";

    private static final Set<String> KEYS = union(RestSettings.KEYS, Set.of("api-token-files", "node-token-file"), Set.of("node-id", "peers", "rest-address", "openflow-address", "data-dir",
            "api-tokens", "request-timeout", "election-timeout-min", "election-timeout-max", "snapshot-threshold",
            "watch-history", "max-value-bytes", "rebalance-interval", "rebalance-settle", "shards", "lease-time",
            "stats-interval", "node-token", "identity", "network", "tls", "ownership-retention", "max-switches", "nova",
            "peer-link-address"));
    /** Not a file key: the environment's FLOWKEEPER_TOKEN, passed in by {@link ControllerMain}. */
    static final String ENV_TOKEN = "FLOWKEEPER_TOKEN";
    /**
     * A dead master's switches move ~lease-time after its death; 800 ms leaves room under the 1.5 s failover goal
     * for the new master's role request and reconcile, while renewals (every 160 ms, overlapping) tolerate commit
     * latencies of a few hundred milliseconds before a node fences itself.
     */
    public static final Duration DEFAULT_LEASE_TIME = Duration.ofMillis(800);
    public static final Duration DEFAULT_STATS_INTERVAL = Duration.ofSeconds(2);

    public ControllerConfig {
        apiTokens = List.copyOf(apiTokens);
        if (apiTokens.isEmpty() || apiTokens.stream().anyMatch(t -> t.length() < 8)) {
            throw new IllegalArgumentException("api-token-files (or api-tokens, or FLOWKEEPER_TOKEN): at least one token"
                    + " of 8 or more characters is required");
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
        // ---- secrets (issue 15, D6): the node token opens /v1/internal/, so no API token may be it ----
        if (nodeToken == null) {
            if (cluster.peers().size() > 1) {
                throw new IllegalArgumentException("node-token-file (or node-token) is required with more than one"
                        + " peer: nodes authenticate calls forwarded to each other with it; the same on every node,"
                        + " different from every API token");
            }
            nodeToken = Secrets.randomToken(); // a single node forwards nothing: nobody needs to know it
        } else if (nodeToken.length() < 8) {
            throw new IllegalArgumentException("node-token: at least 8 characters");
        } else if (apiTokens.contains(nodeToken)) {
            throw new IllegalArgumentException("node-token: must differ from every API token (an API token would"
                    + " then open the node-to-node routes /v1/internal/)");
        }
        java.util.Objects.requireNonNull(restSettings, "restSettings");
        if (tls != null) {
            tls.checkNode(cluster.nodeId()); // a bad file or another node's certificate fails start-up, named
        }
    }

    private static Set<String> union(Set<String> a, Set<String> b, Set<String> c) {
        Set<String> all = new java.util.HashSet<>(a);
        all.addAll(b);
        all.addAll(c);
        return Set.copyOf(all);
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
        List<String> tokens = new ArrayList<>(texts(v, "api-tokens"));
        for (String file : texts(v, "api-token-files")) {
            tokens.addAll(Secrets.readTokenFile("api-token-files", Path.of(file)));
        }
        String envToken = text(v, ENV_TOKEN, null);
        if (envToken != null && !envToken.isBlank() && !tokens.contains(envToken.strip())) {
            tokens.add(envToken.strip());
        }
        String nodeToken = text(v, "node-token", null);
        String nodeTokenFile = text(v, "node-token-file", null);
        if (nodeToken != null && nodeTokenFile != null) {
            throw new IllegalArgumentException("node-token and node-token-file both set: keep one");
        }
        if (nodeTokenFile != null) {
            List<String> read = Secrets.readTokenFile("node-token-file", Path.of(nodeTokenFile));
            if (read.size() != 1) {
                throw new IllegalArgumentException("node-token-file " + nodeTokenFile + ": expected one token, found "
                        + read.size());
            }
            nodeToken = read.get(0);
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
                nodeToken, RestSettings.from(v, tls(v)), IdentityConfig.fromYaml(yaml(v, "identity")),
                NetworkSettings.fromYaml(yaml(v, "network")), tls(v),
                new EntityLifecycle(duration(v, "ownership-retention", EntityLifecycle.DEFAULTS.retention()),
                        (int) number(v, "max-switches", EntityLifecycle.DEFAULTS.maxSwitches())),
                NovaSettings.fromYaml(yaml(v, "nova"), file -> Secrets.readTokenFile("nova.token-file", file).get(0)),
                peerLinkAddress(v, text(v, "rest-address", DEFAULT_REST_ADDRESS)));
    }

    /**
     * Where the peer link port listens: {@code peer-link-address} (host:port), by default any free port on the REST
     * address' host (published with the node's lease, so peers find it either way).
     */
    private static String peerLinkAddress(Map<String, Object> v, String restAddress) {
        String address = text(v, "peer-link-address", restAddress.substring(0, restAddress.lastIndexOf(':')) + ":0");
        int colon = address.lastIndexOf(':');
        try {
            int port = colon > 0 ? Integer.parseInt(address.substring(colon + 1)) : -1;
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("peer-link-address: expected HOST:PORT (port 0-65535), got '"
                    + address + "'");
        }
        return address;
    }

    /** The {@code tls:} mapping: ca, cert and key, all three. */
    private static TlsFiles tls(Map<String, Object> v) {
        JsonNode tls = yaml(v, "tls");
        if (tls == null || tls.isNull()) {
            return null;
        }
        java.util.Set<String> keys = new java.util.TreeSet<>();
        tls.fieldNames().forEachRemaining(keys::add);
        if (!tls.isObject() || !keys.equals(java.util.Set.of("ca", "cert", "key"))) {
            throw new IllegalArgumentException("tls: expected {ca: FILE, cert: FILE, key: FILE}, got " + keys);
        }
        return new TlsFiles(Path.of(tls.get("ca").asText()), Path.of(tls.get("cert").asText()),
                Path.of(tls.get("key").asText()));
    }

    private static JsonNode yaml(Map<String, Object> v, String key) {
        Object o = v.get(key);
        if (o == null || o instanceof JsonNode) {
            return (JsonNode) o;
        }
        throw new IllegalArgumentException(key + ": set it in the config file");
    }

    /** A key holding one value or a list of them. */
    private static List<String> texts(Map<String, Object> v, String key) {
        List<String> out = new ArrayList<>();
        Object t = v.get(key);
        if (t instanceof JsonNode node) {
            if (node.isArray()) {
                node.forEach(n -> out.add(n.asText()));
            } else if (!node.isNull()) {
                out.add(node.asText());
            }
        } else if (t instanceof List<?> list) {
            list.forEach(x -> out.add(x.toString()));
        } else if (t != null) {
            out.add(t.toString());
        }
        return out;
    }

    static String text(Map<String, Object> v, String key, String def) {
        Object o = v.get(key);
        if (o == null) {
            return def;
        }
        return o instanceof JsonNode n ? n.asText() : o.toString();
    }

    static long number(Map<String, Object> v, String key, long def) {
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
