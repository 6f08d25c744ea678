package io.flowkeeper.controller.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FreePortsTest {
    @Test
    void neverHandsOutAPortTwiceAndEachCanBeBound() throws Exception {
        // 2,000 bare bind(0) probes repeat ports for certain (about 14,000 to choose from); sets of 9 did about
        // once in 200. Random draws below the ephemeral range (12,768 ports) repeat just as surely.
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 2_000; i++) {
            int port = FreePorts.next();
            assertThat(seen.add(port)).as("port %d handed out twice", port).isTrue();
            // Below the ephemeral range: no outgoing connection can be given this port as its local one.
            assertThat(port).isBetween(FreePorts.LOWEST, FreePorts.ephemeralRangeStart() - 1);
            if (i % 100 == 0) {
                try (ServerSocket server = new ServerSocket(port)) {
                    assertThat(server.getLocalPort()).isEqualTo(port);
                }
            }
        }
    }
}
