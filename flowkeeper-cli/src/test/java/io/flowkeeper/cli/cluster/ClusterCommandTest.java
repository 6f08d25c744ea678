package io.flowkeeper.cli.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.cli.Main;
import io.flowkeeper.controller.local.LocalCluster;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** {@code flowkeeper cluster ...} against a one-node controller process. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class ClusterCommandTest {
    private LocalCluster cluster;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream savedOut;
    private PrintStream savedErr;

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

    @BeforeEach
    void capture() {
        savedOut = System.out;
        savedErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(savedOut);
        System.setErr(savedErr);
    }

    @Test
    void statusPrintsATableOrJson() throws Exception {
        String url = cluster.restUrl(0);
        assertThat(Main.run("cluster", "status", "--url", url, "--token", LocalCluster.TOKEN)).as(err.toString())
                .isZero();
        assertThat(out.toString()).contains("SHARD", "network-config", "ownership", "n1", "up");
        out.reset();
        assertThat(Main.run("cluster", "status", "--url", url, "--token", LocalCluster.TOKEN, "--output", "json"))
                .isZero();
        JsonNode view = new ObjectMapper().readTree(out.toString());
        assertThat(view.get("shards")).hasSize(4);
        out.reset();
        assertThat(Main.run("cluster", "members", "--url", url, "--token", LocalCluster.TOKEN)).isZero();
        assertThat(out.toString()).contains("n1", "127.0.0.1:");
    }

    @Test
    void theControllerCommandPassesItsFlagsThroughAndRejectsBadOnesWithExit2() {
        assertThat(Main.run("controller", "--bogus", "x")).isEqualTo(2);
        assertThat(err.toString()).contains("unknown flag --bogus");
        assertThat(Main.run("controller", "--node-id", "a", "--data-dir", "/tmp/x")).isEqualTo(2);
        assertThat(err.toString()).contains("peers is required");
    }

    @Test
    void badInputAndFailuresAreOneLineWithAnExitCode() {
        String url = cluster.restUrl(0);
        assertThat(Main.run("cluster", "status", "--url", url, "--token", "wrong-token")).isEqualTo(1);
        assertThat(err.toString()).contains("invalid token");
        assertThat(Main.run("cluster", "status", "--url", url, "--token", LocalCluster.TOKEN, "--output", "xml"))
                .isEqualTo(2);
        assertThat(Main.run("cluster", "status", "--url", "http://127.0.0.1:1", "--token", "x")).isEqualTo(3);
        assertThat(Main.run("cluster", "transfer-leader", "no-such-shard", "n1", "--url", url, "--token",
                LocalCluster.TOKEN)).isEqualTo(1);
        assertThat(err.toString()).contains("unknown shard");
    }
}
