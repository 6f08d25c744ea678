package io.flowkeeper.cli.network;

import static io.flowkeeper.cli.network.NeutronResource.column;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code flowkeeper networks list|show}: virtual networks. */
@Command(name = "networks", mixinStandardHelpOptions = true,
        description = "List or show networks (Neutron /v2.0/networks) from any node.",
        subcommands = {NetworksCommand.ListCommand.class, NetworksCommand.ShowCommand.class})
public final class NetworksCommand implements Runnable {
    static final NeutronResource RESOURCE = new NeutronResource("networks", "network", "network", List.of(
            column("ID", "id"), column("NAME", "name"), column("PROJECT", "project_id"),
            column("TYPE", "provider:network_type"), column("PHYSNET", "provider:physical_network"),
            column("SEGMENT", "provider:segmentation_id"), column("MTU", "mtu"),
            column("EXTERNAL", n -> NeutronValues.yesNo(n.path("router:external"))),
            column("SHARED", n -> NeutronValues.yesNo(n.path("shared"))), column("STATUS", "status"),
            column("SUBNETS", "subnets")));

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List networks, one per line: ID, NAME, PROJECT, TYPE (vxlan, vlan or flat),",
                "PHYSNET, SEGMENT (VNI or VLAN id), MTU, EXTERNAL (router:external), SHARED,",
                "STATUS and the IDs of its SUBNETS. Filters: --project, --name, --filter.",
                "--output json: the Neutron body ({\"networks\": [...]}), all pages.",
                "Exit codes: 0 done, 1 the server refused, 2 bad usage, 3 node unreachable."})
    static final class ListCommand extends NeutronCommand.ListBase {
        @Override
        NeutronResource resource() {
            return RESOURCE;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = {"Show one network: every attribute, one per line, sorted (--output json: the",
                "Neutron body).",
                "Exit codes: 0 done, 1 the server refused (e.g. no such network), 2 bad usage,",
                "3 node unreachable."})
    static final class ShowCommand extends NeutronCommand.ShowBase {
        @Override
        NeutronResource resource() {
            return RESOURCE;
        }
    }
}
