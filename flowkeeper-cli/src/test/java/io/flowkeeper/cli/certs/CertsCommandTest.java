package io.flowkeeper.cli.certs;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowkeeper.api.security.PeerIdentity;
import io.flowkeeper.api.security.PemFiles;
import io.flowkeeper.cli.ConsoleCapture;
import io.flowkeeper.cli.Main;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class CertsCommandTest {
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();
    @TempDir
    Path dir;

    @Test
    void initWritesTheCaNodesAndHostsAndSaysWhere() {
        assertThat(Main.run("certs", "init", dir.toString(), "--nodes", "n1,n2,n3", "--hosts", "h1=0xa1+a2,h2",
                "--address", "n1=10.0.0.1")).as(console.err()).isZero();
        assertThat(console.out()).contains("node n3: " + dir.resolve("nodes/n3.pem"),
                "host h1: " + dir.resolve("hosts/h1.pem"), "datapath ids 00000000000000a1 00000000000000a2");
        X509Certificate h1 = (X509Certificate) PemFiles.certificates("h1", dir.resolve("hosts/h1.pem")).get(0);
        assertThat(PeerIdentity.of(h1).datapathIds()).containsExactlyInAnyOrder(0xa1L, 0xa2L);
        assertThat(Files.exists(dir.resolve("hosts/h2.dpid"))).isTrue();
    }

    @Test
    void badInputIsOneLineAndNoFiles() {
        assertThat(Main.run("certs", "init", dir.resolve("x").toString(), "--hosts", "h1=zz")).isNotZero();
        assertThat(console.err()).contains("'zz' is not a datapath id");
        assertThat(Main.run("certs", "init", dir.resolve("x").toString(), "--nodes", "n1", "--address",
                "n9=10.0.0.9")).isNotZero();
        assertThat(console.err()).contains("n9 is not among --nodes");
        assertThat(Files.exists(dir.resolve("x"))).isFalse();
    }
}
