package io.flowkeeper.agent.cluster;

import io.flowkeeper.api.security.PeerIdentity;
import io.flowkeeper.api.security.PemFiles;
import io.flowkeeper.api.security.TlsFiles;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.net.ssl.SSLContext;

/**
 * This host's TLS material ({@code --ca-file}, {@code --cert-file}, {@code --key-file}: {@code ca.pem},
 * {@code hosts/H.pem} and {@code hosts/H.key} of {@code flowkeeper certs init}), used twice: by the agent for HTTPS
 * to the API, and by the host's Open vSwitch ({@code set-ssl}) for OpenFlow over TLS, where the certificate must bind
 * the datapath id of the bridge the cluster controls. Checked whole at start-up ({@link #load}), so a wrong file
 * fails with the option's name before anything is changed on the host.
 *
 * @param files the three PEM files, absolute: ovs-vswitchd opens them itself, from its own working directory
 * @param datapathIds the datapath ids the certificate binds (at least one)
 */
public record HostTls(TlsFiles files, Set<Long> datapathIds) {
    public static final String CA_OPTION = "--ca-file";
    public static final String CERT_OPTION = "--cert-file";
    public static final String KEY_OPTION = "--key-file";

    public HostTls {
        datapathIds = Collections.unmodifiableSet(new TreeSet<>(datapathIds));
        if (datapathIds.isEmpty()) {
            throw new IllegalArgumentException("the host certificate binds no datapath id");
        }
    }

    /**
     * Reads and checks the files: the key goes with the certificate, the certificate is signed by the CA, names
     * host {@code host} and binds at least one datapath id.
     */
    public static HostTls load(Path ca, Path certificate, Path key, String host) {
        TlsFiles files = new TlsFiles(ca.toAbsolutePath(), certificate.toAbsolutePath(), key.toAbsolutePath());
        List<Certificate> authorities = PemFiles.certificates(CA_OPTION, files.ca());
        X509Certificate own = (X509Certificate) PemFiles.certificates(CERT_OPTION, files.certificate()).get(0);
        if (!keyGoesWith(PemFiles.privateKey(KEY_OPTION, files.key()), own)) {
            throw new IllegalArgumentException(KEY_OPTION + ": " + key + " is not the key of the certificate in "
                    + certificate);
        }
        if (authorities.stream().noneMatch(a -> signedBy(own, a))) {
            throw new IllegalArgumentException(CERT_OPTION + ": " + certificate + " is not signed by the CA in " + ca
                    + " (the cluster's ca.pem, from the same flowkeeper certs init directory)");
        }
        PeerIdentity id = PeerIdentity.of(own);
        if (!id.host().map(host::equals).orElse(false) || id.datapathIds().isEmpty()) {
            throw new IllegalArgumentException(CERT_OPTION + ": " + certificate + " is " + id.describe()
                    + ", not a certificate of host " + host + " binding a datapath id (make one with: flowkeeper certs"
                    + " init DIR --hosts " + host + ", or give --host its name)");
        }
        return new HostTls(files, id.datapathIds());
    }

    /** A key store takes any key beside any certificate; a signature checked with the certificate's key does not. */
    private static boolean keyGoesWith(PrivateKey key, X509Certificate certificate) {
        String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA"
                : key.getAlgorithm().equals("RSA") ? "SHA256withRSA" : key.getAlgorithm();
        try {
            byte[] probe = "flowkeeper".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static boolean signedBy(X509Certificate certificate, Certificate authority) {
        try {
            certificate.verify(authority.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /**
     * The datapath id the agent gives the integration bridge it creates: the certificate's lowest ({@code certs init}
     * binds one per host unless told otherwise), so the OpenFlow server, which closes a switch claiming a dpid its
     * certificate does not bind, accepts it.
     */
    public long integrationDatapathId() {
        return datapathIds.iterator().next();
    }

    /** HTTPS to the API: trusts the cluster's CA only, presents the host certificate when a node asks for one. */
    SSLContext clientContext() {
        return files.caContext();
    }

    /** The agent's own HTTPS port (its metrics): presents the host certificate, as a node presents its own. */
    public SSLContext serverContext() {
        return files.caContext();
    }
}
