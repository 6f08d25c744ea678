package io.flowkeeper.controller.pki;

import io.flowkeeper.api.io.PrivateFiles;
import io.flowkeeper.api.security.PeerIdentity;
import io.flowkeeper.api.security.PemFiles;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A lab CA in a directory, and the certificates it issues:
 * <pre>
 * DIR/ca.pem            the CA certificate: every node's tls.ca, every host's ovs-vsctl set-ssl CA
 * DIR/ca.key            the CA's key (0600): only needed to issue more; keep it off the nodes
 * DIR/nodes/N.pem, N.key   node N: urn:flowkeeper:node:N, DNS N and localhost, IP 127.0.0.1 and ::1, and the
 *                          addresses given for it (clients check the address they dialled against these)
 * DIR/hosts/H.pem, H.key   host H (its Open vSwitch): urn:flowkeeper:host:H and one urn:flowkeeper:dpid:... per
 *                          datapath id its bridges may claim
 * DIR/hosts/H.dpid      those datapath ids, one a line: what to set with
 *                       ovs-vsctl set bridge br-int other-config:datapath-id=...
 * </pre>
 * Keys are EC P-256 in unencrypted PKCS#8 PEM ({@code BEGIN PRIVATE KEY}), which the JDK, Netty, gRPC and OVS
 * (OpenSSL) all read, written 0600. Running it again on the same directory reuses the CA and issues only the
 * certificates that are missing, so a host added later gets its certificate from the same CA.
 */
public final class LabPki {
    /** What one call issued (paths relative to nothing: absolute under the directory). */
    public record Issued(Path ca, Map<String, Path> nodes, Map<String, Path> hosts, Map<String, List<Long>> dpids,
                         List<String> skipped) {}

    /** A host and the datapath ids its certificate binds (empty: one derived from the host name). */
    public record HostSpec(String name, List<Long> dpids) {
        public HostSpec {
            dpids = List.copyOf(dpids);
            checkName("host", name);
        }
    }

    /** A node and extra addresses (IP or DNS names) its certificate must name. */
    public record NodeSpec(String id, List<String> addresses) {
        public NodeSpec {
            addresses = List.copyOf(addresses);
            checkName("node", id);
        }
    }

    private static final String SIGNATURE = "SHA256withECDSA";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;
    private final Duration validity;

    public LabPki(Path dir, Duration validity) {
        this.dir = dir;
        this.validity = validity;
    }

    public Path caCertificate() {
        return dir.resolve("ca.pem");
    }

    public Path nodeCertificate(String id) {
        return dir.resolve("nodes").resolve(id + ".pem");
    }

    public Path nodeKey(String id) {
        return dir.resolve("nodes").resolve(id + ".key");
    }

    public Path hostCertificate(String name) {
        return dir.resolve("hosts").resolve(name + ".pem");
    }

    public Path hostKey(String name) {
        return dir.resolve("hosts").resolve(name + ".key");
    }

    /** Creates the CA if the directory has none, then every node and host certificate that is missing. */
    public Issued init(List<NodeSpec> nodes, List<HostSpec> hosts) throws IOException {
        PrivateFiles.createPrivateDirectories(dir.resolve("nodes"));
        PrivateFiles.createPrivateDirectories(dir.resolve("hosts"));
        List<String> skipped = new ArrayList<>();
        Ca ca = Files.exists(caCertificate()) ? loadCa() : newCa();
        Map<String, Path> issuedNodes = new LinkedHashMap<>();
        for (NodeSpec n : nodes) {
            if (Files.exists(nodeCertificate(n.id()))) {
                skipped.add(nodeCertificate(n.id()).toString());
                continue;
            }
            List<GeneralName> names = new ArrayList<>(List.of(
                    new GeneralName(GeneralName.uniformResourceIdentifier, PeerIdentity.nodeUri(n.id())),
                    new GeneralName(GeneralName.dNSName, n.id()),
                    new GeneralName(GeneralName.dNSName, "localhost"),
                    new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                    new GeneralName(GeneralName.iPAddress, "::1")));
            for (String a : n.addresses()) {
                names.add(a.matches("[0-9.]+|[0-9a-fA-F:]*:[0-9a-fA-F:.]*")
                        ? new GeneralName(GeneralName.iPAddress, a) : new GeneralName(GeneralName.dNSName, a));
            }
            issue(ca, n.id(), names, nodeCertificate(n.id()), nodeKey(n.id()), true);
            issuedNodes.put(n.id(), nodeCertificate(n.id()));
        }
        Map<String, Path> issuedHosts = new LinkedHashMap<>();
        Map<String, List<Long>> dpids = new LinkedHashMap<>();
        for (HostSpec h : hosts) {
            if (Files.exists(hostCertificate(h.name()))) {
                skipped.add(hostCertificate(h.name()).toString());
                continue;
            }
            List<Long> ids = h.dpids().isEmpty() ? List.of(derivedDpid(h.name())) : h.dpids();
            List<GeneralName> names = new ArrayList<>(List.of(
                    new GeneralName(GeneralName.uniformResourceIdentifier, PeerIdentity.hostUri(h.name())),
                    new GeneralName(GeneralName.dNSName, h.name())));
            ids.forEach(d -> names.add(new GeneralName(GeneralName.uniformResourceIdentifier, PeerIdentity.dpidUri(d))));
            issue(ca, h.name(), names, hostCertificate(h.name()), hostKey(h.name()), false);
            Files.writeString(dir.resolve("hosts").resolve(h.name() + ".dpid"),
                    String.join("\n", ids.stream().map(d -> String.format("%016x", d)).toList()) + "\n");
            issuedHosts.put(h.name(), hostCertificate(h.name()));
            dpids.put(h.name(), ids);
        }
        return new Issued(caCertificate(), issuedNodes, issuedHosts, dpids, skipped);
    }

    /**
     * The datapath id a host's certificate binds when none is given: 48 bits of SHA-256 of the name, so two hosts
     * of one lab do not collide by accident and the same name always gets the same id. 48 bits, like the bridge
     * MAC address OVS derives its own default from.
     */
    public static long derivedDpid(String hostName) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(("flowkeeper-host:" + hostName)
                    .getBytes(StandardCharsets.UTF_8));
            long v = 0;
            for (int i = 0; i < 6; i++) {
                v = (v << 8) | (h[i] & 0xff);
            }
            return v == 0 ? 1 : v;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void checkName(String what, String name) {
        if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9.-]{0,62}")) {
            throw new IllegalArgumentException("invalid " + what + " name '" + name + "' (letters, digits, '.', '-')");
        }
    }

    private record Ca(X509Certificate certificate, PrivateKey key) {}

    private Ca newCa() throws IOException {
        KeyPair pair = keyPair();
        X500Name name = name("flowkeeper lab CA " + Instant.now().toString().substring(0, 10));
        Instant now = Instant.now();
        try {
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(),
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(validity.multipliedBy(2))), name,
                    pair.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            X509Certificate cert = sign(b, pair.getPrivate());
            writePem(caCertificate(), cert, false);
            writePem(dir.resolve("ca.key"), pair.getPrivate(), true);
            return new Ca(cert, pair.getPrivate());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot create the CA: " + e.getMessage(), e);
        }
    }

    private Ca loadCa() {
        Path key = dir.resolve("ca.key");
        if (!Files.exists(key)) {
            throw new IllegalArgumentException(caCertificate() + " exists but " + key + " does not: cannot issue more"
                    + " certificates from this CA (use a new directory for a new CA)");
        }
        return new Ca((X509Certificate) PemFiles.certificates("ca", caCertificate()).get(0),
                PemFiles.privateKey("ca.key", key));
    }

    private void issue(Ca ca, String commonName, List<GeneralName> names, Path certFile, Path keyFile, boolean node)
            throws IOException {
        KeyPair pair = keyPair();
        Instant now = Instant.now();
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca.certificate(), serial(),
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(validity)), name(commonName),
                    pair.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
            // Nodes are servers and clients (Raft both ways, forwarded calls); a host is a client of the nodes (its
            // switch, its agent) and the server of its agent's metrics port. A host certificate names no node, so
            // the nodes' own checks never take it for one.
            b.addExtension(Extension.extendedKeyUsage, false,
                    new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
            b.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(names.toArray(GeneralName[]::new)));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            b.addExtension(Extension.authorityKeyIdentifier, false,
                    ext.createAuthorityKeyIdentifier(ca.certificate()));
            X509Certificate cert = sign(b, ca.key());
            writePem(keyFile, pair.getPrivate(), true);
            writePem(certFile, cert, false);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot issue " + commonName + "'s certificate: " + e.getMessage(), e);
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder(SIGNATURE)
                    .build(key)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
    }

    private static X500Name name(String commonName) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "flowkeeper")
                .addRDN(BCStyle.CN, commonName).build();
    }

    private static BigInteger serial() {
        return new BigInteger(64, RANDOM).add(BigInteger.ONE);
    }

    private static KeyPair keyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** PEM via BouncyCastle's writer: a private key as PKCS#8 ({@code BEGIN PRIVATE KEY}), created 0600. */
    private static void writePem(Path file, Object item, boolean secret) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(text)) {
            w.writeObject(item instanceof PrivateKey k
                    ? new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(k, null) : item);
        }
        Files.deleteIfExists(file);
        if (secret) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } else {
            Files.createFile(file);
            // Certificates are public (OVS may read them as another user), whatever umask bin/flowkeeper sets.
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        }
        Files.writeString(file, text.toString(), StandardOpenOption.TRUNCATE_EXISTING);
    }
}
