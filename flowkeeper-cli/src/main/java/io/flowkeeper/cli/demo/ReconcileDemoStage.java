package io.flowkeeper.cli.demo;

import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.OfctlText;
import io.flowkeeper.api.switches.ControllerRole;
import io.flowkeeper.api.switches.Switch;
import io.flowkeeper.openflow.OpenFlowConfig;
import io.flowkeeper.openflow.OpenFlowServer;
import io.flowkeeper.api.switches.SwitchListener;
import io.flowkeeper.api.flow.reconcile.FlowReconciler;
import io.flowkeeper.api.flow.reconcile.ReconcileResult;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.PingMonitor;
import io.flowkeeper.testbed.PingResult;
import io.flowkeeper.testbed.RealisticPipeline;
import io.flowkeeper.testbed.Vm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A controller takes the bridge over: MASTER with a generation id, the desired pipeline reconciled in one bundle,
 * then the table is damaged by hand and repaired, all under a 10 ms ping that must lose nothing.
 */
final class ReconcileDemoStage implements DemoStage {
    private static final long OURS = 0xf100000000000000L;
    private static final long MASK = 0xff00000000000000L;

    @Override
    public String title() {
        return "A controller reconciles the table hitlessly";
    }

    @Override
    public void run(DemoContext ctx) throws Exception {
        OvsHost host = ctx.host();
        Vm a = ctx.vmA();
        Vm b = ctx.vmB();
        String br = DemoContext.BRIDGE;
        CompletableFuture<Switch> connected = new CompletableFuture<>();
        OpenFlowServer server = ctx.closeAtEnd(new OpenFlowServer(OpenFlowConfig.tcp(ctx.bed().controllerIp(), 0),
                SwitchListener.onConnect(connected::complete)));
        int port = server.start();
        int before = host.flowCount(br);
        host.setControllers(br, "tcp:" + ctx.bed().controllerIp() + ":" + port);
        Switch sw = connected.get(30, TimeUnit.SECONDS);
        long generation = System.currentTimeMillis();
        sw.requestRole(ControllerRole.MASTER, generation);
        ctx.event("controller on " + ctx.bed().controllerIp() + ":" + port + " is MASTER of " + br + " (switch "
                + sw.dpidString() + ", OpenFlow 1.4, generation id " + generation + ")");
        ctx.say("Note: OVS flushes a bridge's flows when it gets its first controller (" + before + " flows before, "
                + host.flowCount(br) + " now); a controller that reconnects or fails over does not cause that.");

        List<Flow> desired = new ArrayList<>();
        long cookie = OURS;
        for (String line : RealisticPipeline.flows(400)) {
            desired.add(OfctlText.parse(line).withCookie(cookie++));
        }
        desired.add(OfctlText.parse("table=0,priority=200,in_port=" + a.ofport() + ",actions=output:" + b.ofport())
                .withCookie(cookie++));
        desired.add(OfctlText.parse("table=0,priority=200,in_port=" + b.ofport() + ",actions=output:" + a.ofport())
                .withCookie(cookie++));
        FlowReconciler owner = new FlowReconciler(OURS, MASK, true);
        ReconcileResult first = sw.reconcile(desired, owner);
        ctx.event("desired pipeline of " + desired.size() + " flows reconciled: " + first.plan() + ", one bundle in "
                + first.bundle().elapsed().toMillis() + " ms; a -> b: "
                + (a.reachable(b.ip(), Duration.ofSeconds(5)) ? "reachable" : "NO REPLY"));

        PingMonitor ping = a.startPing(b.ip(), Duration.ofMillis(10));
        Thread.sleep(500);
        host.ofctl("-O", "OpenFlow14", "del-flows", br, "--strict", strictMatch(desired.get(10)));
        host.ofctl("-O", "OpenFlow14", "del-flows", br, "--strict", strictMatch(desired.get(1500)));
        host.ofctl("-O", "OpenFlow14", "add-flow", br, "table=7,priority=1,actions=drop");
        ctx.event("damage by hand: 2 flows deleted, 1 stray flow added (" + host.flowCount(br) + " flows now)");
        ReconcileResult repair = sw.reconcile(desired, owner);
        ctx.event("reconciler repaired it: " + repair.plan() + " in one bundle in "
                + repair.bundle().elapsed().toMillis() + " ms; " + host.flowCount(br) + " flows");
        List<Flow> next = new ArrayList<>();
        for (int i = 0; i < desired.size(); i++) {
            Flow f = desired.get(i);
            if (i >= 1900 && i < 1950) {
                continue; // ten ports gone
            }
            // L3 flows no longer decrement the TTL
            next.add(f.tableId() == 30 && f.instructions().applyActions().size() > 1
                    ? f.withInstructions(io.flowkeeper.api.flow.Instructions.actions(
                            f.instructions().applyActions().get(0)).withGoto(40)) : f);
        }
        for (int i = 0; i < 100; i++) {
            next.add(OfctlText.parse("table=45,priority=" + (10 + i) + ",ip,nw_dst=10.200.0." + i + ",actions=drop")
                    .withCookie(cookie++));
        }
        ReconcileResult change = sw.reconcile(next, owner);
        ctx.event("a new desired state (more flows, changed L3 flows, fewer ports): " + change.plan()
                + " in one bundle in " + change.bundle().elapsed().toMillis() + " ms");
        Thread.sleep(500);
        PingResult result = ping.stop();
        ctx.event("ping every 10 ms through the repair and the change: " + result);
        if (result.lost() > 0) {
            throw new IllegalStateException("reconciliation lost " + result.lost() + " packets");
        }
    }

    /** The flow's table, priority and match, as {@code del-flows --strict} wants them. */
    private static String strictMatch(Flow f) {
        return OfctlText.format(f).replaceAll(",cookie=0x[0-9a-f]+", "").replaceAll(",actions=.*", "");
    }
}
