package io.flowkeeper.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowkeeper.cli.ConsoleCapture;
import io.flowkeeper.cli.Main;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Bad options of {@code bench gateway} are refused in one line, before any lab starts. Tagged integration all the
 * same: should the check ever come after the lab's start, this would start three controllers and five OVS hosts.
 */
@Tag("integration")
class GatewayBenchOptionsTest {
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @Test
    void anUnknownWayToDieIsRefused() {
        assertThat(Main.run("bench", "gateway", "--death", "kill,reboot")).isEqualTo(2);
        assertThat(console.err()).contains("--death takes kill and/or links, got 'reboot'");
    }
}
