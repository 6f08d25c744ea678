package io.flowkeeper.controller.southbound;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowkeeper.api.security.TlsFiles;
import io.flowkeeper.controller.pki.LabPki;
import io.flowkeeper.openflow.OpenFlowConfig;
import io.flowkeeper.openflow.OpenFlowServer;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenFlow server as a node wires it with {@code tls:}, against fake switches speaking raw OpenFlow 1.3 over
 * the loopback (real OVS over TLS: {@code TlsMastershipTest}): a switch gets past FEATURES_REPLY only with a
 * certificate from the CA that binds the dpid it claims; without a certificate, or with one from another CA, it
 * gets nothing at all; a plain-text client gets one OpenFlow error saying TLS is required.
 */
class SouthboundTlsTest {
    private static final byte OF13 = 4;
    private static final int HELLO = 0;
    private static final int ERROR = 1;
    private static final int FEATURES_REQUEST = 5;
    private static final int MULTIPART_REQUEST = 18;

    @TempDir
    static Path dir;
    private static LabPki lab;
    private static LabPki other;
    private static OpenFlowServer server;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        lab = new LabPki(dir.resolve("lab"), Duration.ofDays(2));
        lab.init(List.of(new LabPki.NodeSpec("n1", List.of()), new LabPki.NodeSpec("n2", List.of())),
                List.of(new LabPki.HostSpec("h1", List.of(0xa1L))));
        other = new LabPki(dir.resolve("other"), Duration.ofDays(2));
        other.init(List.of(), List.of(new LabPki.HostSpec("h1", List.of(0xa1L))));
        server = new OpenFlowServer(OpenFlowConfig.tcp("127.0.0.1", 0).withTls(new OpenFlowConfig.Tls(
                lab.nodeCertificate("n1"), lab.nodeKey("n1"), lab.caCertificate())));
        port = server.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** A TLS client presenting {@code cert}/{@code key} (none if null), trusting the lab CA. */
    private static Socket tls(Path cert, Path key) throws Exception {
        TlsFiles files = new TlsFiles(lab.caCertificate(), cert == null ? lab.caCertificate() : cert,
                key == null ? lab.caCertificate() : key);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(cert == null ? null : files.keyManagers(), new TrustManager[] {files.caTrust()}, null);
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port);
        s.setSoTimeout(5_000);
        return s;
    }

    @Test
    void aHostCertificateAdmitsItsOwnDpidOnly() throws Exception {
        long refusedBefore = server.refusedClaims();
        try (Socket s = tls(lab.hostCertificate("h1"), lab.hostKey("h1"))) {
            assertThat(handshakeClaiming(s, 0xa1)).isEqualTo(MULTIPART_REQUEST); // PORT_DESC: admitted
        }
        try (Socket s = tls(lab.hostCertificate("h1"), lab.hostKey("h1"))) {
            assertThat(handshakeClaiming(s, 0xa2)).as("claiming another dpid").isEqualTo(-1);
        }
        try (Socket s = tls(lab.nodeCertificate("n2"), lab.nodeKey("n2"))) {
            assertThat(handshakeClaiming(s, 0xa1)).as("a node's certificate binds no dpid").isEqualTo(-1);
        }
        assertThat(server.refusedClaims() - refusedBefore).isEqualTo(2);
    }

    @Test
    void withoutACertificateOrWithAnotherCasAClientGetsNothing() throws Exception {
        for (Path[] material : List.of(new Path[] {null, null},
                new Path[] {other.hostCertificate("h1"), other.hostKey("h1")})) {
            try (Socket s = tls(material[0], material[1])) {
                byte[] got = readAll(s, hello());
                assertThat(got).as("OpenFlow bytes received").isEmpty();
            }
        }
        assertThat(server.switches()).isEmpty();
    }

    @Test
    void aPlainTextClientIsToldTlsIsRequired() throws Exception {
        long before = server.plainTextConnections();
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(5_000);
            byte[] got = readAll(s, hello());
            ByteBuffer b = ByteBuffer.wrap(got);
            assertThat(b.get(1)).as("an OpenFlow ERROR").isEqualTo((byte) ERROR);
            assertThat(b.getShort(8)).as("HELLO_FAILED").isEqualTo((short) 0);
            assertThat(b.getShort(10)).as("EPERM").isEqualTo((short) 1);
            assertThat(new String(got, 12, got.length - 12, StandardCharsets.US_ASCII)).startsWith("TLS required");
        }
        assertThat(server.plainTextConnections()).isEqualTo(before + 1);
    }

    private static byte[] hello() {
        return ByteBuffer.allocate(8).put(OF13).put((byte) HELLO).putShort((short) 8).putInt(1).array();
    }

    /**
     * HELLO, then FEATURES_REPLY naming {@code dpid}; returns the type of the message after that (MULTIPART_REQUEST
     * when admitted), or -1 when the server closed the connection.
     */
    private static int handshakeClaiming(Socket s, long dpid) throws IOException {
        OutputStream out = s.getOutputStream();
        DataInputStream in = new DataInputStream(s.getInputStream());
        out.write(hello());
        out.flush();
        int type;
        while ((type = nextType(in)) != FEATURES_REQUEST) {
            if (type < 0) {
                return -1;
            }
        }
        ByteBuffer reply = ByteBuffer.allocate(32).put(OF13).put((byte) 6).putShort((short) 32).putInt(2)
                .putLong(dpid).putInt(0).put((byte) 254).put((byte) 0).putShort((short) 0).putInt(0).putInt(0);
        out.write(reply.array());
        out.flush();
        return nextType(in);
    }

    /** The next message's type (its body skipped), or -1 at the end of the stream. */
    private static int nextType(DataInputStream in) throws IOException {
        byte[] header = new byte[8];
        try {
            in.readFully(header);
        } catch (EOFException | SSLException | java.net.SocketException e) {
            return -1;
        }
        int length = ((header[2] & 0xff) << 8) | (header[3] & 0xff);
        in.readFully(new byte[length - 8]);
        return header[1];
    }

    /** Sends {@code first}, then everything the server sends until it closes (nothing, if TLS failed). */
    private static byte[] readAll(Socket s, byte[] first) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        try {
            s.getOutputStream().write(first);
            s.getOutputStream().flush();
            byte[] buf = new byte[4096];
            int n;
            while ((n = s.getInputStream().read(buf)) > 0) {
                got.write(buf, 0, n);
            }
        } catch (SSLException | java.net.SocketException e) {
            // the handshake failed: nothing was received
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server neither answered nor closed within 5 s; got " + got.size()
                    + " bytes");
        }
        return got.toByteArray();
    }
}
