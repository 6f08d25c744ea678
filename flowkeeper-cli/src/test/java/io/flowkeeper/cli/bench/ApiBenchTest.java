package io.flowkeeper.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.cli.ConsoleCapture;
import io.flowkeeper.cli.Main;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * CI runs the small Neutron API benchmark so it cannot rot: 3 controller JVMs, 2,000 ports, 10 clients. Checks it
 * measured every figure with sane values; the targets are for the full run on a quiet machine, not checked here.
 */
@Tag("integration")
class ApiBenchTest {
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @Test
    @Timeout(600)
    void theSmallApiBenchmarkMeasuresEveryFigure() throws Exception {
        int code = Main.run("bench", "api", "--small", "--json");
        assertThat(code).as(console.err()).isZero();
        JsonNode doc = new ObjectMapper().readTree(console.out());
        List<String> measures = new ArrayList<>();
        for (JsonNode row : doc.get("rows")) {
            String measure = row.get("measure").asText();
            measures.add(measure);
            assertThat(row.get("value").isNumber()).as(measure).isTrue();
            assertThat(row.get("value").asDouble()).as(measure).isPositive();
        }
        assertThat(measures).containsExactly(
                "port create p50 (2000 ports, 10 clients)",
                "port create p99 (2000 ports, 10 clients)",
                "port creates/s (2000 ports, 10 clients)",
                "CPU per port create, 3 nodes + client (2000 ports, 10 clients)",
                "list 1000 ports, p50 (2500 held)",
                "list 1000 ports, p99 (2500 held)",
                "live heap per node after a full GC, max of 3 (2500 ports)",
                "RSS per node, max of 3 (2500 ports)");
        JsonNode rows = doc.get("rows");
        // Sane, not the targets: a create cannot be answered faster than Raft commits it (well over 0.1 ms), and
        // a median above 10 s would be a hang.
        assertThat(rows.get(0).get("value").asDouble()).isBetween(0.1, 10_000.0);
        assertThat(rows.get(1).get("value").asDouble()).isGreaterThanOrEqualTo(rows.get(0).get("value").asDouble());
        // CPU per create: positive (above) and below a second, or the /proc accounting is wrong.
        assertThat(rows.get(3).get("value").asDouble()).isLessThan(1_000.0);
        assertThat(rows.get(6).get("value").asDouble()).isBetween(10.0, 1_024.0);
    }
}
