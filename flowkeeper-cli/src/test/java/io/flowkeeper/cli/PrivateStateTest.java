package io.flowkeeper.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flowkeeper.api.io.PrivateFiles;
import io.flowkeeper.controller.RestClient;
import io.flowkeeper.controller.local.LocalCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 15, D8: a node started by {@code bin/flowkeeper}, as an operator starts it, creates every file of its data
 * directory (Raft log segments, metadata, snapshots and their MD5 files) readable by its user alone, from the
 * first byte, not only after the next restart tightened them.
 */
@Tag("integration")
@Timeout(180)
class PrivateStateTest {
    private static final Path LAUNCHER = Path.of("..", "bin", "flowkeeper").toAbsolutePath().normalize();

    @Test
    void aNodeStartedByTheLauncherCreatesOnlyPrivateFiles() throws Exception {
        try (LocalCluster cluster = LocalCluster.inTempDir(1, List.of("snapshot-threshold: 100"))) {
            // This JVM's umask lets others read what it creates (umask 022): the launcher must be what tightens it.
            Assumptions.assumeTrue(PrivateFiles.defaultModeLeaks(cluster.dir()).isPresent(),
                    "the test JVM already runs with a private umask: nothing to prove");
            cluster.startThrough(LAUNCHER, 0);
            cluster.awaitReady(0, 90_000);
            RestClient client = cluster.client(0);
            // Past the snapshot threshold of a user shard: Raft segments, a snapshot and its MD5 file.
            for (int k = 0; k < 250; k++) {
                assertThat(client.put("/v1/datastore/network-config/private/k" + k, "{\"v\":" + k + "}").status())
                        .isEqualTo(200);
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> files(cluster.dataDir(0)).anyMatch(
                    n -> n.startsWith("snapshot.") && n.endsWith(".md5")));
            assertThat(files(cluster.dataDir(0)).toList()).anyMatch(n -> n.startsWith("log_"))
                    .anyMatch(n -> n.startsWith("raft-meta"));
            assertThat(PrivateFiles.exposed(cluster.dataDir(0))).isEmpty();
            assertThat(Files.readString(cluster.logFile(0))).doesNotContain("the process umask");
        }
    }

    private static Stream<String> files(Path root) throws java.io.IOException {
        try (Stream<Path> all = Files.walk(root)) {
            return all.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).toList().stream();
        }
    }
}
