package io.flowkeeper.api.security;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * PEM files (what openssl, OVS and {@code flowkeeper certs init} write) as the JDK's key stores: a server's or
 * client's certificate chain and key, and the certificates it trusts. Key stores live in memory only; nothing is
 * written to disk. Every error names the config key and the file, never the key material.
 */
public final class PemFiles {
    /** Protects the in-memory key store only (the JDK requires one); the key file itself is what must be private. */
    public static final char[] IN_MEMORY_PASSWORD = "in-memory".toCharArray();
    private static final List<String> KEY_ALGORITHMS = List.of("RSA", "EC", "Ed25519", "Ed448");

    private PemFiles() {}

    /** Every certificate in a PEM file, in order (a chain: the node's own first). */
    public static List<Certificate> certificates(String key, Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            List<Certificate> certs = List.copyOf(CertificateFactory.getInstance("X.509").generateCertificates(in));
            if (certs.isEmpty()) {
                throw new IllegalArgumentException(key + ": " + file + " holds no PEM certificate");
            }
            return certs;
        } catch (IOException e) {
            throw new IllegalArgumentException(key + ": cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(key + ": " + file + " is not a PEM certificate file: " + e.getMessage());
        }
    }

    /** An unencrypted PKCS#8 private key ({@code -----BEGIN PRIVATE KEY-----}) of any algorithm the JDK knows. */
    public static PrivateKey privateKey(String key, Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(key + ": cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
        }
        int begin = text.indexOf("-----BEGIN PRIVATE KEY-----");
        int end = text.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException(key + ": " + file + " is not an unencrypted PKCS#8 PEM key (BEGIN PRIVATE"
                    + " KEY); convert it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out " + file);
        }
        byte[] der = Base64.getMimeDecoder().decode(text.substring(begin + 27, end));
        for (String algorithm : KEY_ALGORITHMS) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // next algorithm
            }
        }
        throw new IllegalArgumentException(key + ": " + file + " holds a key of an algorithm other than "
                + String.join(", ", KEY_ALGORITHMS));
    }

    /**
     * A certificate chain and its key as an in-memory key store (alias {@code "key"}, password
     * {@link #IN_MEMORY_PASSWORD}). {@code certKey} and {@code keyKey} name the config keys in errors.
     */
    public static KeyStore keyStore(String certKey, Path certificateChain, String keyKey, Path privateKey) {
        List<Certificate> chain = certificates(certKey, certificateChain);
        PrivateKey key = privateKey(keyKey, privateKey);
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("key", key, IN_MEMORY_PASSWORD, chain.toArray(Certificate[]::new));
            return store;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException(keyKey + ": " + privateKey + " does not go with the certificate in "
                    + certificateChain + ": " + e.getMessage());
        }
    }

    /** The certificates in {@code file} as an in-memory trust store. */
    public static KeyStore trustStore(String key, Path file) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int i = 0;
            for (Certificate c : certificates(key, file)) {
                trust.setCertificateEntry("trusted-" + i++, c);
            }
            return trust;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException(key + ": cannot trust the certificates in " + file + ": " + e.getMessage());
        }
    }

    /** A client context trusting exactly the certificates in {@code file} (a CA, or a node's own certificate). */
    public static SSLContext trusting(String key, Path file) {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trustStore(key, file));
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(key + ": cannot trust the certificates in " + file + ": " + e.getMessage());
        }
    }
}
