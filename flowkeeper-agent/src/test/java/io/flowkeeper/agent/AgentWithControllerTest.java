package io.flowkeeper.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flowkeeper.agent.snapshot.SnapshotInspector;
import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.OfctlText;
import io.flowkeeper.openflow.OpenFlowConfig;
import io.flowkeeper.openflow.OpenFlowServer;
import io.flowkeeper.api.flow.reconcile.FlowReconciler;
import io.flowkeeper.api.flow.reconcile.ReconcileResult;
import io.flowkeeper.api.switches.ControllerRole;
import io.flowkeeper.api.switches.Switch;
import io.flowkeeper.api.switches.SwitchListener;
import io.flowkeeper.testbed.BridgeSpec;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.PingMonitor;
import io.flowkeeper.testbed.PingResult;
import io.flowkeeper.testbed.RealisticPipeline;
import io.flowkeeper.testbed.TestBed;
import io.flowkeeper.testbed.Vm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent and a controller together: what the controller programs is journaled; after an OVS restart the agent
 * restores it before the controller is even back, and the controller's reconciliation then finds nothing to do
 * and disturbs no packet.
 */
@Tag("integration")
class AgentWithControllerTest {
    private static final String BR = "br-int";
    private static final Duration T = Duration.ofSeconds(30);
    private static final long OURS = 0xf100000000000000L;

    @TempDir
    Path snapshots;

    @Test
    void controllerFlowsAreJournaledRestoredWithoutItAndThenReconciledHitlessly() throws Exception {
        try (TestBed bed = TestBed.create()) {
            OvsHost host = bed.addHost("h1");
            LinkedBlockingQueue<Switch> sessions = new LinkedBlockingQueue<>();
            List<Flow> desired = new ArrayList<>();
            try (OpenFlowServer server = new OpenFlowServer(OpenFlowConfig.tcp(bed.controllerIp(), 0),
                    SwitchListener.onConnect(sessions::add))) {
                int port = server.start();
                host.addBridge(BridgeSpec.named(BR).controllers("tcp:" + bed.controllerIp() + ":" + port));
                Vm a = host.addVm("a", BR, "02:00:00:00:00:0a", "10.0.0.1/24");
                Vm b = host.addVm("b", BR, "02:00:00:00:00:0b", "10.0.0.2/24");
                Switch sw = sessions.poll(30, TimeUnit.SECONDS);
                sw.requestRole(ControllerRole.MASTER, 1);
                long cookie = OURS;
                for (String line : RealisticPipeline.flows(200)) {
                    desired.add(OfctlText.parse(line).withCookie(cookie++));
                }
                desired.add(OfctlText.parse("table=0,priority=200,in_port=" + a.ofport() + ",actions=output:"
                        + b.ofport()).withCookie(cookie++));
                desired.add(OfctlText.parse("table=0,priority=200,in_port=" + b.ofport() + ",actions=output:"
                        + a.ofport()).withCookie(cookie));
                sw.applyBundle(desired.stream().map(io.flowkeeper.api.flow.FlowChange::add).toList());

                try (HostAgent agent = new HostAgent(new AgentConfig(host.runDir(), List.of(BR), snapshots),
                        new AgentListener() { }).start()) {
                    await().atMost(T).until(() -> SnapshotInspector.inspect(snapshots.resolve(BR), p -> { }).flows()
                            == desired.size());
                    // a controller change after the initial dump is journaled too
                    Flow extra = OfctlText.parse("table=45,priority=5,cookie=0xf1000000000fffff,ip,actions=drop");
                    sw.install(List.of(extra));
                    desired.add(extra);
                    await().atMost(T).until(() -> SnapshotInspector.inspect(snapshots.resolve(BR), p -> { }).flows()
                            == desired.size());

                    server.close(); // no controller anywhere from here on
                    host.restartVswitchd();
                    await().atMost(T).until(() -> host.flowCount(BR) == desired.size());
                    assertThat(a.reachable(b.ip(), T)).isTrue();
                }
            }
            // The controller comes back: the switch reconnects, the new master reconciles: nothing to change.
            try (OpenFlowServer again = new OpenFlowServer(OpenFlowConfig.tcp(bed.controllerIp(), 0),
                    SwitchListener.onConnect(sessions::add))) {
                host.setControllers(BR, "tcp:" + bed.controllerIp() + ":" + again.start());
                Switch sw = sessions.poll(30, TimeUnit.SECONDS);
                sw.requestRole(ControllerRole.MASTER, 2);
                assertThat(new HashSet<>(sw.dumpFlows())).isEqualTo(new HashSet<>(desired));
                Vm a = host.vms().get(0);
                Vm b = host.vms().get(1);
                PingMonitor ping = a.startPing(b.ip(), Duration.ofMillis(10));
                await().atMost(T).until(() -> ping.receivedSoFar() > 20);
                ReconcileResult r = sw.reconcile(desired,
                        new FlowReconciler(OURS, 0xff00000000000000L, false));
                Thread.sleep(300);
                PingResult pr = ping.stop();
                assertThat(r.plan().isEmpty()).as(r.plan().toString()).isTrue();
                assertThat(pr.lost()).as(pr.toString()).isZero();
            }
        }
    }
}
