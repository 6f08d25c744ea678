package io.flowkeeper.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.cli.ConsoleCapture;
import io.flowkeeper.cli.Main;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * CI runs the small security groups benchmark so it cannot rot: every figure measured on real OVS, and the flow
 * counts bounded (conjunctive matches: near members + rules, far below members × rules), and a group join touching
 * one flow per host.
 */
@Tag("integration")
class SecurityGroupsBenchTest {
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @Test
    @Timeout(600)
    void theSmallSecurityGroupsBenchmarkMeasuresEveryFigure() throws Exception {
        assertThat(Main.run("bench", "security-groups", "--small", "--json")).as(console.err()).isZero();
        System.out.println(console.out());
        JsonNode rows = new ObjectMapper().readTree(console.out()).get("rows");
        assertThat(rows).hasSize(11);
        // a 500-member group: ~members flows, not 1,000; 200 rules: ~rules flows
        assertThat(rows.get(0).get("value").asInt()).isBetween(500, 520);
        assertThat(rows.get(2).get("value").asInt()).isBetween(200, 220);
        // a join of that group changes the joiner's address flow on a host with 50 members, not their ~550 flows
        assertThat(rows.get(4).get("value").asInt()).isBetween(1, 2);
        assertThat(rows.get(4).get("baseline").asInt()).isGreaterThan(500);
        for (JsonNode row : rows) {
            assertThat(row.get("value").asDouble()).as(row.get("measure").asText()).isPositive();
        }
    }
}
