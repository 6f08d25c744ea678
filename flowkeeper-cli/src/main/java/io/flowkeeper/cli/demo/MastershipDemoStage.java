package io.flowkeeper.cli.demo;

import io.flowkeeper.cli.bench.MastershipBed;
import io.flowkeeper.cli.bench.MastershipBed.Ownership;
import io.flowkeeper.controller.RestClient;
import io.flowkeeper.testbed.PingMonitor;
import io.flowkeeper.testbed.PingResult;
import java.time.Duration;
import java.util.List;

/**
 * Switch mastership: two OVS hosts connected to all three controller nodes, masters spread, a flow pushed through
 * the API; then the master of one switch is killed with -9 while two VMs on it ping every 10 ms.
 */
final class MastershipDemoStage implements DemoStage {
    @Override
    public String title() {
        return "Switch mastership: kill -9 of a switch's master under a 10 ms ping";
    }

    @Override
    public void run(DemoContext ctx) throws Exception {
        MastershipBed bed = ctx.closeAtEnd(MastershipBed.create(2, List.of()));
        List<Ownership> owners = bed.awaitMasters(Duration.ofSeconds(120));
        for (int h = 0; h < owners.size(); h++) {
            ctx.say("switch " + MastershipBed.dpidHex(h) + ": master " + owners.get(h).owner() + " at generation "
                    + owners.get(h).generation() + ", connected to all 3 nodes");
        }
        bed.pushBaseline();
        long deadline = System.currentTimeMillis() + 60_000;
        while (!bed.vm(0, 0).ping(bed.vm(0, 1).ip(), 1, Duration.ofSeconds(1))) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("the VMs never reached each other through the API's flow");
            }
        }
        ctx.event("a NORMAL flow per switch pushed through the API; the masters programmed it; VMs ping");

        Ownership before = owners.get(0);
        int victim = bed.cluster().indexOf(before.owner());
        PingMonitor ping = bed.vm(0, 0).startPing(bed.vm(0, 1).ip(), Duration.ofMillis(10));
        Thread.sleep(500);
        long t0 = System.nanoTime();
        bed.cluster().kill(victim);
        RestClient survivor = bed.anyLiveClient(victim);
        // Bounded: a cluster that cannot take the write within a minute fails the demo with the last answer,
        // instead of retrying forever.
        RestClient.Response written;
        while (!(written = survivor.put("/v1/switches/" + MastershipBed.dpidHex(0) + "/flows/after-kill",
                "table=0,priority=100,ip,nw_dst=10.99.0.1,actions=drop")).ok()) {
            if (System.nanoTime() - t0 > Duration.ofSeconds(60).toNanos()) {
                throw new IllegalStateException("the survivors did not take a write within 60 s of the kill: HTTP "
                        + written.status() + " " + written.body());
            }
            Thread.sleep(20);
        }
        while (!bed.switchHas(0, "nw_dst=10.99.0.1")) {
            if (System.nanoTime() - t0 > Duration.ofSeconds(60).toNanos()) {
                throw new IllegalStateException("the flow written after the kill never reached the switch");
            }
            Thread.sleep(10);
        }
        long flowMs = (System.nanoTime() - t0) / 1_000_000;
        Thread.sleep(500);
        PingResult result = ping.stop();
        Ownership after = bed.ownership(0, victim).orElseThrow();
        ctx.event("kill -9 of " + before.owner() + ": switch " + MastershipBed.dpidHex(0) + " now mastered by "
                + after.owner() + " at generation " + after.generation() + "; a flow written through a survivor "
                + "right after the kill was in the switch after " + flowMs + " ms");
        ctx.event("ping every 10 ms across the failover: " + result.sent() + " sent, " + result.lost() + " lost");
        if (result.lost() > 0) {
            throw new IllegalStateException("packets lost across the failover: " + result);
        }
    }
}
