package io.flowkeeper.testbed;

import java.time.Duration;

/**
 * Run in a child JVM by {@link SweeperTest}: builds a host with two VMs and a running ping, says READY and waits to
 * be killed with SIGKILL, so that no shutdown hook can clean up.
 */
public final class KilledRunFixture {
    private KilledRunFixture() {
    }

    public static void main(String[] args) throws InterruptedException {
        TestBed bed = TestBed.create();
        OvsHost host = bed.addHost("h1");
        host.addBridge(BridgeSpec.named("br-int"));
        Vm a = host.addVm("a", "br-int", "02:00:00:00:00:0a", "10.0.0.1/24");
        host.addVm("b", "br-int", "02:00:00:00:00:0b", "10.0.0.2/24");
        a.startPing("10.0.0.2", Duration.ofMillis(100));
        System.out.println("READY " + bed.runId());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
