package io.flowkeeper.cli.switches;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowkeeper.cli.CannedServer;
import io.flowkeeper.cli.ConsoleCapture;
import io.flowkeeper.cli.NodeCommand;
import io.flowkeeper.cluster.testing.InMemoryDatastore;
import io.flowkeeper.network.AgentEndpoint;
import io.flowkeeper.network.ApiRequest;
import io.flowkeeper.network.ApiResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code flowkeeper hosts}: the bodies are what the agents' routes answer (a real {@link AgentEndpoint} over the
 * in-memory datastore, registered as agents register), served over real HTTP.
 */
class HostsOutputTest {
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();
    @RegisterExtension
    final CannedServer server = new CannedServer("{'error':'no such route','status':404}");

    private int run(String... args) {
        return NodeCommand.run(server.url(), server.tokenFile(), args);
    }

    private static String call(AgentEndpoint agents, String method, String path, String body) {
        ApiResponse r = agents.handle(new ApiRequest(method, path, Map.of(), Map.of(),
                body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8), ""));
        assertThat(r.status()).as("%s", r.body()).isEqualTo(200);
        return r.body().toString();
    }

    @Test
    void hostsListsEachHostsSnapshotAndLastRestoreAndOneHostInDetail() {
        try (AgentEndpoint agents = new AgentEndpoint(new InMemoryDatastore(), Clock.systemUTC())) {
            call(agents, "PUT", "/v1/network/hosts/compute-1", "{\"tunnel_ip\": \"192.0.2.1\", \"flow_snapshot\": true,"
                    + " \"snapshot\": {\"flows\": 1200, \"bytes\": 96000, \"age_millis\": 4000, \"state\":"
                    + " \"journaling\"}, \"last_restore\": {\"agent_at_millis\": 7, \"ago_millis\": 125000, \"flows\":"
                    + " 1200, \"duration_millis\": 85, \"reason\": \"ovs-vswitchd restarted\"}, \"local_dhcp\": {\"ports\":"
                    + " 12, \"serving\": true, \"answered\": 30}}");
            call(agents, "PUT", "/v1/network/hosts/compute-2", "{\"tunnel_ip\": \"192.0.2.2\"}");
            server.answer("/v1/network/hosts", 200, call(agents, "GET", "/v1/network/hosts", null));
            server.answer("/v1/network/hosts/compute-1", 200, call(agents, "GET", "/v1/network/hosts/compute-1", null));
        }
        assertThat(run("hosts")).as(console.err()).isZero();
        // Ages read at most a second or two later than they were made (a loaded machine).
        String out = console.out().replaceAll("\\b[456]s\\b", "4s").replaceAll("2m0[5-7]s", "2m05s")
                .replaceAll("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d", "YYYY-MM-DD hh:mm:ss");
        assertThat(out.lines()).containsExactly(
                "HOST       ALIVE  TUNNEL-IP  HEARTBEAT            SNAPSHOT-FLOWS  SNAPSHOT-BYTES  WRITTEN  LAST-RESTORE"
                        + "                    DHCP",
                "compute-1  yes    192.0.2.1  YYYY-MM-DD hh:mm:ss  1200            96000           4s       1200 flows"
                        + " in 85 ms, 2m05s ago  12 ports",
                "compute-2  yes    192.0.2.2  YYYY-MM-DD hh:mm:ss  -               -               -        -"
                        + "                               -");

        console.reset();
        assertThat(run("hosts", "compute-1")).as(console.err()).isZero();
        assertThat(console.out()).contains("snapshot         1200 flows, 96000 bytes, written ")
                .contains(" ago, journaling\n")
                .contains("last restore     1200 flows in 85 ms, ").contains(" ago (ovs-vswitchd restarted)\n")
                .contains("local dhcp       serving 12 ports, 30 requests answered since the agent started\n");
    }

    @Test
    void aBadHostNameIsAUsageErrorAndAnUnknownHostTheServersRefusal() {
        assertThat(run("hosts", "bad/name")).isEqualTo(2);
        assertThat(console.err()).contains("not a host name");
        server.answer("/v1/network/hosts/nobody", 404, "{'error':'no host nobody','status':404}");
        assertThat(run("hosts", "nobody")).isEqualTo(1);
        assertThat(console.err()).contains("no host nobody");
    }
}
