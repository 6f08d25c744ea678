package io.flowkeeper.cli.switches;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowkeeper.cli.TextTable;
import io.flowkeeper.cli.UserException;
import io.flowkeeper.network.neutron.HostRegistry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code flowkeeper hosts [HOST]}: the hosts the agents registered, with their snapshots and last restores. */
@Command(name = "hosts", mixinStandardHelpOptions = true,
        description = {"List the hosts whose agents registered with the cluster, or show one.",
            "Columns: HOST; ALIVE, whether its agent beat within the last 30 s; TUNNEL-IP;",
            "HEARTBEAT, its last beat (UTC); SNAPSHOT-FLOWS and SNAPSHOT-BYTES, the agent's",
            "snapshot of the integration bridge; WRITTEN, how long ago the snapshot was",
            "last written (a journaling snapshot follows the switch, so an old one only",
            "means no flow changed since); LAST-RESTORE, the agent's last restore of the",
            "bridge from the snapshot: flows, duration, how long ago; DHCP, the agent's own",
            "DHCP server: the ports it answers for, 'down' while it has no session with",
            "the bridge, '-' when the agent runs without it.",
            "With HOST: that host's fields one per line, and the restore's reason.",
            "--output json: the GET /v1/network/hosts (or /v1/network/hosts/HOST) body.",
            "Exit codes: 0 done, 1 the server refused (e.g. unknown host), 2 bad usage,",
            "3 node unreachable."})
public final class HostsCommand extends RestCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "HOST", description = "Show only this host, in detail.")
    String host;

    @Override
    public Integer call() throws IOException {
        if (host != null && !HostRegistry.validHostName(host)) {
            throw new UserException("not a host name: '" + host + "'", 2);
        }
        JsonNode body = get(host == null ? "/v1/network/hosts" : "/v1/network/hosts/" + host);
        if (json()) {
            printJson(body);
            return 0;
        }
        if (host != null) {
            System.out.print(detail(body));
            return 0;
        }
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode h : body.path("hosts")) {
            JsonNode s = h.path("snapshot");
            rows.add(List.of(text(h, "name"), h.path("alive").asBoolean() ? "yes" : "no", text(h, "tunnel_ip"),
                    text(h, "heartbeat"), text(s, "flows"), text(s, "bytes"), age(s.path("written_millis")),
                    restore(h.path("last_restore")), dhcp(h.path("local_dhcp"))));
        }
        if (rows.isEmpty()) {
            System.out.println("no hosts: no agent has registered yet");
            return 0;
        }
        System.out.print(TextTable.render(List.of("HOST", "ALIVE", "TUNNEL-IP", "HEARTBEAT", "SNAPSHOT-FLOWS",
                "SNAPSHOT-BYTES", "WRITTEN", "LAST-RESTORE", "DHCP"), rows));
        return 0;
    }

    /** "1200 flows in 85 ms, 3m10s ago", or "-" for a host whose agent never restored. */
    static String restore(JsonNode r) {
        if (!r.isObject()) {
            return "-";
        }
        return r.path("flows").asLong() + " flows in " + r.path("duration_millis").asLong() + " ms, "
                + age(r.path("at_millis")) + " ago";
    }

    /** "12 ports", "down (12 ports)", or "-" for an agent without its own DHCP server. */
    static String dhcp(JsonNode d) {
        if (!d.isObject()) {
            return "-";
        }
        String ports = d.path("ports").asLong() + " ports";
        return d.path("serving").asBoolean() ? ports : "down (" + ports + ")";
    }

    static String detail(JsonNode h) {
        JsonNode s = h.path("snapshot");
        JsonNode r = h.path("last_restore");
        StringBuilder sb = new StringBuilder();
        sb.append("host             ").append(text(h, "name")).append('\n');
        sb.append("alive            ").append(h.path("alive").asBoolean() ? "yes" : "no").append(" (heartbeat ")
                .append(text(h, "heartbeat")).append(" UTC)\n");
        sb.append("tunnel ip        ").append(text(h, "tunnel_ip")).append('\n');
        sb.append("bridge           ").append(text(h, "integration_bridge")).append('\n');
        sb.append("agent            ").append(text(h, "agent_version")).append(" (id ").append(text(h, "agent_id"))
                .append(")\n");
        sb.append("snapshot         ");
        if (s.isObject()) {
            sb.append(text(s, "flows")).append(" flows, ").append(text(s, "bytes")).append(" bytes, written ")
                    .append(age(s.path("written_millis"))).append(" ago, ").append(text(s, "state")).append('\n');
        } else {
            sb.append("none reported\n");
        }
        sb.append("last restore     ").append(restore(r));
        if (r.isObject()) {
            sb.append(" (").append(text(r, "reason")).append(')');
        }
        sb.append('\n');
        JsonNode d = h.path("local_dhcp");
        sb.append("local dhcp       ");
        if (d.isObject()) {
            sb.append(d.path("serving").asBoolean() ? "serving " : "not serving (no session with the bridge), ")
                    .append(d.path("ports").asLong()).append(" ports, ").append(d.path("answered").asLong())
                    .append(" requests answered since the agent started\n");
        } else {
            sb.append("off or not reported\n");
        }
        return sb.toString();
    }
}
