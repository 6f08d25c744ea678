package io.flowkeeper.api.security;

import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Objects;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A node's TLS material, the {@code tls:} setting of its config file (and a host agent's, {@code --ca-file},
 * {@code --cert-file}, {@code --key-file}): the cluster's CA, and this node's certificate
 * chain and unencrypted PKCS#8 key, all PEM (as {@code flowkeeper certs init} writes them). One setting turns on TLS
 * for every channel of the node; each channel asks this for what it needs.
 *
 * @param ca the CA certificate(s) every peer's certificate must chain to: other nodes (Raft, forwarded calls),
 *     switches (OpenFlow)
 * @param certificate this node's certificate chain, its own first
 * @param key its private key (keep it 0600)
 */
public record TlsFiles(Path ca, Path certificate, Path key) {
    public static final String CA_KEY = "tls.ca";
    public static final String CERT_KEY = "tls.cert";
    public static final String KEY_KEY = "tls.key";

    public TlsFiles {
        Objects.requireNonNull(ca, CA_KEY);
        Objects.requireNonNull(certificate, CERT_KEY);
        Objects.requireNonNull(key, KEY_KEY);
    }

    /**
     * Loads every file, so a mistake fails start-up naming the key, and checks that the certificate is a node's
     * ({@code urn:flowkeeper:node:<nodeId>}): other nodes would refuse any other.
     */
    public void checkNode(String nodeId) {
        keyStore();
        PemFiles.trustStore(CA_KEY, ca);
        X509Certificate own = (X509Certificate) PemFiles.certificates(CERT_KEY, certificate).get(0);
        PeerIdentity id = PeerIdentity.of(own);
        if (!id.node().map(nodeId::equals).orElse(false)) {
            throw new IllegalArgumentException(CERT_KEY + ": " + certificate + " is " + id.describe() + ", not node "
                    + nodeId + "'s certificate (its subject alternative names must include "
                    + PeerIdentity.nodeUri(nodeId) + "; make one with: flowkeeper certs init DIR --nodes " + nodeId
                    + ",...)");
        }
    }

    /** This node's certificate and key as an in-memory key store. */
    public KeyStore keyStore() {
        return PemFiles.keyStore(CERT_KEY, certificate, KEY_KEY, key);
    }

    /** What presents this node's certificate, to a server or as a client. */
    public KeyManager[] keyManagers() {
        try {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keyStore(), PemFiles.IN_MEMORY_PASSWORD);
            return kmf.getKeyManagers();
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(KEY_KEY + ": " + key + ": " + e.getMessage());
        }
    }

    /**
     * Trusts a peer whose certificate chains to the CA <em>and</em> names a controller node: a host's certificate,
     * signed by the same CA, is refused. Host names are verified as usual when the TLS engine asks for it (clients
     * connecting to an address).
     */
    public X509ExtendedTrustManager nodeTrust() {
        return new NodesOnly(caTrust());
    }

    /** Trusts any certificate that chains to the CA (what a switch's certificate needs; its dpids are checked later). */
    public X509ExtendedTrustManager caTrust() {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(PemFiles.trustStore(CA_KEY, ca));
            for (TrustManager tm : tmf.getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager x) {
                    return x;
                }
            }
            throw new IllegalStateException("the JDK offers no X509ExtendedTrustManager");
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(CA_KEY + ": cannot trust " + ca + ": " + e.getMessage());
        }
    }

    /** Mutual TLS between nodes: presents this node's certificate, accepts only other nodes'. */
    public SSLContext nodeContext() {
        return context(nodeTrust());
    }

    /**
     * Presents this certificate when asked, accepts any peer certificate of the CA: a host agent calling a node's
     * API (whose token, not its certificate, is its credential there).
     */
    public SSLContext caContext() {
        return context(caTrust());
    }

    private SSLContext context(TrustManager trust) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers(), new TrustManager[] {trust}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build a TLS context: " + e.getMessage(), e);
        }
    }

    /** The PKIX check first (chain, validity, host name), then the node name. */
    private static final class NodesOnly extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager ca;

        NodesOnly(X509ExtendedTrustManager ca) {
            this.ca = ca;
        }

        private static void requireNode(X509Certificate[] chain) throws CertificateException {
            if (chain == null || chain.length == 0 || !PeerIdentity.of(chain[0]).isNode()) {
                throw new CertificateException("not a flowkeeper node certificate ("
                        + (chain == null || chain.length == 0 ? "none" : chain[0].getSubjectX500Principal() + ", "
                        + PeerIdentity.of(chain[0]).describe()) + "): only nodes may speak to nodes");
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            ca.checkClientTrusted(chain, authType, socket);
            requireNode(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            ca.checkServerTrusted(chain, authType, socket);
            requireNode(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            ca.checkClientTrusted(chain, authType, engine);
            requireNode(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            ca.checkServerTrusted(chain, authType, engine);
            requireNode(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            ca.checkClientTrusted(chain, authType);
            requireNode(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            ca.checkServerTrusted(chain, authType);
            requireNode(chain);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return ca.getAcceptedIssuers();
        }
    }
}
