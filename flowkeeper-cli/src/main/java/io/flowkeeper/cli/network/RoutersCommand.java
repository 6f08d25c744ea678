package io.flowkeeper.cli.network;

import static io.flowkeeper.cli.network.NeutronResource.column;

import java.util.List;
import picocli.CommandLine.Command;

/** {@code flowkeeper routers list|show}: routers. */
@Command(name = "routers", mixinStandardHelpOptions = true,
        description = "List or show routers (Neutron /v2.0/routers) from any node.",
        subcommands = {RoutersCommand.ListCommand.class, NeutronCommand.Show.class})
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
}
