package io.flowkeeper.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The benchmark pipeline is valid OpenFlow that real OVS accepts, with the advertised number of flows. */
@Tag("integration")
class RealisticPipelineTest {
    @Test
    void ovsAcceptsEveryFlowOfThePipeline() throws Exception {
        List<String> flows = RealisticPipeline.flows(120);
        assertThat(flows).hasSize(RealisticPipeline.flowCount(120)).doesNotHaveDuplicates();
        try (TestBed bed = TestBed.create()) {
            OvsHost host = bed.addHost("h1");
            host.addBridge(BridgeSpec.named("br-int"));
            Path file = host.runDir().resolve("pipeline.txt");
            Files.write(file, flows);
            host.ofctl("--bundle", "add-flows", "br-int", file.toString());
            assertThat(host.flowCount("br-int")).isEqualTo(flows.size());
        }
    }
}
