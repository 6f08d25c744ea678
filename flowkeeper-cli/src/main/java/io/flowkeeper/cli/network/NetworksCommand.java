package io.flowkeeper.cli.network;

import static io.flowkeeper.cli.network.NeutronResource.column;

import java.util.List;
import picocli.CommandLine.Command;

/** {@code flowkeeper networks list|show}: virtual networks. */
@Command(name = "networks", mixinStandardHelpOptions = true,
        description = "List or show networks (Neutron /v2.0/networks) from any node.",
        subcommands = {NetworksCommand.ListCommand.class, NeutronCommand.Show.class})
public final class NetworksCommand extends NeutronCommand.Group {
    static final NeutronResource RESOURCE = new NeutronResource("networks", "network", "network", List.of(
            column("ID", "id"), column("NAME", "name"), column("PROJECT", "project_id"),
            column("TYPE", "provider:network_type"), column("PHYSNET", "provider:physical_network"),
            column("SEGMENT", "provider:segmentation_id"), column("MTU", "mtu"),
            column("EXTERNAL", n -> NeutronValues.yesNo(n.path("router:external"))),
            column("SHARED", n -> NeutronValues.yesNo(n.path("shared"))), column("STATUS", "status"),
            column("SUBNETS", "subnets")));

    @Override
    NeutronResource resource() {
        return RESOURCE;
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List networks, one per line: ID, NAME, PROJECT, TYPE (vxlan, vlan or flat),",
                "PHYSNET, SEGMENT (VNI or VLAN id), MTU, EXTERNAL (router:external), SHARED,",
                "STATUS and the IDs of its SUBNETS. Filters: --project, --name, --filter.",
                "--output json: the Neutron body ({\"networks\": [...]}), all pages.",
                "Exit codes: 0 done, 1 the server refused, 2 bad usage, 3 node unreachable."})
    static final class ListCommand extends NeutronCommand.ListBase {
    }
}
