package io.flowkeeper.cli.network;

import static io.flowkeeper.cli.network.NeutronResource.column;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.flowkeeper.cli.RestConnection;
import io.flowkeeper.cli.TextTable;
import io.flowkeeper.cli.UserException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code flowkeeper routers list|show|gateways|preempt}: routers and their HA gateways. */
@Command(name = "routers", mixinStandardHelpOptions = true,
        description = "List or show routers (Neutron /v2.0/routers) from any node; their HA gateways.",
        subcommands = {RoutersCommand.ListCommand.class, NeutronCommand.Show.class, RoutersCommand.Gateways.class,
            RoutersCommand.Preempt.class})
public final class RoutersCommand extends NeutronCommand.Group {
    static final NeutronResource RESOURCE = new NeutronResource("routers", "router", "router", List.of(
            column("ID", "id"), column("NAME", "name"),
            column("EXTERNAL NETWORK", r -> NeutronValues.text(r.path("external_gateway_info").path("network_id"))),
            column("EXTERNAL IPS", r -> NeutronValues.each(
                    r.path("external_gateway_info").path("external_fixed_ips"), "ip_address")),
            column("SNAT", r -> NeutronValues.yesNo(r.path("external_gateway_info").path("enable_snat"))),
            column("HA", r -> NeutronValues.yesNo(r.path("ha"))),
            column("DISTRIBUTED", r -> NeutronValues.yesNo(r.path("distributed"))), column("STATUS", "status"),
            column("PROJECT", "project_id")));

    @Override
    NeutronResource resource() {
        return RESOURCE;
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List routers, one per line: ID, NAME, EXTERNAL NETWORK and EXTERNAL IPS (its",
                "gateway), SNAT, HA, DISTRIBUTED, STATUS and PROJECT. Interfaces: ports list",
                "--router ID. Filters: --project, --name, --filter.",
                "--output json: the Neutron body ({\"routers\": [...]}), all pages.",
                "Exit codes: 0 done, 1 the server refused, 2 bad usage, 3 node unreachable."})
    static final class ListCommand extends NeutronCommand.ListBase {
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Command(name = "gateways", mixinStandardHelpOptions = true,
            description = {"Every router's HA gateway, one line per router: ROUTER, HOSTS (host:priority,",
                "a host whose gateway lease expired marked '(down)'), ACTIVE, GENERATION (one more",
                "per change of active), PREEMPT (yes|no), ACTIVE SINCE and LAST FAILOVER (UTC).",
                "--output json: the node's answer ({\"gateways\": [...]}).",
                "Exit codes: 0 done, 1 the server refused, 2 bad usage, 3 node unreachable."})
    static final class Gateways implements Callable<Integer> {
        @Mixin
        final RestConnection connection = new RestConnection();

        @Override
        public Integer call() throws Exception {
            JsonNode body = connection.call("GET", "/v1/network/gateways", null).body();
            if (connection.json()) {
                System.out.println(JSON.writeValueAsString(body));
                return 0;
            }
            System.out.print(table(body.path("gateways")));
            return 0;
        }
    }

    /** The gateways as a table (see {@link Gateways}). */
    static String table(JsonNode gateways) {
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode g : gateways) {
            List<String> hosts = new ArrayList<>();
            g.path("hosts").forEach(h -> hosts.add(h.path("host").asText() + ":" + h.path("priority").asInt()
                    + (h.path("alive").asBoolean() ? "" : "(down)")));
            rows.add(List.of(g.path("router").asText(), String.join(",", hosts),
                    g.path("active").isTextual() ? g.path("active").asText() : "-",
                    String.valueOf(g.path("generation").asLong()), g.path("preempt").asBoolean() ? "yes" : "no",
                    time(g.path("since_millis")), time(g.path("last_failover_millis"))));
        }
        return TextTable.render(List.of("ROUTER", "HOSTS", "ACTIVE", "GENERATION", "PREEMPT", "ACTIVE SINCE",
                "LAST FAILOVER"), rows);
    }

    private static String time(JsonNode millis) {
        return millis.isNumber() && millis.asLong() > 0 ? Instant.ofEpochMilli(millis.asLong()).toString() : "-";
    }

    @Command(name = "preempt", mixinStandardHelpOptions = true,
            description = {"Set a router's gateway to preempt (on: a returning host of higher priority takes",
                "the router back) or nopreempt (off, the default, as Neutron's: the active stays).",
                "Exit codes: 0 done, 1 the server refused (no gateway placed yet), 2 bad usage,",
                "3 node unreachable."})
    static final class Preempt implements Callable<Integer> {
        @Mixin
        final RestConnection connection = new RestConnection();

        @Parameters(index = "0", paramLabel = "ROUTER", description = "The router's id.")
        String router;

        @Parameters(index = "1", paramLabel = "on|off", description = "preempt (on) or nopreempt (off).")
        String mode;

        @Override
        public Integer call() throws Exception {
            boolean on = switch (mode.toLowerCase(Locale.ROOT)) {
                case "on" -> true;
                case "off" -> false;
                default -> throw new UserException("preempt takes on or off, not '" + mode + "'", 2);
            };
            JsonNode g = connection.call("PUT", "/v1/network/gateways/" + router, "{\"preempt\": " + on + "}")
                    .body();
            if (connection.json()) {
                System.out.println(JSON.writeValueAsString(g));
            } else {
                System.out.println("router " + router + ": " + (on ? "preempt" : "nopreempt") + ", active "
                        + (g.path("active").isTextual() ? g.path("active").asText() : "none") + " (generation "
                        + g.path("generation").asLong() + ")");
            }
            return 0;
        }
    }
}
