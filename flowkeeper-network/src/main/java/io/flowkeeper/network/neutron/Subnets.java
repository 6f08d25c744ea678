package io.flowkeeper.network.neutron;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.store.Precondition;
import io.flowkeeper.network.Ipv4;
import io.flowkeeper.network.Ipv4.Cidr;
import io.flowkeeper.network.identity.Caller;
import io.flowkeeper.network.neutron.NeutronDocuments.Doc;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * IPv4 subnets: CIDR, gateway, allocation pools, DNS servers, host routes. Addresses in use are the claims under
 * {@code /neutron/ipam/{subnet}}; a subnet with any claim cannot be deleted.
 */
final class Subnets extends Resource {
    Subnets(NeutronApi api) {
        super(api);
    }

    @Override
    String collection() {
        return "subnets";
    }

    @Override
    String member() {
        return "subnet";
    }

    @Override
    String notFoundType() {
        return "SubnetNotFound";
    }

    /**
     * Another project's subnet is visible only on a shared network. An external network is visible to every project
     * (to pick it for a gateway or a floating IP) but its subnets are not, as in Neutron without the
     * {@code subnet-external-network} extension.
     */
    @Override
    boolean visible(Caller caller, ObjectNode doc) {
        if (caller.owns(doc.path("project_id").asText())) {
            return true;
        }
        return docs.get("networks", doc.path("network_id").asText()).map(n -> n.json().path("shared").asBoolean())
                .orElse(false);
    }

    @Override
    Doc create(Caller caller, Body body, ReadCache cache) {
        String id = newId();
        ObjectNode d = newDoc(id, caller, body, true);
        String networkId = body.uuid("network_id");
        Integer ipVersion = body.integer("ip_version", 0, 100);
        String cidrText = body.string("cidr", 64, null);
        boolean gatewayGiven = body.has("gateway_ip");
        String gatewayText = body.string("gateway_ip", 64, null);
        List<JsonNode> pools = body.list("allocation_pools");
        boolean poolsGiven = body.raw("allocation_pools") != null && !body.raw("allocation_pools").isNull();
        List<JsonNode> dns = body.list("dns_nameservers");
        List<JsonNode> routes = body.list("host_routes");
        boolean dhcp = body.bool("enable_dhcp", true);
        for (String nullOnly : List.of("subnetpool_id", "ipv6_ra_mode", "ipv6_address_mode", "segment_id")) {
            if (body.string(nullOnly, 64, null) != null) {
                throw NeutronException.invalidInput(nullOnly + " is not supported by this server");
            }
        }
        if (Boolean.TRUE.equals(body.bool("use_default_subnet_pool", false))) {
            throw NeutronException.invalidInput("subnet pools are not supported by this server");
        }
        if (!body.list("service_types").isEmpty()) {
            throw NeutronException.invalidInput("service_types are not supported by this server");
        }
        body.rejectUnknown();
        if (networkId == null) {
            throw NeutronException.badRequest("Failed to parse request. Required attribute 'network_id' not specified");
        }
        if (ipVersion == null || ipVersion != 4) {
            throw NeutronException.invalidInput(ipVersion == null ? "ip_version is required"
                    : ipVersion == 6 ? "IPv6 subnets are not supported by this server" : ipVersion
                    + " is not in [4, 6]");
        }
        Cidr cidr = cidr(cidrText);
        Doc network = api.networks.usable(caller, networkId);
        if (!caller.owns(network.json().path("project_id").asText())) {
            throw NeutronException.forbidden("(rule:create_subnet) is disallowed by policy: network " + networkId
                    + " belongs to another project");
        }
        for (Doc other : cache.all("subnets")) {
            if (other.json().path("network_id").asText().equals(networkId)
                    && Cidr.parse(other.json().path("cidr").asText()).overlaps(cidr)) {
                throw NeutronException.invalidInput("Requested subnet with cidr: " + cidr + " for network: "
                        + networkId + " overlaps with another subnet");
            }
        }
        long gateway = gatewayGiven ? gateway(gatewayText, cidr) : cidr.firstHost() <= cidr.lastHost()
                ? cidr.firstHost() : -1;
        List<long[]> ranges = poolsGiven ? pools(pools, cidr, gateway) : defaultPools(cidr, gateway);
        d.put("network_id", networkId).put("ip_version", 4).put("cidr", cidr.toString());
        if (gateway < 0) {
            d.putNull("gateway_ip");
        } else {
            d.put("gateway_ip", Ipv4.format(gateway));
        }
        d.set("allocation_pools", poolsJson(ranges));
        d.set("dns_nameservers", dns(dns));
        d.set("host_routes", routes(routes));
        d.put("enable_dhcp", dhcp);
        d.putNull("ipv6_ra_mode").putNull("ipv6_address_mode").putNull("subnetpool_id").putNull("segment_id");
        d.putArray("service_types");
        // Pinning the network also orders concurrent subnets of one network, so the overlap check above holds.
        Txn txn = new Txn().require(Precondition.absent(NeutronDocuments.deleting(networkId)))
                .put(NeutronDocuments.doc("subnets", id), d);
        api.networks.bumpForSubnetChange(network, txn);
        long revision = commit(txn.build(), failed -> failed.path().equals(NeutronDocuments.deleting(networkId))
                ? api.networks.notFound(networkId) : new Retry(0));
        return new Doc(d, revision);
    }

    static Cidr cidr(String text) {
        if (text == null) {
            throw NeutronException.badRequest("Failed to parse request. Required attribute 'cidr' not specified");
        }
        Cidr cidr = Cidr.parse(text);
        if (cidr == null) {
            throw NeutronException.invalidInput("'" + Body.abbreviate(text) + "' is not a valid IP subnet");
        }
        if (!cidr.isNetworkAddress()) {
            throw NeutronException.invalidInput("'" + text + "' isn't a recommended CIDR, '" + cidr.normalized()
                    + "' is recommended");
        }
        return cidr;
    }

    private static long gateway(String text, Cidr cidr) {
        if (text == null) {
            return -1;
        }
        long gw = Ipv4.parse(text);
        if (gw < 0) {
            throw NeutronException.invalidInput("'" + Body.abbreviate(text) + "' is not a valid IP address");
        }
        if (gw < cidr.firstHost() || gw > cidr.lastHost()) {
            throw NeutronException.invalidInput("Gateway IP " + text + " is not a host address of subnet " + cidr);
        }
        return gw;
    }

    private static List<long[]> defaultPools(Cidr cidr, long gateway) {
        List<long[]> out = new ArrayList<>();
        long first = cidr.firstHost();
        long last = cidr.lastHost();
        if (first > last) {
            return out;
        }
        if (gateway >= first && gateway <= last) {
            if (gateway > first) {
                out.add(new long[] {first, gateway - 1});
            }
            if (gateway < last) {
                out.add(new long[] {gateway + 1, last});
            }
        } else {
            out.add(new long[] {first, last});
        }
        return out;
    }

    private static List<long[]> pools(List<JsonNode> pools, Cidr cidr, long gateway) {
        List<long[]> out = new ArrayList<>();
        for (JsonNode p : pools) {
            long start = Ipv4.parse(p.path("start").asText(null));
            long end = Ipv4.parse(p.path("end").asText(null));
            if (!p.isObject() || start < 0 || end < 0 || p.size() != 2) {
                throw NeutronException.invalidInput("'" + Body.abbreviate(p.toString())
                        + "' is not a valid allocation pool: expected {\"start\": ip, \"end\": ip}");
            }
            if (start > end) {
                throw NeutronException.badRequest("The allocation pool " + p.path("start").asText() + "-"
                        + p.path("end").asText() + " is not valid: start is after end.");
            }
            if (start < cidr.firstHost() || end > cidr.lastHost()) {
                throw new NeutronException(400, "OutOfBoundsAllocationPool", "The allocation pool "
                        + Ipv4.format(start) + "-" + Ipv4.format(end) + " spans beyond the subnet cidr " + cidr + ".");
            }
            for (long[] other : out) {
                if (start <= other[1] && other[0] <= end) {
                    throw new NeutronException(400, "OverlappingAllocationPools", "Found overlapping allocation "
                            + "pools: " + Ipv4.format(other[0]) + "-" + Ipv4.format(other[1]) + " and "
                            + Ipv4.format(start) + "-" + Ipv4.format(end) + " for subnet " + cidr + ".");
                }
            }
            if (gateway >= start && gateway <= end) {
                throw NeutronException.conflict("GatewayConflictWithAllocationPools", "Gateway ip "
                        + Ipv4.format(gateway) + " conflicts with allocation pool " + Ipv4.format(start) + "-"
                        + Ipv4.format(end) + ".");
            }
            out.add(new long[] {start, end});
        }
        return out;
    }

    private static ArrayNode poolsJson(List<long[]> ranges) {
        ArrayNode a = array();
        ranges.forEach(r -> a.addObject().put("start", Ipv4.format(r[0])).put("end", Ipv4.format(r[1])));
        return a;
    }

    private static ArrayNode dns(List<JsonNode> servers) {
        ArrayNode a = array();
        Set<String> seen = new HashSet<>();
        for (JsonNode s : servers) {
            if (Ipv4.parse(s.asText(null)) < 0) {
                throw NeutronException.invalidInput("'" + Body.abbreviate(s.toString())
                        + "' is not a valid nameserver");
            }
            if (!seen.add(s.asText())) {
                throw NeutronException.invalidInput("Duplicate nameserver '" + s.asText() + "'");
            }
            a.add(s.asText());
        }
        return a;
    }

    /** Validated, normalized routes ({@code host_routes}, and a router's {@code routes}). */
    static ArrayNode routes(List<JsonNode> routes) {
        ArrayNode a = array();
        for (JsonNode r : routes) {
            Cidr destination = Cidr.parse(r.path("destination").asText(null));
            long nexthop = Ipv4.parse(r.path("nexthop").asText(null));
            if (destination == null || !destination.isNetworkAddress() || nexthop < 0) {
                throw NeutronException.invalidInput("'" + Body.abbreviate(r.toString())
                        + "' is not a valid route: expected {\"destination\": cidr, \"nexthop\": ip}");
            }
            a.addObject().put("destination", destination.toString()).put("nexthop", Ipv4.format(nexthop));
        }
        return a;
    }

    /**
     * A random free address of the subnet's pools in this replica's view, not one of {@code claimedHere} (claim paths
     * the caller is about to take), or -1 when the pools are full. A guess: the claim's precondition decides.
     */
    long pickAddress(Doc subnet, Set<String> claimedHere) {
        String id = subnet.id();
        return Allocation.pickFree(ranges(subnet.json()), address -> {
            String claim = NeutronDocuments.ipClaim(id, Ipv4.format(address));
            return claimedHere.contains(claim) || docs.exists(claim);
        }, () -> {
            Set<Long> taken = Allocation.addresses(docs.childNames(NeutronDocuments.ipClaims(id)));
            for (String c : claimedHere) {
                if (c.startsWith(NeutronDocuments.ipClaims(id) + "/")) {
                    taken.add(Ipv4.parse(c.substring(c.lastIndexOf('/') + 1)));
                }
            }
            return taken;
        }, api.random());
    }

    /** The allocation pools of a stored subnet as inclusive ranges. */
    static List<long[]> ranges(ObjectNode subnet) {
        List<long[]> out = new ArrayList<>();
        for (JsonNode p : subnet.path("allocation_pools")) {
            out.add(new long[] {Ipv4.parse(p.path("start").asText()), Ipv4.parse(p.path("end").asText())});
        }
        return out;
    }

    @Override
    Doc update(Caller caller, Doc current, Body body, ReadCache cache) {
        requireOwner(caller, current, "update_subnet");
        ObjectNode d = updatedDoc(current, body, true);
        Cidr cidr = Cidr.parse(d.path("cidr").asText());
        for (String readOnly : List.of("network_id", "cidr", "ip_version")) {
            JsonNode v = body.raw(readOnly);
            if (v != null && !v.asText().equals(current.json().path(readOnly).asText())) {
                throw NeutronException.badRequest("Cannot update read-only attribute " + readOnly);
            }
        }
        long gateway = d.path("gateway_ip").isNull() ? -1 : Ipv4.parse(d.path("gateway_ip").asText());
        if (body.has("gateway_ip")) {
            gateway = gateway(body.string("gateway_ip", 64, null), cidr);
            if (gateway < 0) {
                d.putNull("gateway_ip");
            } else {
                d.put("gateway_ip", Ipv4.format(gateway));
            }
        }
        List<JsonNode> pools = body.list("allocation_pools");
        if (body.raw("allocation_pools") != null && !body.raw("allocation_pools").isNull()) {
            d.set("allocation_pools", poolsJson(pools(pools, cidr, gateway)));
        } else {
            for (long[] r : ranges(d)) {
                if (gateway >= r[0] && gateway <= r[1]) {
                    throw NeutronException.conflict("GatewayConflictWithAllocationPools", "Gateway ip "
                            + Ipv4.format(gateway) + " conflicts with allocation pool " + Ipv4.format(r[0]) + "-"
                            + Ipv4.format(r[1]) + ".");
                }
            }
        }
        if (body.raw("dns_nameservers") != null) {
            d.set("dns_nameservers", dns(body.list("dns_nameservers")));
        }
        if (body.raw("host_routes") != null) {
            d.set("host_routes", routes(body.list("host_routes")));
        }
        if (body.has("enable_dhcp")) {
            d.put("enable_dhcp", body.bool("enable_dhcp", true));
        }
        body.string("segment_id", 64, null);
        body.list("service_types");
        body.rejectUnknown();
        String path = NeutronDocuments.doc(collection(), current.id());
        Txn txn = new Txn().require(Precondition.modRevision(path, current.modRevision())).put(path, d);
        network(current).ifPresent(n -> api.networks.bumpForSubnetChange(n, txn));
        return new Doc(d, commit(txn.build(), failed -> new Retry(0)));
    }

    private java.util.Optional<Doc> network(Doc subnet) {
        return docs.get("networks", subnet.json().path("network_id").asText());
    }

    @Override
    void delete(Caller caller, Doc current, ReadCache cache) {
        requireOwner(caller, current, "delete_subnet");
        String id = current.id();
        deleteUnlessInUse(id, cache, view -> !docs.childNames(NeutronDocuments.ipClaims(id)).isEmpty(),
                () -> NeutronException.conflict("SubnetInUse", "Unable to complete operation on subnet " + id
                        + ": One or more ports have an IP allocation from this subnet."),
                view -> {
                    Txn txn = new Txn().delete(NeutronDocuments.doc("subnets", id))
                            .deletePrefix(NeutronDocuments.ipClaims(id));
                    network(current).ifPresent(n -> api.networks.bumpForSubnetChange(n, txn));
                    return txn;
                });
    }
}
