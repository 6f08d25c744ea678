package io.flowkeeper.agent.cluster;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The agent's cluster settings.
 *
 * @param controllers the cluster's OpenFlow addresses ({@code host:port}), set as the bridges' controller targets
 *     when the agent creates them
 * @param apiUrls REST base URLs of any nodes; the agent moves to the next one when a node does not answer
 * @param token the API token (read from a file or the environment, never given on the command line)
 * @param host this host's name, as ports' {@code binding:host_id} will name it
 * @param tunnelIp the underlay address VXLAN tunnels start from here and end at on the peers
 * @param bridgeMappings physical network → provider bridge ({@code --bridge-mapping physnet1:br-vlan})
 * @param integrationBridge the bridge VM interfaces plug into
 * @param heartbeat how often the host's registration is renewed (the cluster shows it dead after 30 s)
 * @param peerPoll how often the agent asks which hosts it needs tunnels to (a report asks at once)
 * @param tls this host's certificate, key and the cluster's CA, or null for a cluster without TLS: with it every
 *     {@code --api} URL is https, and the bridges' controller targets are {@code ssl:}
 */
public record ClusterSettings(List<String> controllers, List<String> apiUrls, String token, String host,
                              String tunnelIp, Map<String, String> bridgeMappings, String integrationBridge,
                              Duration heartbeat, Duration peerPoll, HostTls tls) {
    /** A third of the cluster's 30 s agent-down time: two lost heartbeats in a row do not make the host dead. */
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(10);
    /** Bounds how late a tunnel to a host that just plugged its first port of a shared network appears. */
    public static final Duration DEFAULT_PEER_POLL = Duration.ofSeconds(1);

    private static final String OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
    private static final String IPV4 = OCTET + "(\\." + OCTET + "){3}";

    public ClusterSettings {
        controllers = List.copyOf(controllers);
        apiUrls = List.copyOf(apiUrls);
        bridgeMappings = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(bridgeMappings));
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(heartbeat, "heartbeat");
        Objects.requireNonNull(peerPoll, "peerPoll");
        if (apiUrls.isEmpty()) {
            throw new IllegalArgumentException("at least one --api URL is needed");
        }
        for (String u : apiUrls) {
            URI uri = URI.create(u);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw new IllegalArgumentException("--api must be an http(s)://host:port URL: " + u);
            }
            // All or nothing: a node with tls: serves HTTPS only and takes only TLS switches, and a token sent over
            // plain HTTP to a TLS cluster has crossed the network in clear before the node can refuse it.
            if ("https".equals(uri.getScheme()) && tls == null) {
                throw new IllegalArgumentException("--api " + u + " is HTTPS: give " + HostTls.CA_OPTION + " (the"
                        + " cluster's ca.pem), " + HostTls.CERT_OPTION + " and " + HostTls.KEY_OPTION + " (this host's"
                        + " certificate and key from flowkeeper certs init)");
            }
            if ("http".equals(uri.getScheme()) && tls != null) {
                throw new IllegalArgumentException("--api " + u + " is plain HTTP but TLS files were given: use"
                        + " https://");
            }
        }
        for (String c : controllers) {
            int colon = c.lastIndexOf(':');
            if (colon <= 0 || !c.substring(colon + 1).matches("\\d{1,5}")) {
                throw new IllegalArgumentException("--controller must be HOST:PORT: " + c);
            }
        }
        if (token.isBlank()) {
            throw new IllegalArgumentException("no API token");
        }
        if (host == null || !host.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
            throw new IllegalArgumentException("not a host name: " + host);
        }
        if (tunnelIp != null && !tunnelIp.isEmpty() && !tunnelIp.matches(IPV4)) {
            throw new IllegalArgumentException("--tunnel-ip must be an IPv4 address: " + tunnelIp);
        }
        bridgeMappings.forEach((physnet, bridge) -> {
            if (!bridge.matches("[A-Za-z0-9_.-]{1,11}") || bridge.equals(integrationBridge)) {
                // 11: the patch ports are named int-<bridge> and phy-<bridge>, and OVS names have 15 characters.
                throw new IllegalArgumentException("--bridge-mapping " + physnet + ":" + bridge
                        + ": the bridge needs a name of at most 11 characters, other than the integration bridge");
            }
        });
    }

    /** Without TLS. */
    public ClusterSettings(List<String> controllers, List<String> apiUrls, String token, String host, String tunnelIp,
                           Map<String, String> bridgeMappings, String integrationBridge, Duration heartbeat,
                           Duration peerPoll) {
        this(controllers, apiUrls, token, host, tunnelIp, bridgeMappings, integrationBridge, heartbeat, peerPoll, null);
    }

    /** OVS controller targets for {@link #controllers}: {@code ssl:} with TLS, else {@code tcp:}. */
    public List<String> controllerTargets() {
        String scheme = tls == null ? "tcp:" : "ssl:";
        return controllers.stream().map(c -> scheme + c).toList();
    }
}
