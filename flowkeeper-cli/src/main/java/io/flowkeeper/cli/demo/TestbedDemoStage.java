package io.flowkeeper.cli.demo;

import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.PingMonitor;
import io.flowkeeper.testbed.PingResult;
import io.flowkeeper.testbed.Vm;
import java.time.Duration;

/**
 * The problem Flowkeeper exists for, shown on the bare test bed: flows live only in {@code ovs-vswitchd}'s memory,
 * so a restart leaves a fail-secure bridge dropping everything until someone puts every flow back.
 */
final class TestbedDemoStage implements DemoStage {
    @Override
    public String title() {
        return "The problem: an OVS restart loses every flow";
    }

    @Override
    public void run(DemoContext ctx) throws Exception {
        OvsHost host = ctx.host();
        Vm a = ctx.vmA();
        Vm b = ctx.vmB();
        String br = DemoContext.BRIDGE;
        ctx.say("Bridge " + br + " is fail-secure: with no flows it forwards nothing.");
        ctx.event("a -> b before any flow: " + (a.reachable(b.ip(), Duration.ofSeconds(1)) ? "reachable" : "no reply"));

        host.ofctl("add-flow", br, "table=0,priority=10,in_port=" + a.ofport() + ",actions=output:" + b.ofport());
        host.ofctl("add-flow", br, "table=0,priority=10,in_port=" + b.ofport() + ",actions=output:" + a.ofport());
        ctx.event("2 flows added with ovs-ofctl; a -> b: "
                + (a.reachable(b.ip(), Duration.ofSeconds(5)) ? "reachable" : "NO REPLY"));

        PingMonitor ping = a.startPing(b.ip(), Duration.ofMillis(10));
        Thread.sleep(500);
        host.restartVswitchd();
        ctx.event("ovs-vswitchd killed and restarted: " + host.flowCount(br) + " flows left in " + br);
        Thread.sleep(1000);
        ctx.say("Nothing forwards now. On a host with 4,000 ports and 20,000 flows, the old agent rebuilt "
                + "them port by port: hours (seed 000).");
        host.ofctl("add-flow", br, "table=0,priority=10,in_port=" + a.ofport() + ",actions=output:" + b.ofport());
        host.ofctl("add-flow", br, "table=0,priority=10,in_port=" + b.ofport() + ",actions=output:" + a.ofport());
        ctx.event("flows put back by hand");
        Thread.sleep(500);
        PingResult result = ping.stop();
        ctx.event("ping every 10 ms across the restart: " + result);
        if (result.lost() == 0) {
            throw new IllegalStateException("expected the restart to cost packets, but none were lost");
        }
    }
}
