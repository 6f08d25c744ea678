package io.flowkeeper.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** CI runs the small datastore benchmark so it cannot rot: 3 controller JVMs, writes, transactions, failovers. */
@Tag("integration")
class DatastoreBenchTest {
    @Test
    @Timeout(600)
    void theSmallDatastoreBenchmarkMeasuresEveryFigure() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream savedOut = System.out;
        PrintStream savedErr = System.err;
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = Main.run("bench", "datastore", "--small", "--json");
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        JsonNode doc = new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8));
        JsonNode rows = doc.get("rows");
        assertThat(rows).hasSizeGreaterThanOrEqualTo(10);
        int withTls = 0;
        for (JsonNode row : rows) {
            assertThat(row.get("value").asDouble()).as(row.get("measure").asText()).isPositive();
            if (!row.get("tls").isNull()) {
                withTls++;
                assertThat(row.get("tls").asDouble()).as(row.get("measure").asText() + ", TLS").isPositive();
            }
        }
        assertThat(withTls).as("write and transaction figures over TLS beside plain text").isEqualTo(9);
        assertThat(rows.get(0).get("unit").asText()).isEqualTo("writes/s");
    }
}
