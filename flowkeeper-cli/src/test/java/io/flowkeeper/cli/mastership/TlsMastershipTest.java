package io.flowkeeper.cli.mastership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flowkeeper.api.security.TlsFiles;
import io.flowkeeper.cli.bench.MastershipBed;
import io.flowkeeper.cli.bench.MastershipBed.Ownership;
import io.flowkeeper.controller.RestClient;
import io.flowkeeper.controller.local.LocalCluster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 15 with TLS on every channel: 3 controller JVMs with {@code tls:} from a lab CA, 2 real OVS hosts with
 * {@code ovs-vsctl set-ssl} and certificates binding their switches' datapath ids, connecting to {@code ssl:}
 * targets. The mastership failover test passes with zero packets lost; a fake switch without a certificate gets
 * nothing, and a plain-text one only an error saying TLS is required.
 */
@Tag("integration")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(300)
class TlsMastershipTest {
    private static final Duration LONG = Duration.ofSeconds(60);
    private static MastershipBed bed;

    @BeforeAll
    static void start() throws Exception {
        bed = MastershipBed.create(2, List.of(), true);
        bed.awaitMasters(LONG);
        bed.pushBaseline();
        await().atMost(LONG).until(() -> bed.switchHas(0, "actions=NORMAL") && bed.switchHas(1, "actions=NORMAL"));
    }

    @AfterAll
    static void stop() {
        if (bed != null) {
            bed.close();
        }
    }

    @Test
    @Order(1)
    void switchesConnectOverTlsToEveryNodeAndCallsAreForwardedBetweenNodes() throws Exception {
        List<Ownership> owners = bed.awaitMasters(LONG); // 3 candidates each: every node admitted each switch
        for (int i = 0; i < 3; i++) {
            assertThat(Files.readString(bed.cluster().logFile(i)))
                    .contains("switch " + MastershipBed.dpidHex(0) + " connected", "certificate binds its dpid");
        }
        assertThat(bed.host(0).vsctl("get-controller", MastershipBed.BRIDGE)).contains("ssl:");
        // Asked of every node, answered by the master: two of the three forward over mutual TLS.
        for (int i = 0; i < 3; i++) {
            RestClient.Response role = bed.cluster().client(i).get("/v1/switches/" + MastershipBed.dpidHex(0)
                    + "/role");
            assertThat(role.status()).as(role.body().toString()).isEqualTo(200);
            assertThat(role.body().path("generation").asLong()).isEqualTo(owners.get(0).generation());
        }
        assertThat(bed.vm(0, 0).reachable(bed.vm(0, 1).ip(), Duration.ofSeconds(20))).isTrue();
    }

    @Test
    @Order(2)
    void killingAMasterMovesItsSwitchAndLosesNoPacket() throws Exception {
        MastershipBed.Failover f = bed.killMasterUnderPing(0, "after-kill",
                "table=0,priority=60,ip,nw_dst=10.9.9.7,actions=drop", "nw_dst=10.9.9.7");
        assertThat(f.after().owner()).isNotEqualTo(f.before().owner());
        assertThat(f.after().generation()).isGreaterThan(f.before().generation());
        assertThat(f.ping().received()).isGreaterThan(50);
        assertThat(f.ping().lost()).as(f.ping().toString()).isZero();
        int victim = bed.cluster().indexOf(f.before().owner());
        bed.cluster().start(victim);
        bed.cluster().awaitReady(victim, 180_000);
    }

    @Test
    @Order(3)
    void aFakeSwitchWithoutACertificateGetsNothingAndAPlainTextOneIsToldWhy() throws Exception {
        LocalCluster c = bed.cluster();
        String[] address = c.openflowAddress(0).split(":");
        byte[] hello = ByteBuffer.allocate(8).put((byte) 4).put((byte) 0).putShort((short) 8).putInt(1).array();
        // A valid-looking dpid of a connected switch would come next; it never gets that far.
        TlsFiles trustOnly = new TlsFiles(c.pki().caCertificate(), c.pki().caCertificate(), c.pki().caCertificate());
        SSLContext noCertificate = SSLContext.getInstance("TLS");
        noCertificate.init(null, new TrustManager[] {trustOnly.caTrust()}, null);
        try (Socket s = noCertificate.getSocketFactory().createSocket(address[0], Integer.parseInt(address[1]))) {
            assertThat(exchange(s, hello)).as("OpenFlow bytes received without a certificate").isEmpty();
        }
        try (Socket s = new Socket(address[0], Integer.parseInt(address[1]))) {
            byte[] got = exchange(s, hello);
            assertThat(got.length).isGreaterThan(12);
            assertThat(got[1]).as("OpenFlow ERROR").isEqualTo((byte) 1);
            assertThat(new String(got, 12, got.length - 12, StandardCharsets.US_ASCII)).startsWith("TLS required");
        }
        assertThat(Files.readString(c.logFile(0))).contains("plain text on the TLS OpenFlow port");
        assertThat(bed.awaitMasters(LONG)).hasSize(2); // the real switches keep their masters
    }

    /** Sends {@code first}, returns what arrives until the server closes (nothing if the handshake failed). */
    private static byte[] exchange(Socket s, byte[] first) throws IOException {
        s.setSoTimeout(10_000);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        try {
            s.getOutputStream().write(first);
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) > 0) {
                got.write(buf, 0, n);
            }
        } catch (SSLException | java.net.SocketException e) {
            // the TLS handshake was refused: nothing arrived
        }
        return got.toByteArray();
    }
}
