package io.flowkeeper.cli.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.cli.ConsoleCapture;
import io.flowkeeper.cli.Main;
import io.flowkeeper.controller.local.LocalCluster;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code flowkeeper cluster ...} against a one-node controller process. */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class ClusterCommandTest {
    private LocalCluster cluster;
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @BeforeAll
    void start() throws Exception {
        cluster = LocalCluster.inTempDir(1, List.of());
        cluster.startAll();
        cluster.awaitAllReady(90_000);
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void statusPrintsATableOrJson() throws Exception {
        String url = cluster.restUrl(0);
        assertThat(Main.run("cluster", "status", "--url", url, "--token", LocalCluster.TOKEN)).as(console.err())
                .isZero();
        assertThat(console.out()).contains("SHARD", "network-config", "ownership", "n1", "up");
        console.reset();
        assertThat(Main.run("cluster", "status", "--url", url, "--token", LocalCluster.TOKEN, "--output", "json"))
                .isZero();
        JsonNode view = new ObjectMapper().readTree(console.out());
        assertThat(view.get("shards")).hasSize(4);
        console.reset();
        assertThat(Main.run("cluster", "members", "--url", url, "--token", LocalCluster.TOKEN)).isZero();
        assertThat(console.out()).contains("n1", "127.0.0.1:");
    }

    @Test
    void theControllerCommandPassesItsFlagsThroughAndRejectsBadOnesWithExit2() {
        assertThat(Main.run("controller", "--bogus", "x")).isEqualTo(2);
        assertThat(console.err()).contains("unknown flag --bogus");
        assertThat(Main.run("controller", "--node-id", "a", "--data-dir", "/tmp/x")).isEqualTo(2);
        assertThat(console.err()).contains("peers is required");
    }

    @Test
    void badInputAndFailuresAreOneLineWithAnExitCode() {
        String url = cluster.restUrl(0);
        assertThat(Main.run("cluster", "status", "--url", url, "--token", "wrong-token")).isEqualTo(1);
        assertThat(console.err()).contains("invalid token");
        assertThat(Main.run("cluster", "status", "--url", url, "--token", LocalCluster.TOKEN, "--output", "xml"))
                .isEqualTo(2);
        assertThat(Main.run("cluster", "status", "--url", "http://127.0.0.1:1", "--token", "x")).isEqualTo(3);
        assertThat(Main.run("cluster", "transfer-leader", "no-such-shard", "n1", "--url", url, "--token",
                LocalCluster.TOKEN)).isEqualTo(1);
        assertThat(console.err()).contains("unknown shard");
    }
}
