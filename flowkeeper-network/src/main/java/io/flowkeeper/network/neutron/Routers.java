package io.flowkeeper.network.neutron;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.store.Precondition;
import io.flowkeeper.network.Ipv4;
import io.flowkeeper.network.Ipv4.Cidr;
import io.flowkeeper.network.identity.Caller;
import io.flowkeeper.network.neutron.NeutronDocuments.Doc;
import io.flowkeeper.network.neutron.Ports.FixedIpRequest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Routers. The external gateway is a port ({@code network:router_gateway}) on an external network, committed with the
 * router; each interface is a port ({@code network:router_interface}) holding the subnet's gateway address.
 */
final class Routers extends Resource {
    Routers(NeutronApi api) {
        super(api);
    }

    @Override
    String collection() {
        return "routers";
    }

    @Override
    String member() {
        return "router";
    }

    @Override
    String notFoundType() {
        return "RouterNotFound";
    }

    /** Neutron's default policy shows {@code ha} and {@code distributed} to admins only. */
    @Override
    ObjectNode view(Caller caller, Doc doc, ReadCache cache) {
        ObjectNode v = doc.json().deepCopy();
        v.putArray("availability_zones");
        if (!caller.isAdmin()) {
            v.remove("ha");
            v.remove("distributed");
        }
        return v;
    }

    @Override
    Doc create(Caller caller, Body body, ReadCache cache) {
        String id = newId();
        ObjectNode d = newDoc(id, caller, body, true);
        d.put("admin_state_up", body.bool("admin_state_up", true));
        JsonNode gateway = body.raw("external_gateway_info");
        boolean ha = body.bool("ha", false);
        boolean distributed = body.bool("distributed", false);
        if ((ha || distributed) && !caller.isAdmin()) {
            throw NeutronException.forbidden("(rule:create_router:" + (ha ? "ha" : "distributed")
                    + ") is disallowed by policy");
        }
        ArrayNode zones = d.putArray("availability_zone_hints");
        body.list("availability_zone_hints").forEach(z -> zones.add(z.asText()));
        if (body.string("flavor_id", 64, null) != null) {
            throw NeutronException.invalidInput("router flavors are not supported by this server");
        }
        body.rejectUnknown();
        d.put("ha", ha).put("distributed", distributed).put("status", "ACTIVE").putNull("flavor_id");
        d.putArray("routes");
        Txn txn = new Txn();
        Ports.Plan plan = gateway(caller, d, gateway, cache, txn);
        txn.put(NeutronDocuments.doc(collection(), id), d);
        long revision = commit(txn.build(), failed -> plan == null ? new Retry(0) : plan.conflict(failed));
        return new Doc(d, revision);
    }

    /**
     * Sets {@code external_gateway_info} on the router document and adds the gateway port's claims to {@code txn};
     * returns the port's plan (null when the router gets no gateway).
     */
    private Ports.Plan gateway(Caller caller, ObjectNode router, JsonNode info, ReadCache cache, Txn txn) {
        if (info == null || info.isNull() || (info.isObject() && info.isEmpty())) {
            router.putNull("external_gateway_info");
            return null;
        }
        if (!info.isObject()) {
            throw NeutronException.invalidInput("external_gateway_info must be an object");
        }
        Body b = new Body(info, "external_gateway_info");
        String networkId = b.uuid("network_id");
        boolean snat = b.bool("enable_snat", true);
        List<FixedIpRequest> fixed = b.raw("external_fixed_ips") == null ? null
                : Ports.fixedIps(b.list("external_fixed_ips"));
        b.string("qos_policy_id", 64, null);
        b.rejectUnknown();
        if (networkId == null) {
            throw NeutronException.badRequest("Invalid input for external_gateway_info: network_id is required");
        }
        Doc network = api.networks.usable(caller, networkId);
        if (!network.json().path("router:external").asBoolean()) {
            throw NeutronException.badRequest("Bad router request: Network " + networkId
                    + " is not a valid external network.");
        }
        if (!snat && !caller.isAdmin()) {
            throw NeutronException.forbidden("(rule:create_router:external_gateway_info:enable_snat) is disallowed "
                    + "by policy");
        }
        String routerId = router.path("id").asText();
        ObjectNode port = gatewayPortDoc(routerId);
        Ports.Plan plan = api.ports.plan(port, network, fixed, null, cache, Map.of(), false);
        plan.txn.preconditions.forEach(txn::require);
        plan.txn.operations.forEach(o -> txn.operations.add(o));
        ObjectNode g = router.putObject("external_gateway_info");
        g.put("network_id", networkId).put("enable_snat", snat);
        g.set("external_fixed_ips", port.get("fixed_ips").deepCopy());
        return plan;
    }

    private ObjectNode gatewayPortDoc(String routerId) {
        ObjectNode p = NeutronDocuments.JSON.createObjectNode();
        String now = now();
        // Neutron's gateway ports belong to no project: only admins see them.
        p.put("id", newId()).put("name", "").put("description", "").put("project_id", "").put("tenant_id", "")
                .put("revision_number", 1).put("created_at", now).put("updated_at", now).put("admin_state_up", true)
                .put("device_id", routerId).put("device_owner", Ports.ROUTER_GATEWAY).put("binding:host_id", "")
                .put("binding:vif_type", "unbound").put("binding:vnic_type", "normal")
                .put("port_security_enabled", false).put("status", "DOWN");
        p.putObject("binding:profile");
        p.putArray("security_groups");
        p.putArray("allowed_address_pairs");
        p.putArray("tags");
        return p;
    }

    private List<Doc> portsOf(String routerId, String owner, ReadCache cache) {
        return cache.all("ports").stream().filter(p -> p.json().path("device_id").asText().equals(routerId)
                && p.json().path("device_owner").asText().equals(owner)).toList();
    }

    @Override
    Doc update(Caller caller, Doc current, Body body, ReadCache cache) {
        requireOwner(caller, current, "update_router");
        ObjectNode d = updatedDoc(current, body, true);
        updateFlags(caller, current, body, d, "update_router", List.of("admin_state_up"), List.of("ha", "distributed"));
        if (body.raw("routes") != null) {
            d.set("routes", routes(current.id(), body.list("routes"), cache));
        }
        body.list("availability_zone_hints");
        boolean gatewayGiven = body.has("external_gateway_info");
        JsonNode gateway = body.raw("external_gateway_info");
        body.rejectUnknown();
        String path = NeutronDocuments.doc(collection(), current.id());
        Txn txn = new Txn().require(Precondition.modRevision(path, current.modRevision()));
        Ports.Plan plan = null;
        if (gatewayGiven) {
            JsonNode old = current.json().path("external_gateway_info");
            boolean sameNetwork = gateway != null && gateway.isObject() && old.isObject()
                    && gateway.path("network_id").asText().equals(old.path("network_id").asText())
                    && !gateway.has("external_fixed_ips");
            if (sameNetwork) {
                Body b = new Body(gateway, "external_gateway_info");
                b.uuid("network_id");
                boolean snat = b.bool("enable_snat", true);
                b.string("qos_policy_id", 64, null);
                b.rejectUnknown();
                ((ObjectNode) d.get("external_gateway_info")).put("enable_snat", snat);
            } else {
                for (Doc fip : cache.all("floatingips")) {
                    if (fip.json().path("router_id").asText().equals(current.id()) && !old.isNull()) {
                        throw NeutronException.conflict("RouterExternalGatewayInUseByFloatingIp", "Gateway cannot "
                                + "be updated for router " + current.id() + ", since a gateway to external network "
                                + old.path("network_id").asText() + " is required by one or more floating IPs.");
                    }
                }
                for (Doc port : portsOf(current.id(), Ports.ROUTER_GATEWAY, cache)) {
                    api.ports.deleteOps(port, txn, cache);
                }
                plan = gateway(caller, d, gateway, cache, txn);
            }
        }
        txn.put(path, d);
        Ports.Plan gatewayPlan = plan;
        long revision = commit(txn.build(), failed -> failed.path().equals(path) || gatewayPlan == null ? new Retry(0)
                : gatewayPlan.conflict(failed));
        return new Doc(d, revision);
    }

    private ArrayNode routes(String routerId, List<JsonNode> routes, ReadCache cache) {
        List<Cidr> connected = new ArrayList<>();
        Map<String, Doc> subnets = cache.index("subnets");
        for (Doc port : cache.all("ports")) {
            if (port.json().path("device_id").asText().equals(routerId)) {
                for (JsonNode ip : port.json().path("fixed_ips")) {
                    Doc s = subnets.get(ip.path("subnet_id").asText());
                    if (s != null) {
                        connected.add(Cidr.parse(s.json().path("cidr").asText()));
                    }
                }
            }
        }
        ArrayNode out = array();
        Set<String> seen = new HashSet<>();
        for (JsonNode r : Subnets.routes(routes)) {
            long nexthop = Ipv4.parse(r.path("nexthop").asText());
            if (connected.stream().noneMatch(c -> c.contains(nexthop))) {
                throw new NeutronException(400, "InvalidRoutes", "Invalid format for routes: " + r
                        + ", the nexthop is not connected with router");
            }
            if (seen.add(r.toString())) {
                out.add(r);
            }
        }
        return out;
    }

    @Override
    void delete(Caller caller, Doc current, ReadCache cache) {
        requireOwner(caller, current, "delete_router");
        if (!portsOf(current.id(), Ports.ROUTER_INTERFACE, cache).isEmpty()) {
            throw NeutronException.conflict("RouterInUse", "Router " + current.id() + " still has ports");
        }
        for (Doc fip : cache.all("floatingips")) {
            if (fip.json().path("router_id").asText().equals(current.id())) {
                throw NeutronException.conflict("RouterInUse", "Router " + current.id()
                        + " still has floating IPs associated through it");
            }
        }
        String path = NeutronDocuments.doc(collection(), current.id());
        Txn txn = new Txn().require(Precondition.modRevision(path, current.modRevision())).delete(path);
        for (Doc port : portsOf(current.id(), Ports.ROUTER_GATEWAY, cache)) {
            api.ports.deleteOps(port, txn, cache);
        }
        commit(txn.build(), failed -> new Retry(0));
    }

    /** {@code PUT /v2.0/routers/{id}/add_router_interface} and {@code remove_router_interface}. */
    ObjectNode interfaceAction(Caller caller, String routerId, String action, JsonNode body) {
        ReadCache cache = new ReadCache(docs);
        Doc router = api.find(this, caller, routerId);
        requireOwner(caller, router, action);
        Body b = new Body(body, "router interface");
        String subnetId = b.uuid("subnet_id");
        String portId = b.uuid("port_id");
        b.rejectUnknown();
        if ((subnetId == null) == (portId == null)) {
            throw NeutronException.badRequest("Bad router request: Either subnet_id or port_id must be specified");
        }
        return switch (action) {
            case "add_router_interface" -> subnetId != null ? addSubnet(caller, router, subnetId, cache)
                    : addPort(caller, router, portId, cache);
            case "remove_router_interface" -> remove(router, subnetId, portId, cache);
            default -> throw NeutronException.notFound("HTTPNotFound", "The resource could not be found.");
        };
    }

    private ObjectNode addSubnet(Caller caller, Doc router, String subnetId, ReadCache cache) {
        Doc subnet = api.find(api.subnets, caller, subnetId);
        String gateway = subnet.json().path("gateway_ip").asText(null);
        if (subnet.json().path("gateway_ip").isNull() || gateway == null) {
            throw NeutronException.badRequest("Bad router request: Subnet " + subnetId
                    + " does not have a gateway IP.");
        }
        checkSubnetFree(router, subnetId, cache);
        checkNoOverlap(router, Cidr.parse(subnet.json().path("cidr").asText()), cache);
        String networkId = subnet.json().path("network_id").asText();
        Doc network = api.networks.usable(caller, networkId);
        ObjectNode port = gatewayPortDoc(router.id());
        String project = router.json().path("project_id").asText();
        port.put("project_id", project).put("tenant_id", project).put("device_owner", Ports.ROUTER_INTERFACE);
        Ports.Plan plan = api.ports.plan(port, network,
                List.of(new FixedIpRequest(subnetId, Ipv4.parse(gateway))), null, cache, Map.of(), false);
        commit(plan.txn.build(), plan::conflict);
        return answer(router, port.path("id").asText(), subnetId, networkId);
    }

    /**
     * A subnet is attached to one router: this one must not have it yet (Neutron's answer), and no other router may
     * have it either, since every host routes the subnet's traffic itself and its gateway is one router's address.
     * Checked before anything is written, so a refused request leaves no port behind.
     */
    private void checkSubnetFree(Doc router, String subnetId, ReadCache cache) {
        for (Doc port : cache.all("ports")) {
            if (!port.json().path("device_owner").asText().equals(Ports.ROUTER_INTERFACE)) {
                continue;
            }
            for (JsonNode ip : port.json().path("fixed_ips")) {
                if (!ip.path("subnet_id").asText().equals(subnetId)) {
                    continue;
                }
                String owner = port.json().path("device_id").asText();
                if (owner.equals(router.id())) {
                    throw NeutronException.badRequest("Bad router request: Router already has a port on subnet "
                            + subnetId + ".");
                }
                throw NeutronException.conflict("SubnetInUseByRouter", "Subnet " + subnetId + " is already "
                        + "attached to router " + owner + "; a subnet can be attached to one router only.");
            }
        }
    }

    private void checkNoOverlap(Doc router, Cidr cidr, ReadCache cache) {
        Map<String, Doc> subnets = cache.index("subnets");
        for (Doc port : portsOf(router.id(), Ports.ROUTER_INTERFACE, cache)) {
            for (JsonNode ip : port.json().path("fixed_ips")) {
                Doc s = subnets.get(ip.path("subnet_id").asText());
                if (s != null && Cidr.parse(s.json().path("cidr").asText()).overlaps(cidr)) {
                    throw NeutronException.badRequest("Bad router request: Cidr " + cidr + " of subnet "
                            + ip.path("subnet_id").asText() + " overlaps with cidr " + s.json().path("cidr").asText()
                            + " of subnet " + s.id() + ".");
                }
            }
        }
    }

    private ObjectNode addPort(Caller caller, Doc router, String portId, ReadCache cache) {
        Doc port = api.find(api.ports, caller, portId);
        if (!port.json().path("device_id").asText().isEmpty() || !port.json().path("device_owner").asText().isEmpty()) {
            throw NeutronException.conflict("PortInUse", "Unable to complete operation on port " + portId
                    + " for network " + port.json().path("network_id").asText() + ". Port already has an attached "
                    + "device " + port.json().path("device_id").asText() + ".");
        }
        JsonNode ips = port.json().path("fixed_ips");
        if (ips.isEmpty()) {
            throw NeutronException.badRequest("Bad router request: Router port must have at least one fixed IP");
        }
        Map<String, Doc> subnets = cache.index("subnets");
        for (JsonNode ip : ips) {
            Doc s = subnets.get(ip.path("subnet_id").asText());
            if (s != null) {
                checkSubnetFree(router, s.id(), cache);
                checkNoOverlap(router, Cidr.parse(s.json().path("cidr").asText()), cache);
            }
        }
        ObjectNode d = port.json().deepCopy();
        d.put("device_id", router.id()).put("device_owner", Ports.ROUTER_INTERFACE)
                .put("revision_number", d.path("revision_number").asLong() + 1).put("updated_at", now());
        String path = NeutronDocuments.doc("ports", portId);
        commit(new Txn().require(Precondition.modRevision(path, port.modRevision())).put(path, d).build(),
                failed -> new Retry(0));
        return answer(router, portId, ips.get(0).path("subnet_id").asText(), d.path("network_id").asText());
    }

    private ObjectNode remove(Doc router, String subnetId, String portId, ReadCache cache) {
        for (Doc port : portsOf(router.id(), Ports.ROUTER_INTERFACE, cache)) {
            boolean match = portId != null ? port.id().equals(portId) : false;
            String subnet = null;
            for (JsonNode ip : port.json().path("fixed_ips")) {
                if (subnetId != null && ip.path("subnet_id").asText().equals(subnetId)) {
                    match = true;
                }
                subnet = subnet == null ? ip.path("subnet_id").asText() : subnet;
            }
            if (match) {
                requireNoRouteThrough(router, port, cache);
                Txn txn = new Txn();
                api.ports.deleteOps(port, txn, cache);
                commit(txn.build(), failed -> new Retry(0));
                return answer(router, port.id(), subnetId != null ? subnetId : subnet,
                        port.json().path("network_id").asText());
            }
        }
        throw subnetId != null
                ? NeutronException.notFound("RouterInterfaceNotFoundForSubnet", "Router " + router.id()
                        + " has no interface on subnet " + subnetId)
                : NeutronException.notFound("RouterInterfaceNotFound", "Router " + router.id()
                        + " does not have an interface with id " + portId);
    }

    /** Neutron keeps an interface a static route's next hop is reached through. */
    private static void requireNoRouteThrough(Doc router, Doc port, ReadCache cache) {
        Map<String, Doc> subnets = cache.index("subnets");
        for (JsonNode ip : port.json().path("fixed_ips")) {
            Doc s = subnets.get(ip.path("subnet_id").asText());
            Cidr cidr = s == null ? null : Cidr.parse(s.json().path("cidr").asText());
            for (JsonNode route : router.json().path("routes")) {
                long hop = Ipv4.parse(route.path("nexthop").asText());
                if (cidr != null && hop >= 0 && cidr.contains(hop)) {
                    throw NeutronException.conflict("RouterInterfaceInUseByRoute", "Router interface for subnet "
                            + s.id() + " on router " + router.id() + " cannot be deleted, as it is required by one "
                            + "or more routes.");
                }
            }
        }
    }

    private static ObjectNode answer(Doc router, String portId, String subnetId, String networkId) {
        String project = router.json().path("project_id").asText();
        ObjectNode out = NeutronDocuments.JSON.createObjectNode().put("id", router.id()).put("tenant_id", project)
                .put("project_id", project).put("port_id", portId).put("subnet_id", subnetId)
                .put("network_id", networkId);
        out.putArray("subnet_ids").add(subnetId);
        return out;
    }
}
