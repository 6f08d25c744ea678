package io.flowkeeper.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Two hosts joined by the underlay: a VM on each reaches the other through a VXLAN tunnel once flows allow it. */
@Tag("integration")
class UnderlayTest {
    @Test
    void vmsOnTwoHostsTalkThroughATunnelOnlyOnceFlowsAllowIt() {
        try (TestBed bed = TestBed.create()) {
            OvsHost h1 = bed.addHost("h1").attachUnderlay();
            OvsHost h2 = bed.addHost("h2").attachUnderlay();
            // The underlay itself works: the tunnel endpoints reach each other.
            assertThat(h1.exec("ping", "-c", "1", "-W", "5", h2.underlayIp())).contains("1 received");

            h1.addBridge(BridgeSpec.named("br-int"));
            h2.addBridge(BridgeSpec.named("br-int"));
            Vm a = h1.addVm("a", "br-int", "02:00:00:00:01:0a", "10.1.0.1/24");
            Vm b = h2.addVm("b", "br-int", "02:00:00:00:02:0b", "10.1.0.2/24");
            int t1 = h1.addTunnel("br-int", "vx-h2", "vxlan", h2);
            int t2 = h2.addTunnel("br-int", "vx-h1", "vxlan", h1);

            assertThat(a.reachable(b.ip(), Duration.ofSeconds(1))).isFalse();

            h1.ofctl("add-flow", "br-int", "in_port=" + a.ofport() + ",actions=set_field:42->tun_id,output:" + t1);
            h1.ofctl("add-flow", "br-int", "in_port=" + t1 + ",tun_id=42,actions=output:" + a.ofport());
            h2.ofctl("add-flow", "br-int", "in_port=" + b.ofport() + ",actions=set_field:42->tun_id,output:" + t2);
            h2.ofctl("add-flow", "br-int", "in_port=" + t2 + ",tun_id=42,actions=output:" + b.ofport());

            assertThat(a.reachable(b.ip(), Duration.ofSeconds(10))).isTrue();
            assertThat(b.ping(a.ip(), 3, Duration.ofSeconds(5))).isTrue();

            // A different tunnel key is another tenant: nothing crosses.
            h2.ofctl("del-flows", "br-int", "in_port=" + t2);
            h2.ofctl("add-flow", "br-int", "in_port=" + t2 + ",tun_id=43,actions=output:" + b.ofport());
            assertThat(a.reachable(b.ip(), Duration.ofSeconds(1))).isFalse();
        }
    }
}
