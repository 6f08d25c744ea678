package io.flowkeeper.cli.network;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.network.Port;
import io.flowkeeper.api.network.SecurityGroup;
import io.flowkeeper.api.network.SecurityGroupRule;
import io.flowkeeper.api.network.Subnet;
import io.flowkeeper.cli.RestConnection;
import io.flowkeeper.cli.TextTable;
import io.flowkeeper.network.NetworkManager;
import io.flowkeeper.network.dataplane.HostView.SecuredPort;
import io.flowkeeper.network.dataplane.HostViews;
import io.flowkeeper.network.dataplane.SecurityGroupFlows;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The security part of {@code flowkeeper ports show}: the rules in force on the port (the rules of all its groups),
 * those the data plane does not enforce and why, and the flows they cost on the port's host, compiled here by the
 * same {@link SecurityGroupFlows} the nodes use, from what the API answers.
 */
final class PortSecurityView {
    private PortSecurityView() {
    }

    static void print(RestConnection connection, JsonNode portJson) {
        Port port = NetworkManager.port(portJson);
        if (!port.portSecurityEnabled()) {
            System.out.println();
            System.out.println("security: port security off: no rules, no anti-spoofing, 0 flows");
            return;
        }
        Map<String, SecurityGroup> groups = new HashMap<>();
        boolean remote = false;
        for (String id : port.securityGroups()) {
            JsonNode g = connection.callOpenStack("GET", "/v2.0/security-groups/" + id, null).body()
                    .path("security_group");
            List<SecurityGroupRule> rules = new ArrayList<>();
            g.path("security_group_rules").forEach(r -> rules.add(NetworkManager.rule(r)));
            remote |= rules.stream().anyMatch(r -> r.remoteGroupId() != null && !r.remoteGroupId().isEmpty());
            groups.put(id, new SecurityGroup(id, g.path("name").asText(), g.path("project_id").asText(), rules, 0));
        }
        List<Port> all = new ArrayList<>();
        if (remote) {
            NeutronCommand.listAll(connection, PortsCommand.RESOURCE, Map.of())
                    .forEach(p -> all.add(NetworkManager.port(p)));
        }
        List<Subnet> subnets = new ArrayList<>();
        NeutronCommand.listAll(connection, SubnetsCommand.RESOURCE, Map.of("network_id", port.networkId()))
                .forEach(s -> subnets.add(NetworkManager.subnet(s)));
        // the port number and network tag change no flow count: any will do
        SecuredPort secured = HostViews.securedPort(port, 1, 1, HostViews.gateways(subnets), groups,
                remote ? HostViews.groupMembers(all) : null);
        List<Flow> flows = SecurityGroupFlows.port(secured);
        Map<String, String> refused = new HashMap<>();
        SecurityGroupFlows.refused(secured).forEach(r -> refused.put(r.rule().id(), r.reason()));
        List<List<String>> rows = new ArrayList<>();
        for (SecurityGroupRule r : secured.rules()) {
            String ports = r.portRangeMin() == null ? "any" : r.portRangeMin() + (r.portRangeMax() == null
                    || r.portRangeMax().equals(r.portRangeMin()) ? "" : "-" + r.portRangeMax());
            String from = r.remoteGroupId() != null && !r.remoteGroupId().isEmpty()
                    ? "group " + r.remoteGroupId() + " (" + secured.remoteGroups().getOrDefault(r.remoteGroupId(),
                    List.of()).size() + " addresses)"
                    : r.remoteIpPrefix() == null || r.remoteIpPrefix().isEmpty() ? "any" : r.remoteIpPrefix();
            rows.add(List.of(r.direction(), r.ethertype(), r.protocol() == null ? "any" : r.protocol(), ports, from,
                    refused.getOrDefault(r.id(), "in force"), r.id()));
        }
        System.out.println();
        System.out.println("security: " + secured.rules().size() + " rules from " + port.securityGroups().size()
                + " groups, " + flows.size() + " flows on the port's host (stateful, conntrack zone per port)");
        if (rows.isEmpty()) {
            System.out.println("no rules: nothing but DHCP and ARP gets in or out");
        } else {
            System.out.print(TextTable.render(List.of("DIRECTION", "ETHERTYPE", "PROTOCOL", "PORTS", "REMOTE",
                    "STATUS", "RULE"), rows));
        }
    }
}
