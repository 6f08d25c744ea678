package io.flowkeeper.api.security;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Who a certificate's holder is, read from its subject alternative names (URIs), as {@code flowkeeper certs init}
 * writes them:
 * <ul>
 *   <li>{@code urn:flowkeeper:node:<id>}: a controller node. Only these may speak Raft to a node, call another
 *       node's {@code /v1/internal/} routes, or be trusted as the server when a node forwards a call;</li>
 *   <li>{@code urn:flowkeeper:host:<name>}: a host (its Open vSwitch), with one
 *       {@code urn:flowkeeper:dpid:<16 hex digits>} per datapath id its switches may claim. The OpenFlow server
 *       closes a switch whose FEATURES_REPLY names a datapath id its certificate does not list: the binding of a
 *       dpid to a switch is the CA's signature, not the switch's word.</li>
 * </ul>
 * The CA vouches for the names; a certificate from another CA never gets this far (the TLS handshake fails first).
 *
 * @param node the node id, if the certificate names one
 * @param host the host name, if the certificate names one
 * @param datapathIds the datapath ids the holder may claim (empty for a node)
 */
public record PeerIdentity(Optional<String> node, Optional<String> host, Set<Long> datapathIds) {
    public static final String NODE_PREFIX = "urn:flowkeeper:node:";
    public static final String HOST_PREFIX = "urn:flowkeeper:host:";
    public static final String DPID_PREFIX = "urn:flowkeeper:dpid:";
    /** The GeneralName type of a URI in {@link X509Certificate#getSubjectAlternativeNames()}. */
    private static final int URI_NAME = 6;

    public PeerIdentity {
        datapathIds = Set.copyOf(datapathIds);
    }

    public static String nodeUri(String nodeId) {
        return NODE_PREFIX + nodeId;
    }

    public static String hostUri(String hostName) {
        return HOST_PREFIX + hostName;
    }

    public static String dpidUri(long dpid) {
        return DPID_PREFIX + String.format("%016x", dpid);
    }

    /** The identity a certificate states; URIs of other schemes, and malformed datapath ids, are ignored. */
    public static PeerIdentity of(X509Certificate certificate) {
        String node = null;
        String host = null;
        Set<Long> dpids = new TreeSet<>();
        for (String uri : uris(certificate)) {
            if (uri.startsWith(NODE_PREFIX) && uri.length() > NODE_PREFIX.length()) {
                node = uri.substring(NODE_PREFIX.length());
            } else if (uri.startsWith(HOST_PREFIX) && uri.length() > HOST_PREFIX.length()) {
                host = uri.substring(HOST_PREFIX.length());
            } else if (uri.startsWith(DPID_PREFIX)) {
                String hex = uri.substring(DPID_PREFIX.length()).toLowerCase(Locale.ROOT);
                if (hex.matches("[0-9a-f]{16}")) {
                    dpids.add(Long.parseUnsignedLong(hex, 16));
                }
            }
        }
        return new PeerIdentity(Optional.ofNullable(node), Optional.ofNullable(host), dpids);
    }

    private static List<String> uris(X509Certificate certificate) {
        Collection<List<?>> names;
        try {
            names = certificate.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            return List.of();
        }
        if (names == null) {
            return List.of();
        }
        return names.stream().filter(n -> n.size() == 2 && Integer.valueOf(URI_NAME).equals(n.get(0)))
                .map(n -> String.valueOf(n.get(1))).toList();
    }

    public boolean isNode() {
        return node.isPresent();
    }

    /** True when the certificate lists {@code dpid} among the datapath ids its holder may claim. */
    public boolean mayClaim(long dpid) {
        return datapathIds.contains(dpid);
    }

    /** For log lines: what the certificate says, e.g. {@code host h1 (dpids 00000000000000a1)}. */
    public String describe() {
        if (node.isPresent()) {
            return "node " + node.get();
        }
        StringBuilder s = new StringBuilder(host.map(h -> "host " + h).orElse("a certificate without a flowkeeper"
                + " name"));
        if (!datapathIds.isEmpty()) {
            s.append(" (dpids ").append(String.join(",", datapathIds.stream().map(d -> String.format("%016x", d))
                    .toList())).append(')');
        }
        return s.toString();
    }
}
