package io.flowkeeper.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowkeeper.testbed.BridgeSpec;
import io.flowkeeper.testbed.Cmd;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.TestBed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The systemd drop-in we ship really makes OVS wait at boot (its command runs as the boot would run it). */
@Tag("integration")
class BootDropInTest {
    static final Path DROP_IN = Path.of("..", "dist", "systemd", "ovs-vswitchd.service.d",
            "10-flowkeeper-flow-restore-wait.conf");

    @Test
    void theShippedDropInSetsFlowRestoreWaitBeforeOvsStarts() throws Exception {
        String execStartPre = Files.readAllLines(DROP_IN).stream().filter(l -> l.startsWith("ExecStartPre="))
                .findFirst().orElseThrow().substring("ExecStartPre=".length());
        try (TestBed bed = TestBed.create()) {
            OvsHost host = bed.addHost("h1");
            host.addBridge(BridgeSpec.named("br-int"));
            host.reboot(h -> Cmd.run(List.of("sh", "-c", execStartPre), h.ovsEnvironment(), Duration.ofSeconds(30)));
            assertThat(host.vsctl("get", "open_vswitch", ".", "other_config:flow-restore-wait").strip())
                    .isEqualTo("\"true\"");
        }
    }
}
