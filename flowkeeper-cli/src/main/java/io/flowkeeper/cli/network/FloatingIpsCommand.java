package io.flowkeeper.cli.network;

import static io.flowkeeper.cli.network.NeutronResource.column;

import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code flowkeeper floating-ips list|show}: floating IPs. */
@Command(name = "floating-ips", mixinStandardHelpOptions = true,
        description = "List or show floating IPs (Neutron /v2.0/floatingips) from any node.",
        subcommands = {FloatingIpsCommand.ListCommand.class, NeutronCommand.Show.class})
public final class FloatingIpsCommand extends NeutronCommand.Group {
    static final NeutronResource RESOURCE = new NeutronResource("floatingips", "floatingip", "floating IP", List.of(
            column("ID", "id"), column("FLOATING IP", "floating_ip_address"),
            column("FIXED IP", "fixed_ip_address"), column("PORT", "port_id"), column("NETWORK", "floating_network_id"),
            column("ROUTER", "router_id"), column("STATUS", "status"), column("PROJECT", "project_id")));

    @Override
    NeutronResource resource() {
        return RESOURCE;
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List floating IPs, one per line: ID, FLOATING IP, FIXED IP and PORT it is",
                "associated with, NETWORK (the external network), ROUTER, STATUS and PROJECT.",
                "Filters: --network, --port, --router, --project, --filter.",
                "--output json: the Neutron body ({\"floatingips\": [...]}), all pages.",
                "Exit codes: 0 done, 1 the server refused, 2 bad usage, 3 node unreachable."})
    static final class ListCommand extends NeutronCommand.ListBase {
        @Option(names = "--network", paramLabel = "ID",
                description = "Only floating IPs of this external network.")
        String network;

        @Option(names = "--port", paramLabel = "ID", description = "Only the floating IP associated with this port.")
        String port;

        @Option(names = "--router", paramLabel = "ID", description = "Only floating IPs routed by this router.")
        String router;

        @Override
        Map<String, String> resourceFilters() {
            return NeutronCommand.filters("floating_network_id", network, "port_id", port, "router_id", router);
        }
    }
}
