package io.flowkeeper.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;

/** One host, two VMs on a fail-secure bridge: forwarding follows the flow table, and restarts empty it. */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(OrderAnnotation.class)
class SingleHostTest {
    private static final Duration T = Duration.ofSeconds(5);
    private TestBed bed;
    private OvsHost host;
    private Vm a;
    private Vm b;

    @BeforeAll
    void setUp() {
        bed = TestBed.create();
        host = bed.addHost("h1");
        host.addBridge(BridgeSpec.named("br-int"));
        a = host.addVm("a", "br-int", "02:00:00:00:00:0a", "10.0.0.1/24");
        b = host.addVm("b", "br-int", "02:00:00:00:00:0b", "10.0.0.2/24");
    }

    @AfterAll
    void tearDown() {
        if (bed != null) {
            bed.close();
        }
    }

    private void allowAll() {
        host.ofctl("add-flow", "br-int", "priority=0,actions=NORMAL");
    }

    @Test
    @Order(1)
    void secureBridgeWithoutFlowsDropsEverything() {
        assertThat(host.flowCount("br-int")).isZero();
        assertThat(a.reachable(b.ip(), Duration.ofSeconds(1))).isFalse();
    }

    @Test
    @Order(2)
    void twoVmsPingAndArpOnceFlowsAllowIt() {
        allowAll();
        assertThat(a.reachable(b.ip(), T)).isTrue();
        assertThat(a.ping(b.ip(), 3, T)).isTrue();
        assertThat(b.arping(a.ip(), T)).isTrue();
        assertThat(a.ofport()).isPositive();
        assertThat(host.vsctl("get", "interface", a.port(), "external_ids:iface-id").strip()).isEqualTo("a");
    }

    @Test
    @Order(3)
    void pingMonitorSeesNoLossOnAStableTableAndLossWhenFlowsVanish() throws Exception {
        allowAll();
        assertThat(a.reachable(b.ip(), T)).isTrue();
        PingMonitor stable = a.startPing(b.ip(), Duration.ofMillis(10));
        Thread.sleep(1500);
        PingResult ok = stable.stop();
        assertThat(ok.sent()).isGreaterThan(50);
        assertThat(ok.lost()).as(ok.toString()).isZero();

        PingMonitor broken = a.startPing(b.ip(), Duration.ofMillis(10));
        Thread.sleep(500);
        host.ofctl("del-flows", "br-int");
        Thread.sleep(700);
        allowAll();
        Thread.sleep(500);
        PingResult lossy = broken.stop();
        assertThat(lossy.lost()).as(lossy.toString()).isGreaterThan(20);
        assertThat(lossy.received()).isGreaterThan(20);
        assertThat(lossy.longestGap()).isGreaterThan(Duration.ofMillis(400));
    }

    @Test
    @Order(4)
    void vswitchdRestartEmptiesTheTableAndPingFailsUntilFlowsReturn() {
        allowAll();
        assertThat(a.reachable(b.ip(), T)).isTrue();
        long before = host.vswitchdPid().orElseThrow();

        host.restartVswitchd();

        assertThat(host.vswitchdPid()).get().isNotEqualTo(before);
        assertThat(host.flowCount("br-int")).isZero();
        assertThat(a.reachable(b.ip(), Duration.ofSeconds(1))).isFalse();
        allowAll();
        assertThat(a.reachable(b.ip(), T)).isTrue();
    }

    @Test
    @Order(5)
    void rebootKeepsOvsdbButNotFlowsAndRunsTheBootHookFirst() {
        allowAll();
        host.reboot(h -> h.setFlowRestoreWait(true));

        assertThat(host.vsctl("get", "open_vswitch", ".", "other_config:flow-restore-wait").strip())
                .isEqualTo("\"true\"");
        assertThat(host.vsctl("list-ports", "br-int")).contains(a.port(), b.port());
        assertThat(host.flowCount("br-int")).isZero();
        host.setFlowRestoreWait(false);
        allowAll();
        assertThat(a.reachable(b.ip(), T)).isTrue();
    }

    @Test
    @Order(6)
    void dumpWithoutCountersIsStableAcrossTraffic() {
        host.ofctl("del-flows", "br-int");
        host.ofctl("add-flow", "br-int", "table=0,priority=10,in_port=" + a.ofport() + ",actions=output:" + b.ofport());
        host.ofctl("add-flow", "br-int", "table=0,priority=10,in_port=" + b.ofport() + ",actions=output:" + a.ofport());
        var first = host.dumpFlowsWithoutCounters("br-int");
        assertThat(a.reachable(b.ip(), T)).isTrue();
        assertThat(host.dumpFlowsWithoutCounters("br-int")).isEqualTo(first).hasSize(2);
    }

    @Test
    @Order(7)
    void flowWatchReportsAFlowWhenItIsAddedAndNotBefore() throws Exception {
        host.ofctl("add-flow", "br-int", "table=0,priority=20,ip,nw_dst=10.9.0.1,actions=drop");
        try (FlowWatch watch = host.watchFlows("br-int")) {
            // a flow present before the watch is not "added"; nor is one never added
            assertThatThrownBy(() -> watch.awaitAdded("nw_dst=10.9.0.2", Duration.ofMillis(500)))
                    .isInstanceOf(TestBedException.class).hasMessageContaining("within 500 ms");
            long before = System.nanoTime();
            host.ofctl("add-flow", "br-int", "table=0,priority=20,ip,nw_dst=10.9.0.2,actions=drop");
            long seen = watch.awaitAdded("nw_dst=10.9.0.2", T);
            assertThat(seen).isGreaterThan(before);
            assertThatThrownBy(() -> watch.awaitAdded("nw_dst=10.9.0.1", Duration.ofMillis(200)))
                    .isInstanceOf(TestBedException.class);
        }
    }
}
