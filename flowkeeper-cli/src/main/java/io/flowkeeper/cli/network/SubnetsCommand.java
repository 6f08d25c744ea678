package io.flowkeeper.cli.network;

import static io.flowkeeper.cli.network.NeutronResource.column;

import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code flowkeeper subnets list|show}: subnets. */
@Command(name = "subnets", mixinStandardHelpOptions = true,
        description = "List or show subnets (Neutron /v2.0/subnets) from any node.",
        subcommands = {SubnetsCommand.ListCommand.class, NeutronCommand.Show.class})
public final class SubnetsCommand extends NeutronCommand.Group {
    static final NeutronResource RESOURCE = new NeutronResource("subnets", "subnet", "subnet", List.of(
            column("ID", "id"), column("NAME", "name"), column("NETWORK", "network_id"), column("CIDR", "cidr"),
            column("GATEWAY", "gateway_ip"), column("POOLS", s -> NeutronValues.pools(s.path("allocation_pools"))),
            column("DHCP", s -> NeutronValues.yesNo(s.path("enable_dhcp"))), column("PROJECT", "project_id")));

    @Override
    NeutronResource resource() {
        return RESOURCE;
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List subnets, one per line: ID, NAME, NETWORK, CIDR, GATEWAY, allocation POOLS",
                "(start-end), DHCP and PROJECT. Filters: --network, --project, --name, --filter.",
                "--output json: the Neutron body ({\"subnets\": [...]}), all pages.",
                "Exit codes: 0 done, 1 the server refused, 2 bad usage, 3 node unreachable."})
    static final class ListCommand extends NeutronCommand.ListBase {
        @Option(names = "--network", paramLabel = "ID", description = "Only subnets of this network.")
        String network;

        @Override
        Map<String, String> resourceFilters() {
            return NeutronCommand.filters("network_id", network);
        }
    }
}
