package io.flowkeeper.cli.demo;

import io.flowkeeper.agent.AgentConfig;
import io.flowkeeper.agent.AgentListener;
import io.flowkeeper.agent.HostAgent;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.PingMonitor;
import io.flowkeeper.testbed.PingResult;
import io.flowkeeper.testbed.RealisticPipeline;
import io.flowkeeper.testbed.Vm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The fix for stage 1: the host agent journals every flow into a local snapshot and, when OVS restarts or the
 * host boots, puts the whole table back in one bundle, with no controller anywhere.
 */
final class AgentDemoStage implements DemoStage {
    private static final int PORTS = 4_000;

    @Override
    public String title() {
        return "The fix: the host agent restores every flow from its snapshot";
    }

    @Override
    public void run(DemoContext ctx) throws Exception {
        OvsHost host = ctx.host();
        Vm a = ctx.vmA();
        Vm b = ctx.vmB();
        String br = DemoContext.BRIDGE;
        Path pipeline = host.runDir().resolve("pipeline.txt");
        Files.write(pipeline, RealisticPipeline.flows(PORTS));
        host.ofctl("--bundle", "add-flows", br, pipeline.toString());
        int flows = host.flowCount(br);
        ctx.event(br + " now holds " + flows + " flows: a " + PORTS + "-port pipeline (classifier, ARP, L2, L3, ACL) "
                + "plus a <-> b");

        LinkedBlockingQueue<String> events = new LinkedBlockingQueue<>();
        Path snapshots = host.runDir().resolve("snapshots");
        HostAgent agent = ctx.closeAtEnd(new HostAgent(new AgentConfig(host.runDir(), java.util.List.of(br),
                snapshots), new AgentListener() {
                    @Override
                    public void restored(String bridge, int n, Duration bundle, Duration sinceSwitchStart) {
                        events.add("restored " + n + " flows in one bundle in " + bundle.toMillis() + " ms");
                    }

                    @Override
                    public void journaling(String bridge, int n) {
                        events.add("journaling " + n);
                    }

                    @Override
                    public void forwardingReleased() {
                        events.add("released");
                    }
                }).start());
        ctx.event("agent started; snapshot: " + await(events, "journaling") + " flows journaled from the flow monitor");

        PingMonitor ping = a.startPing(b.ip(), Duration.ofMillis(10));
        Thread.sleep(500);
        host.killVswitchd();
        Instant start = Instant.now();
        host.startVswitchdAgain();
        String restored = await(events, "restored");
        long tookMs = Duration.between(start, Instant.now()).toMillis();
        ctx.event("ovs-vswitchd killed and restarted; agent " + restored + ", " + tookMs
                + " ms after ovs-vswitchd started");
        await(events, "journaling");
        Thread.sleep(500);
        PingResult result = ping.stop();
        String firstReply = result.firstReplyAfter(start)
                .map(t -> Duration.between(start, t).toMillis() + " ms after start").orElse("none");
        ctx.event("ping every 10 ms across the restart: " + result + "; first reply " + firstReply);
        ctx.event(br + " holds " + host.flowCount(br) + " flows again (was " + flows + ")");

        ctx.say("Now a power cycle: the boot script (dist/systemd drop-in) sets flow-restore-wait before "
                + "ovs-vswitchd starts, so OVS forwards nothing until the agent has put the whole table back.");
        host.reboot(h -> h.setFlowRestoreWait(true));
        Instant boot = Instant.now();
        await(events, "restored");
        await(events, "released");
        ctx.event("host rebooted: table restored and flow-restore-wait cleared "
                + Duration.between(boot, Instant.now()).toMillis() + " ms after ovs-vswitchd started; a -> b: "
                + (a.reachable(b.ip(), Duration.ofSeconds(5)) ? "reachable" : "NO REPLY"));
        agent.close();
    }

    /** Waits for the next event starting with {@code prefix}; returns what follows it. */
    private static String await(LinkedBlockingQueue<String> events, String prefix) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            String e = events.poll(100, TimeUnit.MILLISECONDS);
            if (e != null && e.startsWith(prefix)) {
                return e.startsWith("restored") ? e : e.substring(prefix.length()).strip();
            }
        }
        throw new IllegalStateException("the agent did not report '" + prefix + "' within 60 s");
    }
}
