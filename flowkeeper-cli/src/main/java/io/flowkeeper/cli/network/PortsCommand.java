package io.flowkeeper.cli.network;

import static io.flowkeeper.cli.network.NeutronResource.column;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowkeeper.cli.RestConnection;
import io.flowkeeper.cli.UserException;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code flowkeeper ports list|show}: ports. */
@Command(name = "ports", mixinStandardHelpOptions = true,
        description = {"List or show ports (Neutron /v2.0/ports) from any node. show also lists the security group",
            "rules in force on the port, those not enforced and why, and the flows they cost on its host."},
        subcommands = {PortsCommand.ListCommand.class, NeutronCommand.Show.class})
public final class PortsCommand extends NeutronCommand.Group {
    static final NeutronResource RESOURCE = new NeutronResource("ports", "port", "port", List.of(
            column("ID", "id"), column("NAME", "name"), column("NETWORK", "network_id"),
            column("MAC", "mac_address"), column("FIXED IPS", p -> NeutronValues.each(p.path("fixed_ips"), "ip_address")),
            column("DEVICE OWNER", "device_owner"), column("HOST", "binding:host_id"), column("STATUS", "status")));

    @Override
    NeutronResource resource() {
        return RESOURCE;
    }

    /** After the fields: the security group rules in force on the port and the flows they cost. */
    @Override
    void showMore(RestConnection connection, JsonNode port) {
        PortSecurityView.print(connection, port);
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List ports, one per line: ID, NAME, NETWORK, MAC, FIXED IPS, DEVICE OWNER,",
                "HOST (binding:host_id) and STATUS. Filters: --network, --device-owner,",
                "--device-id, --router (its interfaces and gateway), --host, --project, --name,",
                "--filter. --output json: the Neutron body ({\"ports\": [...]}), all pages.",
                "Exit codes: 0 done, 1 the server refused, 2 bad usage, 3 node unreachable."})
    static final class ListCommand extends NeutronCommand.ListBase {
        @Option(names = "--network", paramLabel = "ID", description = "Only ports on this network.")
        String network;

        @Option(names = "--device-owner", paramLabel = "OWNER",
                description = "Only ports with this device_owner (e.g. network:router_interface).")
        String deviceOwner;

        @Option(names = "--device-id", paramLabel = "ID", description = "Only ports of this device (a VM, a router).")
        String deviceId;

        @Option(names = "--router", paramLabel = "ID",
                description = "Only this router's ports (device_id = the router's ID).")
        String router;

        @Option(names = "--host", paramLabel = "HOST", description = "Only ports bound to this host.")
        String host;

        @Override
        Map<String, String> resourceFilters() {
            if (router != null && deviceId != null && !router.equals(deviceId)) {
                throw new UserException("--router and --device-id both set device_id: give one", 2);
            }
            return NeutronCommand.filters("network_id", network, "device_owner", deviceOwner,
                    "device_id", router != null ? router : deviceId, "binding:host_id", host);
        }
    }
}
