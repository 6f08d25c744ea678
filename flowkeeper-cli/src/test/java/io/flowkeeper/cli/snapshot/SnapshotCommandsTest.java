package io.flowkeeper.cli.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flowkeeper.agent.AgentConfig;
import io.flowkeeper.agent.AgentListener;
import io.flowkeeper.agent.AgentStatus;
import io.flowkeeper.agent.HostAgent;
import io.flowkeeper.agent.snapshot.SnapshotInspector;
import io.flowkeeper.cli.ConsoleCapture;
import io.flowkeeper.cli.Main;
import io.flowkeeper.testbed.BridgeSpec;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.TestBed;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** inspect, verify and restore on a snapshot the agent wrote from a real bridge. */
class SnapshotCommandsTest {
    @TempDir
    Path snapshots;

    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    private String run(int expectedExit, String... args) {
        console.reset();
        assertThat(Main.run(args)).as(String.join(" ", args) + ": " + console.err()).isEqualTo(expectedExit);
        return console.out();
    }

    @Test
    @Tag("integration")
    void inspectVerifyAndRestoreByHand() throws Exception {
        try (TestBed bed = TestBed.create()) {
            OvsHost host = bed.addHost("h1");
            host.addBridge(BridgeSpec.named("br-int"));
            for (int i = 0; i < 40; i++) {
                host.ofctl("add-flow", "br-int", "table=" + (i % 3) + ",priority=" + (10 + i) + ",reg2=" + i
                        + ",actions=drop");
            }
            Path dir = snapshots.resolve("br-int");
            try (HostAgent agent = new HostAgent(new AgentConfig(host.runDir(), List.of("br-int"), snapshots),
                    new AgentListener() { }).start()) {
                await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(dir.resolve("MANIFEST"))
                        && SnapshotInspector.inspect(dir, p -> { }).flows() == 40
                        && AgentStatus.read(dir) != null && "journaling".equals(AgentStatus.read(dir).state()));
            }
            List<String> before = host.dumpFlowsWithoutCounters("br-int");

            assertThat(run(0, "snapshot", "inspect", dir.toString())).contains("40 flows in 16 partitions",
                    "br-int stopped");
            assertThat(run(0, "agent", "status", "--snapshot-dir", snapshots.toString()))
                    .contains("br-int stopped", "snapshot 40 flows");
            assertThat(run(0, "snapshot", "inspect", "--output", "json", dir.toString())).contains("\"flows\" : 40");
            assertThat(run(0, "snapshot", "verify", dir.toString())).contains("OK: 40 flows");

            // export: text that plain ovs-ofctl restores without Flowkeeper
            Path text = snapshots.resolve("flows.txt");
            assertThat(run(0, "snapshot", "export", dir.toString(), "-o", text.toString())).contains("exported 40");
            host.restartVswitchd();
            host.ofctl("-O", "OpenFlow14", "--bundle", "add-flows", "br-int", text.toString());
            assertThat(host.dumpFlowsWithoutCounters("br-int")).isEqualTo(before);

            host.restartVswitchd();
            assertThat(host.flowCount("br-int")).isZero();
            assertThat(run(0, "snapshot", "restore", dir.toString(), "--ovs-rundir", host.runDir().toString(),
                    "--bridge", "br-int")).contains("restored 40 flows into br-int");
            assertThat(host.dumpFlowsWithoutCounters("br-int")).isEqualTo(before);

            // a flipped bit in a record: verify names it and exits 3, the other flows still load
            Path file;
            try (Stream<Path> files = Files.list(dir)) {
                file = files.filter(p -> p.getFileName().toString().contains(".base.")
                        && p.toFile().length() > 200).findFirst().orElseThrow();
            }
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.seek(40);
                int b = raf.read();
                raf.seek(40);
                raf.write(b ^ 0x04);
            }
            String verify = run(3, "snapshot", "verify", dir.toString());
            assertThat(verify).contains("DAMAGED: " + file.getFileName(), "FAILED: 1 damaged record");
            assertThat(SnapshotInspector.inspect(dir, p -> { }).flows()).isEqualTo(39);
        }
    }

    @Test
    void aDirectoryThatIsNoSnapshotIsAUsageError() {
        assertThat(Main.run("snapshot", "inspect", snapshots.toString())).isEqualTo(2);
        assertThat(Main.run("snapshot", "verify", "/nonexistent")).isEqualTo(2);
    }
}
