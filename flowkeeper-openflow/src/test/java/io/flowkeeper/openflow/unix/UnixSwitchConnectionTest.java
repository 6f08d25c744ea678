package io.flowkeeper.openflow.unix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.flowkeeper.api.flow.BundleResult;
import io.flowkeeper.openflow.wire.BundleWriter;
import io.flowkeeper.openflow.wire.FlowMonitorListener;
import io.flowkeeper.openflow.wire.FlowUpdate;
import io.flowkeeper.testbed.BridgeSpec;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.TestBed;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The agent's session on a real bridge's management socket: monitor, bundles, flow counts. */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UnixSwitchConnectionTest {
    private static final Duration T = Duration.ofSeconds(30);
    private TestBed bed;
    private OvsHost host;

    @BeforeAll
    void setUp() {
        bed = TestBed.create();
        host = bed.addHost("h1");
        host.addBridge(BridgeSpec.named("br0"));
    }

    @AfterAll
    void tearDown() {
        bed.close();
    }

    /** Collects monitor events. */
    static final class Recorder implements FlowMonitorListener {
        final List<FlowUpdate> events = new CopyOnWriteArrayList<>();
        volatile boolean initialDone;

        @Override
        public void onUpdates(List<FlowUpdate> updates, boolean initialDumpComplete) {
            events.addAll(updates);
            if (initialDumpComplete) {
                initialDone = true;
            }
        }
    }

    @Test
    void monitorSeesTheInitialTableThenEveryChangeByAnyone() throws Exception {
        host.ofctl("del-flows", "br0");
        host.ofctl("add-flow", "br0", "table=0,priority=10,in_port=1,actions=output:2");
        host.ofctl("add-flow", "br0", "table=3,priority=20,cookie=0x42,ip,nw_dst=10.0.0.1,actions=drop");
        try (UnixSwitchConnection c = UnixSwitchConnection.connect(host.managementSocket("br0"))) {
            assertThat(c.flowCount()).isEqualTo(2);
            Recorder r = new Recorder();
            c.startMonitor(r, T);
            assertThat(r.initialDone).isTrue();
            assertThat(r.events).hasSize(2).allMatch(u -> u.event() == FlowUpdate.Event.INITIAL);
            assertThat(r.events).anySatisfy(u -> {
                assertThat(u.tableId()).isEqualTo(3);
                assertThat(u.priority()).isEqualTo(20);
                assertThat(u.cookie()).isEqualTo(0x42);
            });
            r.events.clear();

            host.ofctl("add-flow", "br0", "table=1,priority=5,actions=drop");
            host.ofctl("mod-flows", "br0", "table=0,in_port=1,actions=output:3");
            host.ofctl("del-flows", "br0", "table=3");
            await().atMost(T).until(() -> r.events.size() >= 3);
            assertThat(r.events).extracting(FlowUpdate::event).containsExactly(FlowUpdate.Event.ADDED,
                    FlowUpdate.Event.MODIFIED, FlowUpdate.Event.REMOVED);
        }
    }

    @Test
    void flowsCapturedByTheMonitorAreRestoredIdenticallyInOneBundle() throws Exception {
        host.ofctl("del-flows", "br0");
        List<String> flows = new ArrayList<>();
        for (int i = 1; i <= 500; i++) {
            flows.add("table=" + (i % 4) + ",priority=" + (100 + i) + ",cookie=0x" + Integer.toHexString(i)
                    + ",ip,nw_src=10.1." + (i / 250) + "." + (i % 250) + ",actions=set_field:"
                    + (i % 4000) + "->reg1,goto_table:" + Math.min(4, i % 4 + 1));
        }
        flows.add("table=4,priority=0,actions=drop");
        java.nio.file.Path file = host.runDir().resolve("flows.txt");
        java.nio.file.Files.write(file, flows);
        host.ofctl("--bundle", "add-flows", "br0", file.toString());
        List<String> before = host.dumpFlowsWithoutCounters("br0");
        assertThat(before).hasSize(501);

        Map<String, byte[]> captured = new LinkedHashMap<>();
        try (UnixSwitchConnection c = UnixSwitchConnection.connect(host.managementSocket("br0"))) {
            Recorder r = new Recorder();
            c.startMonitor(r, T);
            for (FlowUpdate u : r.events) {
                captured.put(java.util.HexFormat.of().formatHex(u.identityKey()), u.toFlowMod());
                assertThat(FlowUpdate.identityKeyOfFlowMod(u.toFlowMod())).isEqualTo(u.identityKey());
            }
        }
        assertThat(captured).hasSize(501);

        host.restartVswitchd();
        assertThat(host.flowCount("br0")).isZero();
        try (UnixSwitchConnection c = UnixSwitchConnection.connect(host.managementSocket("br0"))) {
            BundleResult result = c.installBundle(captured.values().iterator(), true,
                    BundleWriter.OnError.DISCARD, n -> { });
            assertThat(result.committed()).isTrue();
            assertThat(result.failures()).isEmpty();
            assertThat(result.messages()).isEqualTo(501);
        }
        assertThat(host.dumpFlowsWithoutCounters("br0")).isEqualTo(before);
    }

    @Test
    void aBundleWithOneBadFlowIsDiscardedWholeAndTheBadFlowNamed() throws Exception {
        host.ofctl("del-flows", "br0");
        host.ofctl("add-flow", "br0", "table=0,priority=1,actions=drop");
        List<byte[]> mods = new ArrayList<>();
        try (UnixSwitchConnection c = UnixSwitchConnection.connect(host.managementSocket("br0"))) {
            Recorder r = new Recorder();
            c.startMonitor(r, T);
            byte[] good = r.events.get(0).toFlowMod();
            byte[] other = good.clone();
            other[31] = 7; // priority 7: a second, valid flow
            byte[] bad = good.clone();
            bad[24] = (byte) 0xfe; // table 254: does not exist in OVS (0..253)
            mods.add(other);
            mods.add(bad);
        }
        try (UnixSwitchConnection c = UnixSwitchConnection.connect(host.managementSocket("br0"))) {
            BundleResult result = c.installBundle(mods.iterator(), true, BundleWriter.OnError.DISCARD,
                    n -> { });
            assertThat(result.committed()).isFalse();
            assertThat(result.failures()).singleElement().satisfies(f -> assertThat(f.index()).isEqualTo(1));
        }
        // discarded whole: the delete-all and the good flow never happened
        assertThat(host.dumpFlowsWithoutCounters("br0")).singleElement().asString().contains("priority=1");
    }

    @Test
    void aMissingSocketOrAnOldProtocolIsAClearError() {
        assertThatThrownBy(() -> UnixSwitchConnection.connect(host.runDir().resolve("nope.mgmt")))
                .isInstanceOf(IOException.class).hasMessageContaining("cannot connect");
        host.addBridge(BridgeSpec.named("br13").protocols("OpenFlow13"));
        assertThatThrownBy(() -> UnixSwitchConnection.connect(host.managementSocket("br13")))
                .isInstanceOf(IOException.class).hasMessageContaining("OpenFlow14");
    }
}
