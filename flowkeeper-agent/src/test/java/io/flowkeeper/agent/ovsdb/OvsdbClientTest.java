package io.flowkeeper.agent.ovsdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowkeeper.testbed.BridgeSpec;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.TestBed;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Against a real ovsdb-server: flow-restore-wait set and cleared, VM bindings read. */
@Tag("integration")
class OvsdbClientTest {
    @Test
    void setsAndClearsFlowRestoreWaitAndReadsBindings() throws Exception {
        try (TestBed bed = TestBed.create()) {
            OvsHost host = bed.addHost("h1");
            host.addBridge(BridgeSpec.named("br-int"));
            host.addVm("a", "br-int", "02:00:00:00:00:0a", "10.0.0.1/24");
            try (OvsdbClient ovsdb = OvsdbClient.connect(host.dbSocket())) {
                assertThat(ovsdb.otherConfig("flow-restore-wait")).isNull();
                ovsdb.setOtherConfig("flow-restore-wait", "true");
                assertThat(host.vsctl("get", "open_vswitch", ".", "other_config:flow-restore-wait").strip())
                        .isEqualTo("\"true\"");
                assertThat(ovsdb.otherConfig("flow-restore-wait")).isEqualTo("true");
                ovsdb.removeOtherConfig("flow-restore-wait");
                assertThat(ovsdb.otherConfig("flow-restore-wait")).isNull();
                assertThat(ovsdb.ifaceIds()).containsEntry("tapa", "a");
            }
        }
    }

    @Test
    void aMissingSocketIsOneClearError() {
        assertThatThrownBy(() -> OvsdbClient.connect(Path.of("/nonexistent/db.sock")))
                .isInstanceOf(OvsdbException.class).hasMessageContaining("cannot connect to OVSDB at /nonexistent");
    }
}
