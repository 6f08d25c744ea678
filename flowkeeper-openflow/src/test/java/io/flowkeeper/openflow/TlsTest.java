package io.flowkeeper.openflow;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowkeeper.api.flow.OfctlText;
import io.flowkeeper.api.switches.SwitchListener;
import io.flowkeeper.testbed.BridgeSpec;
import io.flowkeeper.testbed.Cmd;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.TestBed;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OVS connects over TLS ({@code ssl:} target) with certificates from a test CA made by openssl; both sides verify
 * each other, and the switch's certificate binds its datapath id ({@code urn:flowkeeper:dpid:...}, see
 * {@code PeerIdentity}).
 */
@Tag("integration")
class TlsTest {
    @TempDir
    Path pki;

    private static final long DPID = 0xc1;

    private void issue(String name, String extensions) throws java.io.IOException {
        java.nio.file.Files.writeString(pki.resolve(name + ".ext"), extensions);
        Cmd.run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", pki.resolve(name + ".key").toString(),
                "-out", pki.resolve(name + ".csr").toString(), "-subj", "/CN=" + name);
        Cmd.run("openssl", "x509", "-req", "-in", pki.resolve(name + ".csr").toString(), "-CA",
                pki.resolve("ca.pem").toString(), "-CAkey", pki.resolve("ca.key").toString(), "-CAcreateserial",
                "-out", pki.resolve(name + ".pem").toString(), "-days", "2", "-extfile",
                pki.resolve(name + ".ext").toString());
        // Netty wants PKCS#8
        Cmd.run("openssl", "pkcs8", "-topk8", "-nocrypt", "-in", pki.resolve(name + ".key").toString(), "-out",
                pki.resolve(name + ".pk8").toString());
    }

    @Test
    void ovsConnectsOverTlsAndFlowsFollow() throws Exception {
        Cmd.run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", pki.resolve("ca.key").toString(),
                "-out", pki.resolve("ca.pem").toString(), "-days", "2", "-subj", "/CN=flowkeeper-test-ca");
        issue("controller", "subjectAltName=URI:urn:flowkeeper:node:n1\n");
        issue("switch", "subjectAltName=URI:urn:flowkeeper:host:h1,URI:urn:flowkeeper:dpid:" + String.format("%016x",
                DPID) + "\n");
        try (TestBed bed = TestBed.create()) {
            OvsHost host = bed.addHost("h1");
            host.vsctl("set-ssl", pki.resolve("switch.key").toString(), pki.resolve("switch.pem").toString(),
                    pki.resolve("ca.pem").toString());
            CompletableFuture<SwitchConnection> connected = new CompletableFuture<>();
            OpenFlowConfig config = OpenFlowConfig.tcp(bed.controllerIp(), 0).withTls(new OpenFlowConfig.Tls(
                    pki.resolve("controller.pem"), pki.resolve("controller.pk8"), pki.resolve("ca.pem")));
            try (OpenFlowServer server = new OpenFlowServer(config, SwitchListener.onConnect(sw -> connected.complete((SwitchConnection) sw)))) {
                int port = server.start();
                host.addBridge(BridgeSpec.named("br0"));
                host.vsctl("set", "bridge", "br0", "other-config:datapath-id=" + String.format("%016x", DPID));
                host.setControllers("br0", "ssl:" + bed.controllerIp() + ":" + port);
                SwitchConnection c = connected.get(60, TimeUnit.SECONDS);
                assertThat(c.dpid()).isEqualTo(DPID);
                assertThat(c.version()).isEqualTo(5);
                c.install(List.of(OfctlText.parse("table=0,priority=5,actions=drop")));
                assertThat(host.flowCount("br0")).isEqualTo(1);
                // OVS publishes its view of the connection to OVSDB a little later
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() ->
                        host.vsctl("get", "controller", "br0", "is_connected").contains("true"));
            }
        }
    }
}
