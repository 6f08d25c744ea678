package io.flowkeeper.controller.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowkeeper.api.security.PeerIdentity;
import io.flowkeeper.api.security.PemFiles;
import io.flowkeeper.api.security.TlsFiles;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabPkiTest {
    @TempDir
    Path dir;

    private static X509Certificate cert(Path file) {
        return (X509Certificate) PemFiles.certificates("test", file).get(0);
    }

    private TlsFiles node(LabPki pki, String id) {
        return new TlsFiles(pki.caCertificate(), pki.nodeCertificate(id), pki.nodeKey(id));
    }

    @Test
    void issuesNodeAndHostCertificatesThatNameTheirHolderWithPrivateKeys() throws Exception {
        LabPki pki = new LabPki(dir, Duration.ofDays(2));
        LabPki.Issued issued = pki.init(List.of(new LabPki.NodeSpec("n1", List.of("10.0.0.1", "ctl1.example")),
                        new LabPki.NodeSpec("n2", List.of())),
                List.of(new LabPki.HostSpec("h1", List.of(0xa1L, 0xa2L)), new LabPki.HostSpec("h2", List.of())));
        assertThat(issued.nodes()).containsOnlyKeys("n1", "n2");
        for (Path key : List.of(dir.resolve("ca.key"), pki.nodeKey("n1"), pki.hostKey("h2"))) {
            assertThat(Files.getPosixFilePermissions(key)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
            assertThat(Files.readString(key)).startsWith("-----BEGIN PRIVATE KEY-----"); // PKCS#8, as Netty and OVS read
        }
        X509Certificate n1 = cert(pki.nodeCertificate("n1"));
        assertThat(PeerIdentity.of(n1).node()).contains("n1");
        assertThat(n1.getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1))))
                .contains("10.0.0.1", "ctl1.example", "127.0.0.1", "localhost");
        PeerIdentity h1 = PeerIdentity.of(cert(pki.hostCertificate("h1")));
        assertThat(h1.isNode()).isFalse();
        assertThat(h1.host()).contains("h1");
        assertThat(h1.mayClaim(0xa1)).isTrue();
        assertThat(h1.mayClaim(0xa2)).isTrue();
        assertThat(h1.mayClaim(0xa3)).isFalse();
        long derived = LabPki.derivedDpid("h2");
        assertThat(PeerIdentity.of(cert(pki.hostCertificate("h2"))).datapathIds()).containsExactly(derived);
        assertThat(Files.readString(dir.resolve("hosts/h2.dpid")).strip()).isEqualTo(String.format("%016x", derived));
        node(pki, "n1").checkNode("n1");
        assertThatThrownBy(() -> node(pki, "n1").checkNode("n2")).hasMessageContaining("urn:flowkeeper:node:n2");
        // every certificate chains to the CA
        X509Certificate[] chain = {cert(pki.hostCertificate("h1"))};
        node(pki, "n1").caTrust().checkClientTrusted(chain, "ECDHE_ECDSA");
        // ... but only a node's passes between nodes
        assertThatThrownBy(() -> node(pki, "n1").nodeTrust().checkClientTrusted(chain, "ECDHE_ECDSA"))
                .isInstanceOf(CertificateException.class).hasMessageContaining("not a flowkeeper node certificate");
    }

    @Test
    void aSecondRunReusesTheCaAndKeepsWhatExists() throws Exception {
        LabPki pki = new LabPki(dir, Duration.ofDays(2));
        pki.init(List.of(new LabPki.NodeSpec("n1", List.of())), List.of());
        String before = Files.readString(pki.nodeCertificate("n1"));
        LabPki.Issued again = pki.init(List.of(new LabPki.NodeSpec("n1", List.of())),
                List.of(new LabPki.HostSpec("h3", List.of(3L))));
        assertThat(again.skipped()).containsExactly(pki.nodeCertificate("n1").toString());
        assertThat(Files.readString(pki.nodeCertificate("n1"))).isEqualTo(before);
        node(pki, "n1").caTrust().checkClientTrusted(new X509Certificate[] {cert(pki.hostCertificate("h3"))},
                "ECDHE_ECDSA");
    }

    @Test
    void nodesHandshakeWithEachOtherButNotWithAHostOrAnotherCasNode() throws Exception {
        LabPki lab = new LabPki(dir.resolve("lab"), Duration.ofDays(2));
        lab.init(List.of(new LabPki.NodeSpec("n1", List.of()), new LabPki.NodeSpec("n2", List.of())),
                List.of(new LabPki.HostSpec("h1", List.of(1L))));
        LabPki other = new LabPki(dir.resolve("other"), Duration.ofDays(2));
        other.init(List.of(new LabPki.NodeSpec("n2", List.of())), List.of());

        assertThat(handshake(node(lab, "n1"), node(lab, "n2"))).isNull();
        assertThat(handshake(node(lab, "n1"), new TlsFiles(lab.caCertificate(), lab.hostCertificate("h1"),
                lab.hostKey("h1")))).isInstanceOf(SSLHandshakeException.class);
        assertThat(handshake(node(lab, "n1"), new TlsFiles(lab.caCertificate(), other.nodeCertificate("n2"),
                other.nodeKey("n2")))).isInstanceOf(SSLHandshakeException.class);
    }

    /** A real TLS handshake over the loopback, both sides with their node context; the client's failure, or null. */
    private static Throwable handshake(TlsFiles server, TlsFiles client) throws Exception {
        try (SSLServerSocket listen = (SSLServerSocket) server.nodeContext().getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            listen.setNeedClientAuth(true);
            CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
                try (SSLSocket s = (SSLSocket) listen.accept(); OutputStream out = s.getOutputStream()) {
                    s.setSoTimeout(5_000);
                    out.write(1);
                    out.flush();
                } catch (Exception e) {
                    // the client's side says what failed
                }
            });
            try (SSLSocket s = (SSLSocket) client.nodeContext().getSocketFactory().createSocket(
                    InetAddress.getLoopbackAddress(), listen.getLocalPort()); InputStream in = s.getInputStream()) {
                s.setSoTimeout(5_000);
                s.startHandshake();
                if (in.read() != 1) {
                    return new SSLHandshakeException("closed after the handshake");
                }
                return null;
            } catch (javax.net.ssl.SSLException e) {
                return e instanceof SSLHandshakeException ? e : new SSLHandshakeException(e.toString());
            } catch (java.net.SocketException e) {
                return new SSLHandshakeException(e.toString()); // the server refused our certificate
            } finally {
                served.get(10, TimeUnit.SECONDS);
            }
        }
    }
}
