package io.flowkeeper.cli.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowkeeper.cli.ConsoleCapture;
import io.flowkeeper.cli.Main;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code flowkeeper agent --metrics-address}: refused before the agent starts when it cannot be served safely (no
 * token to guard it) or at all (not host:port, the port taken), with exit code 2 and a message saying why.
 */
class AgentMetricsOptionTest {
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @TempDir
    Path dir;

    private String[] agent(String... more) {
        String[] base = {"agent", "--ovs-rundir", dir.toString(), "--bridge", "br-x", "--snapshot-dir",
                dir.resolve("snapshots").toString()};
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    private Path tokenFile() throws Exception {
        Path f = dir.resolve("token");
        Files.writeString(f, "agent-metrics-token\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        return f;
    }

    @Test
    void metricsWithoutATokenAreRefused() {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv("FLOWKEEPER_TOKEN") == null);
        assertThat(Main.run(agent("--metrics-address", "127.0.0.1:0"))).isEqualTo(2);
        assertThat(console.err()).contains("--metrics-address needs a token");
    }

    @Test
    void anAddressThatIsNotHostPortOrIsTakenIsRefused() throws Exception {
        Path token = tokenFile();
        assertThat(Main.run(agent("--token-file", token.toString(), "--metrics-address", "9464"))).isEqualTo(2);
        assertThat(console.err()).contains("--metrics-address 9464", "host:port");
        console.reset();
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertThat(Main.run(agent("--token-file", token.toString(), "--metrics-address",
                    "127.0.0.1:" + taken.getLocalPort()))).isEqualTo(2);
            assertThat(console.err()).contains("--metrics-address 127.0.0.1:" + taken.getLocalPort());
        }
    }
}
