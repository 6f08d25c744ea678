package io.flowkeeper.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flowkeeper.agent.snapshot.SnapshotDamage;
import io.flowkeeper.agent.snapshot.SnapshotInspector;
import io.flowkeeper.testbed.BridgeSpec;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.TestBed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent killed with SIGKILL fifty times while the flow table churns: the snapshot always loads. */
@Tag("integration")
class AgentCrashTest {
    private static final int KILLS = 50;
    private static final String BR = "br-int";

    @TempDir
    Path snapshots;

    @Test
    void killedFiftyTimesDuringHeavyChurnTheSnapshotAlwaysLoadsAndFinallyMatchesTheSwitch() throws Exception {
        try (TestBed bed = TestBed.create()) {
            OvsHost host = bed.addHost("h1");
            host.addBridge(BridgeSpec.named(BR));
            Path[] batches = new Path[4];
            for (int k = 0; k < batches.length; k++) {
                List<String> flows = new ArrayList<>();
                for (int i = 0; i < 500; i++) {
                    flows.add("table=" + k + ",priority=" + (10 + i) + ",reg0=" + i + ",actions=drop");
                }
                batches[k] = host.runDir().resolve("batch" + k + ".txt");
                Files.write(batches[k], flows);
            }
            AtomicBoolean churning = new AtomicBoolean(true);
            AtomicInteger rounds = new AtomicInteger();
            Thread churn = new Thread(() -> {
                int k = 0;
                while (churning.get()) {
                    host.ofctl("--bundle", "add-flows", BR, batches[k % 4].toString());
                    host.ofctl("del-flows", BR, "table=" + ((k + 2) % 4));
                    k++;
                    rounds.incrementAndGet();
                }
            }, "churn");
            churn.start();
            String java = ProcessHandle.current().info().command().orElse("java");
            Random random = new Random(7);
            try {
                for (int kill = 0; kill < KILLS; kill++) {
                    Path out = snapshots.resolveSibling(snapshots.getFileName() + "-agent-" + kill + ".out");
                    Process agent = new ProcessBuilder(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                            AgentMain.class.getName(), host.runDir().toString(), BR, snapshots.toString())
                            .redirectErrorStream(true).redirectOutput(out.toFile()).start();
                    try {
                        if (kill == 0) {
                            // the first run must get as far as a snapshot; later ones die anywhere
                            await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(out)
                                    .contains("JOURNALING"));
                        }
                        Thread.sleep(200 + random.nextInt(1000)); // start-up, initial dump, rebase, journaling
                    } finally {
                        agent.destroyForcibly();
                        agent.waitFor(30, TimeUnit.SECONDS);
                        Files.deleteIfExists(out);
                    }
                    SnapshotInspector.SnapshotInfo info = SnapshotInspector.inspect(snapshots.resolve(BR), p -> { });
                    assertThat(info.corruption()).as("kill %d", kill).isEmpty();
                    assertThat(info.damage()).as("kill %d", kill).allMatch(SnapshotDamage::tornTail);
                }
            } finally {
                churning.set(false);
                churn.join(30_000);
            }
            assertThat(rounds.get()).as("the table really churned").isGreaterThan(20);

            // After the storm, a final agent brings the snapshot back in line with the switch.
            try (HostAgent agent = new HostAgent(new AgentConfig(host.runDir(), List.of(BR), snapshots),
                    new AgentListener() { }).start()) {
                int inSwitch = host.flowCount(BR);
                await().atMost(Duration.ofSeconds(30)).until(() ->
                        SnapshotInspector.inspect(snapshots.resolve(BR), p -> { }).flows() == inSwitch);
            }
        }
    }
}
