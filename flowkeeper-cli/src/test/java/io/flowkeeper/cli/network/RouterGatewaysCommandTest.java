package io.flowkeeper.cli.network;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.cli.Main;
import org.junit.jupiter.api.Test;

/** {@code routers gateways}' table from a node's answer, and {@code routers preempt}'s bad usage (exit 2). */
class RouterGatewaysCommandTest {
    @Test
    void theTableShowsHostsPrioritiesActiveGenerationAndFailover() throws Exception {
        String table = RoutersCommand.table(new ObjectMapper().readTree("[{\"router\": \"r1\", \"hosts\": ["
                + "{\"host\": \"gw1\", \"priority\": 100, \"alive\": false}, {\"host\": \"gw2\", \"priority\": 90,"
                + " \"alive\": true}], \"preempt\": false, \"active\": \"gw2\", \"generation\": 2,"
                + " \"since_millis\": 1700000000000, \"last_failover_millis\": 1700000000000}]"));
        assertThat(table).contains("ROUTER").contains("LAST FAILOVER").contains("gw1:100(down),gw2:90")
                .contains(" gw2 ").contains(" 2 ").contains(" no ").contains("2023-11-14T22:13:20Z");
    }

    @Test
    void preemptTakesOnOrOff() {
        assertThat(Main.run("routers", "preempt", "--url", "http://127.0.0.1:1", "r1", "maybe")).isEqualTo(2);
        assertThat(Main.run("routers", "preempt", "r1")).isEqualTo(2);
    }
}
