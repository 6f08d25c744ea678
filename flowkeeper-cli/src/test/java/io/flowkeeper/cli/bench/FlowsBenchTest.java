package io.flowkeeper.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** CI runs the small flow-write benchmark so it cannot rot: 3 controller JVMs, PUTs on an empty and a full switch. */
class FlowsBenchTest {
    @Test
    @Timeout(300)
    void theSmallFlowWriteBenchmarkMeasuresEveryFigure() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream savedOut = System.out;
        PrintStream savedErr = System.err;
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = Main.run("bench", "flows", "--small", "--json");
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        JsonNode rows = new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8)).get("rows");
        assertThat(rows).hasSize(5);
        for (JsonNode row : rows) {
            assertThat(row.get("value").asDouble()).as(row.get("measure").asText()).isPositive();
        }
        assertThat(rows.get(2).get("measure").asText()).contains("2000 desired flows");
    }
}
