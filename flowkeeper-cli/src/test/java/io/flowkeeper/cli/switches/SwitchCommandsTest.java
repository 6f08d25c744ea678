package io.flowkeeper.cli.switches;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.cli.ConsoleCapture;
import io.flowkeeper.cli.Main;
import io.flowkeeper.cli.NodeCommand;
import io.flowkeeper.controller.RestClient;
import io.flowkeeper.controller.local.LocalCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code flowkeeper switches|switch show|flows|ownership} against a one-node controller process with no switch
 * connected: flows pushed through the API, ownership, and every way these commands fail.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class SwitchCommandsTest {
    private static final String DPID = "00000000000000a1";

    private LocalCluster cluster;
    private String url;
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @BeforeAll
    void start() throws Exception {
        cluster = LocalCluster.inTempDir(1, List.of());
        cluster.startAll();
        cluster.awaitAllReady(90_000);
        url = cluster.restUrl(0);
        RestClient client = cluster.client(0);
        for (String[] f : List.of(new String[] {"f1", "table=0,priority=10,ip,actions=drop"},
                new String[] {"web-in", "table=0,priority=20,tcp,tp_dst=80,actions=NORMAL"})) {
            RestClient.Response r = client.put("/v1/switches/" + DPID + "/flows/" + f[0], f[1]);
            assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        }
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** One console for the whole class (PER_CLASS): each test starts from an empty one. */
    @BeforeEach
    void emptyConsole() {
        console.reset();
    }

    private int run(String... args) {
        return NodeCommand.run(url, cluster.apiTokenFile(), args);
    }

    /** The failure contract: exactly one line on stderr, nothing on stdout. */
    private void assertOneLineError(String... contains) {
        assertThat(console.err().lines()).as(console.err()).hasSize(1);
        assertThat(console.err()).contains(contains);
        assertThat(console.out()).isEmpty();
    }

    @Test
    void ownershipPrintsTheEntityAndLeaseTables() throws Exception {
        assertThat(run("ownership")).as(console.err()).isZero();
        // No switch has connected, so no entity; the node's own lease is there.
        assertThat(console.out()).contains("no entities", "NODE", "ALIVE", "RENEWALS");
        assertThat(console.out()).containsPattern("(?m)^n1 +yes +\\d+$");
        console.reset();
        assertThat(run("ownership", "--output", "json")).isZero();
        JsonNode body = new ObjectMapper().readTree(console.out());
        assertThat(body.get("entities")).isEmpty();
        assertThat(body.get("nodes").get(0).get("node").asText()).isEqualTo("n1");
    }

    @Test
    void switchesWithNoSwitchConnectedSaysSo() throws Exception {
        assertThat(run("switches")).as(console.err()).isZero();
        assertThat(console.out()).isEqualTo("no switches: none has connected to a controller node yet\n");
        console.reset();
        assertThat(run("switches", "--output", "json")).isZero();
        assertThat(new ObjectMapper().readTree(console.out()).get("switches")).isEmpty();
    }

    @Test
    void desiredFlowsArePrintedOnePerLineWhateverTheDpidSpelling() throws Exception {
        for (String dpid : List.of(DPID, "0xa1", "a1", "00:00:00:00:00:00:00:A1")) {
            console.reset();
            assertThat(run("flows", dpid)).as(console.err()).isZero();
            // The server gives each flow its cookie (controller prefix + hash of the id).
            assertThat(console.out()).matches("""
                    f1      table=0,priority=10,cookie=0x\\p{XDigit}{16},ip,actions=drop
                    web-in  table=0,priority=20,cookie=0x\\p{XDigit}{16},tcp,tp_dst=80,actions=NORMAL
                    """);
        }
        console.reset();
        assertThat(run("flows", "a1", "--view", "desired", "--output", "json")).isZero();
        JsonNode body = new ObjectMapper().readTree(console.out());
        assertThat(body.get("flows")).hasSize(2);
        assertThat(body.get("flows").get(0).get("id").asText()).isEqualTo("f1");
        assertThat(body.get("revision").asLong()).isPositive();
    }

    @Test
    void aSwitchWithoutFlowsPrintsNothingOnStdout() {
        assertThat(run("flows", "b2")).isZero();
        assertThat(console.out()).isEmpty();
        assertThat(console.err()).isEqualTo("no desired flows for switch 00000000000000b2\n");
    }

    @Test
    void showingAnUnknownSwitchIsAOneLine404() {
        // a1 has desired flows but has never connected: the server does not know it as a switch.
        assertThat(run("switch", "show", "a1")).isEqualTo(1);
        assertOneLineError("flowkeeper switch show: unknown switch 00000000000000a1 (HTTP 404)");
    }

    @Test
    void actualFlowsAndTheDiffOfANeverConnectedSwitchAreRefused() {
        assertThat(run("flows", DPID, "--view", "actual")).isEqualTo(1);
        assertOneLineError("no statistics for switch 00000000000000a1 yet", "(HTTP 404)");
        console.reset();
        assertThat(run("flows", DPID, "--diff")).isEqualTo(1);
        assertOneLineError("no statistics for switch 00000000000000a1 yet", "(HTTP 404)");
        console.reset();
        // The live view goes to the master, and there is none.
        assertThat(run("flows", DPID, "--view", "live")).isEqualTo(1);
        assertOneLineError("unknown switch 00000000000000a1", "(HTTP 404)");
    }

    @Test
    void aBadDpidIsAUsageErrorOnOneLine() {
        assertThat(run("switch", "show", "not-a-dpid")).isEqualTo(2);
        assertOneLineError("flowkeeper switch show: invalid datapath id 'not-a-dpid': expected up to 16 hex digits");
        console.reset();
        assertThat(run("flows", "12345678901234567")).isEqualTo(2);
        assertOneLineError("invalid datapath id '12345678901234567'");
        console.reset();
        // Would otherwise put a query string into the URL.
        assertThat(run("flows", "a1?view=diff")).isEqualTo(2);
        assertOneLineError("invalid datapath id");
    }

    @Test
    void badOptionsAndConnectionFailuresUseTheClusterExitCodes(@TempDir Path dir) throws Exception {
        assertThat(run("flows", DPID, "--view", "everything")).isEqualTo(2);
        assertOneLineError("--view must be desired, actual, diff or live, not 'everything'");
        console.reset();
        assertThat(run("flows", DPID, "--diff", "--view", "actual")).isEqualTo(2);
        assertOneLineError("--diff is --view diff");
        console.reset();
        assertThat(run("switches", "--output", "xml")).isEqualTo(2);
        assertOneLineError("--output must be table or json, not 'xml'");
        console.reset();
        // Tokens from files: --token would add the CLI's one-time "visible in ps" warning, depending on test order.
        Path wrongToken = Files.writeString(dir.resolve("wrong-token"), "wrong-token\n");
        Files.setPosixFilePermissions(wrongToken, PosixFilePermissions.fromString("rw-------"));
        assertThat(NodeCommand.run(url, wrongToken, "ownership")).isEqualTo(1);
        assertOneLineError("flowkeeper ownership: invalid token (HTTP 403)");
        console.reset();
        assertThat(NodeCommand.run("http://127.0.0.1:1", wrongToken, "switches")).isEqualTo(3);
        assertOneLineError("cannot reach http://127.0.0.1:1");
    }

    @Test
    void everyCommandIsListedAndTakesTheClusterConnectionOptions() {
        assertThat(Main.run("--help")).isZero();
        assertThat(console.out()).contains("switches", "switch ", "flows", "ownership");
        for (String[] cmd : List.of(new String[] {"switches"}, new String[] {"switch", "show"},
                new String[] {"flows"}, new String[] {"ownership"})) {
            console.reset();
            String[] args = java.util.Arrays.copyOf(cmd, cmd.length + 1);
            args[cmd.length] = "--help";
            assertThat(Main.run(args)).isZero();
            assertThat(console.out()).contains("--url", "--token", "--output", "$FLOWKEEPER_TOKEN");
        }
    }
}
