package io.flowkeeper.network.neutron;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.store.Precondition;
import io.flowkeeper.network.Ipv4;
import io.flowkeeper.network.Ipv4.Cidr;
import io.flowkeeper.network.identity.Caller;
import io.flowkeeper.network.neutron.NeutronDocuments.Doc;
import java.util.HashSet;
import java.util.List;

/**
 * Floating IPs: an address claimed on an external network's subnet (owner kind {@code floatingip}), optionally
 * associated with one fixed address of a port. The association claims {@code /neutron/fip-ports/{port}/{address}}, so
 * one fixed address never has two floating IPs, and names the router that connects the port's subnet to the external
 * network.
 */
final class FloatingIps extends Resource {
    FloatingIps(NeutronApi api) {
        super(api);
    }

    @Override
    String collection() {
        return "floatingips";
    }

    @Override
    String member() {
        return "floatingip";
    }

    @Override
    String notFoundType() {
        return "FloatingIPNotFound";
    }

    @Override
    Doc create(Caller caller, Body body, ReadCache cache) {
        String id = newId();
        ObjectNode d = newDoc(id, caller, body, false);
        String networkId = body.uuid("floating_network_id");
        String address = body.string("floating_ip_address", 64, null);
        String subnetId = body.uuid("subnet_id");
        String portId = body.uuid("port_id");
        String fixed = body.string("fixed_ip_address", 64, null);
        body.rejectUnknown();
        if (networkId == null) {
            throw NeutronException.badRequest("Failed to parse request. Required attribute 'floating_network_id' not "
                    + "specified");
        }
        Doc network = api.networks.usable(caller, networkId);
        if (!network.json().path("router:external").asBoolean()) {
            throw NeutronException.badRequest("Bad floatingip request: Network " + networkId
                    + " is not a valid external network.");
        }
        long requested = -1;
        if (address != null) {
            requested = Ipv4.parse(address);
            if (requested < 0) {
                throw NeutronException.invalidInput("'" + Body.abbreviate(address) + "' is not a valid IP address");
            }
        }
        Doc subnet = null;
        long ip = -1;
        List<Doc> subnets = cache.all("subnets").stream()
                .filter(s -> s.json().path("network_id").asText().equals(networkId))
                .filter(s -> subnetId == null || s.id().equals(subnetId)).toList();
        if (subnetId != null && subnets.isEmpty()) {
            throw NeutronException.badRequest("Bad floatingip request: subnet " + subnetId + " is not on network "
                    + networkId);
        }
        for (Doc s : subnets) {
            Cidr cidr = Cidr.parse(s.json().path("cidr").asText());
            if (requested >= 0) {
                if (cidr.contains(requested)) {
                    if (requested < cidr.firstHost() || requested > cidr.lastHost()
                            || s.json().path("gateway_ip").asText("").equals(address)) {
                        throw new NeutronException(400, "InvalidIpForSubnet", "IP address " + address
                                + " is not a valid IP for the specified subnet.");
                    }
                    subnet = s;
                    ip = requested;
                    break;
                }
                continue;
            }
            long pick = api.subnets.pickAddress(s, java.util.Set.of());
            if (pick >= 0) {
                subnet = s;
                ip = pick;
                break;
            }
        }
        if (subnet == null) {
            throw requested >= 0 ? new NeutronException(400, "InvalidIpForNetwork", "IP address " + address
                    + " is not a valid IP for any of the subnets on the specified network.")
                    : new NeutronException(400, "ExternalIpAddressExhausted", "Unable to find any IP address on "
                    + "external network " + networkId + ".");
        }
        String claim = NeutronDocuments.ipClaim(subnet.id(), Ipv4.format(ip));
        d.put("floating_network_id", networkId).put("floating_ip_address", Ipv4.format(ip)).put("status", "DOWN");
        Txn txn = new Txn().require(Precondition.exists(NeutronDocuments.doc("networks", networkId)))
                .require(Precondition.absent(NeutronDocuments.deleting(networkId)))
                .require(Precondition.exists(NeutronDocuments.doc("subnets", subnet.id())))
                .require(Precondition.absent(NeutronDocuments.deleting(subnet.id())))
                .require(Precondition.absent(claim)).put(claim, NeutronDocuments.owner(id, "floatingip"));
        String association = associate(caller, d, portId, fixed, cache, txn);
        txn.put(NeutronDocuments.doc(collection(), id), d);
        boolean addressRequested = requested >= 0;
        long revision = commit(txn.build(), failed -> {
            if (failed.path().equals(claim)) {
                return addressRequested ? NeutronException.conflict("IpAddressAlreadyAllocated", "IP address "
                        + address + " already allocated in subnet " + claim.split("/")[3]) : new Retry(0);
            }
            if (failed.path().equals(association)) {
                return alreadyAssociated(portId, d.path("fixed_ip_address").asText());
            }
            return new Retry(0);
        });
        return new Doc(d, revision);
    }

    private static NeutronException alreadyAssociated(String portId, String fixed) {
        return NeutronException.conflict("FloatingIPPortAlreadyAssociated", "Cannot associate floating IP with port "
                + portId + " using fixed IP " + fixed + ", as that fixed IP already has a floating IP.");
    }

    /**
     * Sets port_id, fixed_ip_address and router_id on {@code d} (nulls when {@code portId} is null) and adds the
     * association claim to {@code txn}; returns the claim's path (null when not associated).
     */
    private String associate(Caller caller, ObjectNode d, String portId, String fixed, ReadCache cache, Txn txn) {
        if (portId == null) {
            if (fixed != null) {
                throw NeutronException.badRequest("fixed_ip_address needs a port_id");
            }
            d.putNull("port_id").putNull("fixed_ip_address").putNull("router_id");
            return null;
        }
        Doc port = api.find(api.ports, caller, portId);
        JsonNode chosen = null;
        for (JsonNode ip : port.json().path("fixed_ips")) {
            if (fixed == null || ip.path("ip_address").asText().equals(fixed)) {
                chosen = ip;
                break;
            }
        }
        if (chosen == null) {
            throw NeutronException.badRequest(fixed == null ? "Bad floatingip request: Port " + portId
                    + " does not have any IPv4 address" : "Bad floatingip request: Port " + portId
                    + " does not have fixed ip " + fixed);
        }
        String router = routerFor(d.path("floating_network_id").asText(), chosen.path("subnet_id").asText(), cache);
        if (router == null) {
            throw NeutronException.notFound("ExternalGatewayForFloatingIPNotFound", "External network "
                    + d.path("floating_network_id").asText() + " is not reachable from subnet "
                    + chosen.path("subnet_id").asText() + ". Therefore, cannot associate Port " + portId
                    + " with a Floating IP.");
        }
        String address = chosen.path("ip_address").asText();
        for (Doc other : cache.all(collection())) {
            if (!other.id().equals(d.path("id").asText()) && other.json().path("port_id").asText().equals(portId)
                    && other.json().path("fixed_ip_address").asText().equals(address)) {
                throw alreadyAssociated(portId, address);
            }
        }
        d.put("port_id", portId).put("fixed_ip_address", address).put("router_id", router);
        String claim = NeutronDocuments.fipPort(portId, address);
        txn.require(Precondition.exists(NeutronDocuments.doc("ports", portId))).require(Precondition.absent(claim))
                .put(claim, NeutronDocuments.owner(d.path("id").asText(), "floatingip"));
        return claim;
    }

    /** The router with a gateway on {@code externalNetwork} and an interface on {@code subnetId}, or null. */
    private String routerFor(String externalNetwork, String subnetId, ReadCache cache) {
        java.util.Set<String> withGateway = new HashSet<>();
        for (Doc r : cache.all("routers")) {
            if (r.json().path("external_gateway_info").path("network_id").asText().equals(externalNetwork)) {
                withGateway.add(r.id());
            }
        }
        for (Doc p : cache.all("ports")) {
            if (p.json().path("device_owner").asText().equals(Ports.ROUTER_INTERFACE)
                    && withGateway.contains(p.json().path("device_id").asText())) {
                for (JsonNode ip : p.json().path("fixed_ips")) {
                    if (ip.path("subnet_id").asText().equals(subnetId)) {
                        return p.json().path("device_id").asText();
                    }
                }
            }
        }
        return null;
    }

    @Override
    Doc update(Caller caller, Doc current, Body body, ReadCache cache) {
        requireOwner(caller, current, "update_floatingip");
        ObjectNode d = updatedDoc(current, body, false);
        boolean portGiven = body.has("port_id");
        String portId = body.uuid("port_id");
        String fixed = body.string("fixed_ip_address", 64, null);
        body.rejectUnknown();
        String path = NeutronDocuments.doc(collection(), current.id());
        Txn txn = new Txn().require(Precondition.modRevision(path, current.modRevision()));
        String association = null;
        if (portGiven) {
            String oldPort = current.json().path("port_id").asText(null);
            if (!current.json().path("port_id").isNull() && oldPort != null) {
                txn.delete(NeutronDocuments.fipPort(oldPort, current.json().path("fixed_ip_address").asText()));
            }
            association = associate(caller, d, portId, fixed, cache, txn);
        }
        txn.put(path, d);
        String claim = association;
        long revision = commit(txn.build(), failed -> failed.path().equals(claim)
                ? alreadyAssociated(portId, d.path("fixed_ip_address").asText()) : new Retry(0));
        return new Doc(d, revision);
    }

    @Override
    void delete(Caller caller, Doc current, ReadCache cache) {
        requireOwner(caller, current, "delete_floatingip");
        String path = NeutronDocuments.doc(collection(), current.id());
        Txn txn = new Txn().require(Precondition.modRevision(path, current.modRevision())).delete(path);
        String network = current.json().path("floating_network_id").asText();
        String address = current.json().path("floating_ip_address").asText();
        for (Doc s : cache.all("subnets")) {
            if (s.json().path("network_id").asText().equals(network)
                    && Cidr.parse(s.json().path("cidr").asText()).contains(Ipv4.parse(address))) {
                txn.delete(NeutronDocuments.ipClaim(s.id(), address));
            }
        }
        if (!current.json().path("port_id").isNull()) {
            txn.delete(NeutronDocuments.fipPort(current.json().path("port_id").asText(),
                    current.json().path("fixed_ip_address").asText()));
        }
        commit(txn.build(), failed -> new Retry(0));
    }

}
