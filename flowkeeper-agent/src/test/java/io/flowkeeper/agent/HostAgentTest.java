package io.flowkeeper.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flowkeeper.agent.snapshot.SnapshotInspector;
import io.flowkeeper.testbed.BridgeSpec;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.TestBed;
import io.flowkeeper.testbed.Vm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent against real OVS: journaling whatever changes the table, restore after restarts and at boot. */
@Tag("integration")
class HostAgentTest {
    private static final Duration T = Duration.ofSeconds(30);
    private static final String BR = "br-int";

    @TempDir
    Path snapshots;
    private TestBed bed;
    private OvsHost host;
    private Vm a;
    private Vm b;
    private HostAgent agent;
    private final List<String> events = new CopyOnWriteArrayList<>();

    private final AgentListener recorder = new AgentListener() {
        @Override
        public void restored(String bridge, int flows, Duration bundle, Duration sinceSwitchStart) {
            events.add("restored " + bridge + " " + flows);
        }

        @Override
        public void journaling(String bridge, int flows) {
            events.add("journaling " + bridge + " " + flows);
        }

        @Override
        public void forwardingReleased() {
            events.add("released");
        }
    };

    @BeforeEach
    void setUp() {
        bed = TestBed.create();
        host = bed.addHost("h1");
        host.addBridge(BridgeSpec.named(BR));
        a = host.addVm("a", BR, "02:00:00:00:00:0a", "10.0.0.1/24");
        b = host.addVm("b", BR, "02:00:00:00:00:0b", "10.0.0.2/24");
    }

    @AfterEach
    void tearDown() throws IOException {
        if (agent != null) {
            agent.close();
        }
        bed.close();
    }

    private HostAgent startAgent() throws IOException {
        agent = new HostAgent(new AgentConfig(host.runDir(), List.of(BR), snapshots), recorder).start();
        return agent;
    }

    private int snapshotFlows() throws IOException {
        return SnapshotInspector.inspect(snapshots.resolve(BR), p -> { }).flows();
    }

    /** A small pipeline: VM-to-VM forwarding plus filler flows in several tables. */
    private void installPipeline(int filler) throws IOException {
        List<String> flows = new ArrayList<>();
        flows.add("table=0,priority=100,in_port=" + a.ofport() + ",actions=goto_table:1");
        flows.add("table=0,priority=100,in_port=" + b.ofport() + ",actions=goto_table:1");
        flows.add("table=1,priority=10,dl_dst=" + b.mac() + ",actions=output:" + b.ofport());
        flows.add("table=1,priority=10,dl_dst=" + a.mac() + ",actions=output:" + a.ofport());
        flows.add("table=1,priority=5,dl_dst=ff:ff:ff:ff:ff:ff,actions=output:" + a.ofport() + ",output:" + b.ofport());
        for (int i = 0; i < filler; i++) {
            flows.add("table=2,priority=" + (1000 + i % 100) + ",cookie=0x" + Integer.toHexString(i)
                    + ",ip,nw_dst=10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255) + ",actions=drop");
        }
        Path file = host.runDir().resolve("pipeline.txt");
        Files.write(file, flows);
        host.ofctl("--bundle", "add-flows", BR, file.toString());
    }

    @Test
    void changesByAnyoneAreJournaledAndAnOvsRestartGetsTheIdenticalTableBack() throws Exception {
        installPipeline(2000);
        startAgent();
        await().atMost(T).until(() -> events.contains("journaling " + BR + " 2005"));
        assertThat(events).noneMatch(e -> e.startsWith("restored")); // the switch was fine: nothing to restore

        host.ofctl("add-flow", BR, "table=3,priority=7,actions=drop");
        host.ofctl("mod-flows", BR, "table=1,dl_dst=" + b.mac() + ",actions=output:" + b.ofport() + ",output:"
                + a.ofport());
        host.ofctl("del-flows", BR, "table=2,ip,nw_dst=10.0.0.5");
        await().atMost(T).until(() -> snapshotFlows() == 2005);
        List<String> before = host.dumpFlowsWithoutCounters(BR);
        assertThat(a.reachable(b.ip(), T)).isTrue();

        host.restartVswitchd();

        await().atMost(T).until(() -> events.contains("restored " + BR + " 2005"));
        assertThat(host.dumpFlowsWithoutCounters(BR)).isEqualTo(before);
        assertThat(a.ping(b.ip(), 3, T)).isTrue();
        await().atMost(T).until(() -> events.stream().filter(e -> e.startsWith("journaling")).count() == 2);
        assertThat(snapshotFlows()).isEqualTo(2005);
        AgentStatus status = AgentStatus.read(snapshots.resolve(BR));
        assertThat(status.state()).isEqualTo("journaling");
        assertThat(status.snapshotFlows()).isEqualTo(2005);
        assertThat(status.lastRestore().flows()).isEqualTo(2005);
        assertThat(status.lastRestore().reason()).isEqualTo("ovs-vswitchd restarted");
        assertThat(status.summary()).contains("br-int journaling", "last restore", "2005 flows");
        // Issue 15, D8: journals, bases, the manifest and STATUS were created 0600 (in a 0700 directory) by this
        // JVM, whose umask would have left them readable by others.
        if (io.flowkeeper.api.io.PrivateFiles.defaultModeLeaks(snapshots).isPresent()) {
            assertThat(io.flowkeeper.api.io.PrivateFiles.exposed(snapshots.resolve(BR))).isEmpty();
        }
    }

    @Test
    void atBootOvsForwardsNothingUntilTheAgentRestoredTheWholeTable() throws Exception {
        installPipeline(500);
        startAgent();
        await().atMost(T).until(() -> events.contains("journaling " + BR + " 505"));
        List<String> before = host.dumpFlowsWithoutCounters(BR);
        agent.close();
        agent = null;

        // A power cycle: the boot script sets flow-restore-wait before ovs-vswitchd starts; the agent is not up yet.
        host.reboot(h -> h.setFlowRestoreWait(true));
        assertThat(a.reachable(b.ip(), Duration.ofSeconds(2))).isFalse();
        assertThat(host.flowCount(BR)).isZero();

        startAgent();
        await().atMost(T).until(() -> events.contains("released"));
        assertThat(events).contains("restored " + BR + " 505");
        assertThat(host.vsctl("get", "open_vswitch", ".", "other_config")).doesNotContain("flow-restore-wait");
        assertThat(host.dumpFlowsWithoutCounters(BR)).isEqualTo(before);
        assertThat(a.reachable(b.ip(), T)).isTrue();
    }

    @Test
    void anAgentRestartBesideARunningSwitchTakesTheSwitchAsTheTruth() throws Exception {
        installPipeline(100);
        startAgent();
        await().atMost(T).until(() -> events.contains("journaling " + BR + " 105"));
        agent.close();
        agent = null;
        // changed while the agent was down
        host.ofctl("del-flows", BR, "table=2");
        host.ofctl("add-flow", BR, "table=4,priority=1,actions=drop");
        List<String> now = host.dumpFlowsWithoutCounters(BR);

        startAgent();
        await().atMost(T).until(() -> events.contains("journaling " + BR + " 6"));
        assertThat(events).noneMatch(e -> e.startsWith("restored"));
        assertThat(host.dumpFlowsWithoutCounters(BR)).isEqualTo(now);
        assertThat(snapshotFlows()).isEqualTo(6);
    }

    /**
     * br-int under the cluster: controllers configured, every one of them down. OVS configures them only once
     * flow-restore-wait is cleared and flushes the table as the first one is added; the agent must restore the
     * table again after that flush, and the journal must mirror the restored table, not the flush.
     */
    @Test
    void atBootABridgeWithEveryControllerDownKeepsItsRestoredTable() throws Exception {
        // ports on the host's own loopback where nothing listens: every controller is down (fail mode secure)
        host.setControllers(BR, "tcp:127.0.0.1:1", "tcp:127.0.0.1:2");
        installPipeline(500);
        startAgent();
        await().atMost(T).until(() -> events.contains("journaling " + BR + " 505"));
        List<String> before = host.dumpFlowsWithoutCounters(BR);
        assertThat(a.ping(b.ip(), 1, T)).isTrue();

        host.killVswitchd(); // kill -9
        host.setFlowRestoreWait(true);
        host.startVswitchdAgain();

        await().atMost(T).until(() -> events.contains("released"));
        await().atMost(T).until(() -> events.stream().filter(e -> e.startsWith("journaling")).count() == 2);
        assertThat(host.dumpFlowsWithoutCounters(BR)).isEqualTo(before);
        Thread.sleep(2000);
        assertThat(host.dumpFlowsWithoutCounters(BR)).isEqualTo(before);
        assertThat(snapshotFlows()).isEqualTo(505);
        assertThat(a.ping(b.ip(), 3, T)).isTrue();
    }
}
