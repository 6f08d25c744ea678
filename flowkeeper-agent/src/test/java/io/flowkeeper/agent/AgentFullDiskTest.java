package io.flowkeeper.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flowkeeper.agent.snapshot.SnapshotInspector;
import io.flowkeeper.testbed.BridgeSpec;
import io.flowkeeper.testbed.Cmd;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.TestBed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent on a disk that fills up: it reports itself degraded, the last good snapshot stays loadable, and once
 * space is back it rebuilds the snapshot from the switch by itself.
 */
@Tag("integration")
class AgentFullDiskTest {
    private static final String BR = "br-int";
    private static final Duration T = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    @Test
    void aFullDiskDegradesTheAgentAndItHealsWhenSpaceReturns() throws Exception {
        Path disk = tmp.resolve("disk");
        Files.createDirectories(disk);
        Cmd.run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", disk.toString());
        try (TestBed bed = TestBed.create()) {
            OvsHost host = bed.addHost("h1");
            host.addBridge(BridgeSpec.named(BR));
            for (int i = 0; i < 20; i++) {
                host.ofctl("add-flow", BR, "table=0,priority=" + (10 + i) + ",reg1=" + i + ",actions=drop");
            }
            List<String> degraded = new CopyOnWriteArrayList<>();
            List<Integer> journaling = new CopyOnWriteArrayList<>();
            try (HostAgent agent = new HostAgent(new AgentConfig(host.runDir(), List.of(BR), disk),
                    new AgentListener() {
                        @Override
                        public void degraded(String bridge, String reason) {
                            degraded.add(reason);
                        }

                        @Override
                        public void journaling(String bridge, int flows) {
                            journaling.add(flows);
                        }
                    }).start()) {
                await().atMost(T).until(() -> journaling.contains(20));

                Path filler = disk.resolve("filler");
                Cmd.exec("sh", "-c", "dd if=/dev/zero of=" + filler + " bs=4k 2>/dev/null");
                List<String> more = new ArrayList<>();
                for (int i = 0; i < 3000; i++) {
                    more.add("table=1,priority=" + (10 + i) + ",reg2=" + i + ",actions=drop");
                }
                Path file = host.runDir().resolve("more.txt");
                Files.write(file, more);
                host.ofctl("--bundle", "add-flows", BR, file.toString());

                await().atMost(T).until(() -> !degraded.isEmpty());
                assertThat(degraded.get(0)).contains("No space left");
                // the last good snapshot still loads, intact
                SnapshotInspector.SnapshotInfo info = SnapshotInspector.inspect(disk.resolve(BR), p -> { });
                assertThat(info.corruption()).isEmpty();
                assertThat(info.flows()).isGreaterThanOrEqualTo(20);

                Files.delete(filler);
                await().atMost(T).until(() -> journaling.contains(3020));
                assertThat(SnapshotInspector.inspect(disk.resolve(BR), p -> { }).flows()).isEqualTo(3020);
            }
        } finally {
            Cmd.exec("umount", "-l", disk.toString());
        }
    }
}
