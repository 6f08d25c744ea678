package io.flowkeeper.network.neutron;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.store.CommitResult;
import io.flowkeeper.api.store.Precondition;
import io.flowkeeper.network.Ipv4;
import io.flowkeeper.network.Ipv4.Cidr;
import io.flowkeeper.network.identity.Caller;
import io.flowkeeper.network.neutron.NeutronDocuments.Doc;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Ports: fixed IPs (requested, or picked at random among a subnet's free pool addresses) and a MAC (requested, or
 * random under the configured base), each claimed in the port's own transaction. A pick that loses a race is
 * retried with a fresh view; a requested address or MAC that is taken is a 409. Deleting a port deletes its claims
 * (and its binding) in the same transaction, so addresses are never leaked.
 */
final class Ports extends Resource {
    static final String ROUTER_INTERFACE = "network:router_interface";
    static final String ROUTER_GATEWAY = "network:router_gateway";
    private static final Pattern MAC = Pattern.compile("[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}");
    /** Attributes only an admin sees or sets (Neutron's default policy: {@code rule:admin_only}). */
    private static final List<String> ADMIN_ONLY = List.of("binding:host_id", "binding:vif_type",
            "binding:vif_details", "binding:profile");

    Ports(NeutronApi api) {
        super(api);
    }

    @Override
    String collection() {
        return "ports";
    }

    @Override
    String member() {
        return "port";
    }

    @Override
    String notFoundType() {
        return "PortNotFound";
    }

    @Override
    ObjectNode view(Caller caller, Doc doc, ReadCache cache) {
        ObjectNode v = doc.json().deepCopy();
        if (!caller.isAdmin()) {
            // Neutron's policy: a port's binding (where it runs, how it is plugged) is the operator's business.
            ADMIN_ONLY.forEach(v::remove);
        } else if (!v.has("binding:vif_details")) {
            v.putObject("binding:vif_details");
        }
        v.put("ip_allocation", "immediate");
        return v;
    }

    /** Refuses a non-admin's attempt to set an admin-only binding attribute, as Neutron's policy does. */
    private static void checkBindingPolicy(Caller caller, Body body, String action) {
        if (caller.isAdmin()) {
            return;
        }
        for (String key : List.of("binding:host_id", "binding:profile")) {
            if (body.has(key)) {
                throw NeutronException.forbidden("(rule:" + action + " and rule:" + action + ":" + key
                        + ") is disallowed by policy");
            }
        }
    }

    /** One wanted address: a subnet and/or an address; {@code address} -1 means "any free one". */
    record FixedIpRequest(String subnetId, long address) {}

    /**
     * A port about to be committed: the document, the transaction that claims its addresses and MAC, and which
     * claims the caller asked for (a conflict on those is the caller's error, on the others a reason to pick again).
     */
    final class Plan {
        final ObjectNode doc;
        final Txn txn = new Txn();
        final Set<String> requestedClaims = new HashSet<>();
        final Map<String, String> subnetOfClaim = new HashMap<>();
        String macClaim;

        Plan(ObjectNode doc) {
            this.doc = doc;
        }

        /** The port's security groups must still exist when it commits. */
        void requireGroups(JsonNode groupIds) {
            groupIds.forEach(g -> txn.require(Precondition.exists(NeutronDocuments.doc("security-groups",
                    g.asText()))));
        }

        RuntimeException conflict(Precondition failed) {
            String path = failed.path();
            if (path.equals(macClaim)) {
                return requestedClaims.contains(path) ? NeutronException.conflict("MacAddressInUse", "Unable to "
                        + "complete operation for network " + doc.path("network_id").asText() + ". The mac address "
                        + doc.path("mac_address").asText() + " is in use.") : new Retry(0);
            }
            if (subnetOfClaim.containsKey(path)) {
                return requestedClaims.contains(path) ? NeutronException.conflict("IpAddressAlreadyAllocated",
                        "IP address " + path.substring(path.lastIndexOf('/') + 1) + " already allocated in subnet "
                                + subnetOfClaim.get(path)) : new Retry(0);
            }
            if (path.contains("/subnets/") || path.startsWith(NeutronDocuments.deleting(""))) {
                return NeutronException.notFound("SubnetNotFound", "A subnet of this port is gone or being deleted");
            }
            // The network (or a security group) changed or went since it was read: read again, and answer from there.
            return new Retry(0);
        }
    }

    /**
     * Fills in the port's network, MAC and fixed IPs and the claims for them. {@code fixed} null means Neutron's
     * default: one address from the first subnet of the network that has one free. {@code keptClaims} (claim path
     * to subnet id) are addresses the port already holds; {@code macOwned} says the port already holds the MAC.
     */
    Plan plan(ObjectNode doc, Doc network, List<FixedIpRequest> fixed, String mac, ReadCache cache,
              Map<String, String> keptClaims, boolean macOwned) {
        Plan plan = new Plan(doc);
        String networkId = network.id();
        doc.put("network_id", networkId);
        // The network as read, which pins its subnets too (a subnet change bumps it): every choice below rests on it.
        plan.txn.require(Precondition.modRevision(NeutronDocuments.doc("networks", networkId), network.modRevision()))
                .require(Precondition.absent(NeutronDocuments.deleting(networkId)));
        List<Doc> subnets = cache.all("subnets").stream()
                .filter(s -> s.json().path("network_id").asText().equals(networkId)).toList();
        ArrayNode ips = array();
        Set<String> claimed = new HashSet<>(keptClaims.keySet());
        keptClaims.forEach((claim, subnetId) -> ips.addObject().put("subnet_id", subnetId)
                .put("ip_address", claim.substring(claim.lastIndexOf('/') + 1)));
        if (fixed == null) {
            boolean allocated = false;
            for (Doc subnet : subnets) {
                long address = api.subnets.pickAddress(subnet, claimed);
                if (address >= 0) {
                    addIp(plan, ips, claimed, subnet, address, false);
                    allocated = true;
                    break;
                }
            }
            if (!allocated && !subnets.isEmpty()) {
                throw noAddress(networkId);
            }
        } else {
            for (FixedIpRequest r : fixed) {
                Doc subnet = subnetFor(r, subnets, networkId);
                if (r.address() < 0) {
                    long address = api.subnets.pickAddress(subnet, claimed);
                    if (address < 0) {
                        throw noAddress(networkId);
                    }
                    addIp(plan, ips, claimed, subnet, address, false);
                } else {
                    checkHostAddress(subnet, r.address(), doc.path("device_owner").asText());
                    addIp(plan, ips, claimed, subnet, r.address(), true);
                }
            }
        }
        doc.set("fixed_ips", ips);
        boolean macRequested = mac != null;
        if (mac == null) {
            // 2^24 MACs per base: a collision is rare enough that the claim's precondition catches it and the
            // create picks again, instead of every create reading every MAC in the cluster.
            mac = Allocation.randomMac(api.settings.macBase(), api.random());
        }
        doc.put("mac_address", mac);
        if (!macOwned) {
            plan.macClaim = NeutronDocuments.macClaim(mac);
            plan.txn.require(Precondition.absent(plan.macClaim))
                    .put(plan.macClaim, NeutronDocuments.owner(doc.path("id").asText(), "port"));
            if (macRequested) {
                plan.requestedClaims.add(plan.macClaim);
            }
        }
        plan.txn.put(NeutronDocuments.doc("ports", doc.path("id").asText()), doc)
                .put(NeutronDocuments.networkPort(networkId, doc.path("id").asText()),
                        NeutronDocuments.owner(doc.path("id").asText(), "port"));
        return plan;
    }

    private void addIp(Plan plan, ArrayNode ips, Set<String> claimed, Doc subnet, long address, boolean requested) {
        String claim = NeutronDocuments.ipClaim(subnet.id(), Ipv4.format(address));
        if (!claimed.add(claim)) {
            throw NeutronException.badRequest("Duplicate IP address '" + Ipv4.format(address) + "'");
        }
        ips.addObject().put("subnet_id", subnet.id()).put("ip_address", Ipv4.format(address));
        plan.txn.require(Precondition.exists(NeutronDocuments.doc("subnets", subnet.id())))
                .require(Precondition.absent(NeutronDocuments.deleting(subnet.id())))
                .require(Precondition.absent(claim))
                .put(claim, NeutronDocuments.owner(plan.doc.path("id").asText(), "port"));
        plan.subnetOfClaim.put(claim, subnet.id());
        if (requested) {
            plan.requestedClaims.add(claim);
        }
    }

    private Doc subnetFor(FixedIpRequest r, List<Doc> subnets, String networkId) {
        if (r.subnetId() != null) {
            Doc s = subnets.stream().filter(x -> x.id().equals(r.subnetId())).findFirst().orElseThrow(
                    () -> NeutronException.badRequest("Invalid input for operation: Failed to create port on network "
                            + networkId + ", because fixed_ips included invalid subnet " + r.subnetId() + "."));
            if (r.address() >= 0 && !Cidr.parse(s.json().path("cidr").asText()).contains(r.address())) {
                throw new NeutronException(400, "InvalidIpForSubnet", "IP address " + Ipv4.format(r.address())
                        + " is not a valid IP for the specified subnet.");
            }
            return s;
        }
        return subnets.stream().filter(s -> Cidr.parse(s.json().path("cidr").asText()).contains(r.address()))
                .findFirst().orElseThrow(() -> new NeutronException(400, "InvalidIpForNetwork", "IP address "
                        + Ipv4.format(r.address()) + " is not a valid IP for any of the subnets on the specified "
                        + "network."));
    }

    private static void checkHostAddress(Doc subnet, long address, String deviceOwner) {
        Cidr cidr = Cidr.parse(subnet.json().path("cidr").asText());
        if (address < cidr.firstHost() || address > cidr.lastHost()) {
            throw new NeutronException(400, "InvalidIpForSubnet", "IP address " + Ipv4.format(address)
                    + " is not a valid IP for the specified subnet.");
        }
        String gateway = subnet.json().path("gateway_ip").asText("");
        if (gateway.equals(Ipv4.format(address)) && !deviceOwner.startsWith("network:router")) {
            throw NeutronException.conflict("IpAddressAlreadyAllocated", "IP address " + gateway
                    + " already allocated in subnet " + subnet.id() + " (it is the subnet's gateway)");
        }
    }

    private static NeutronException noAddress(String networkId) {
        return NeutronException.conflict("IpAddressGenerationFailure", "No more IP addresses available on network "
                + networkId + ".");
    }

    static List<FixedIpRequest> fixedIps(List<JsonNode> entries) {
        List<FixedIpRequest> out = new ArrayList<>();
        for (JsonNode e : entries) {
            if (!e.isObject()) {
                throw NeutronException.invalidInput("'" + Body.abbreviate(e.toString()) + "' is not a valid fixed IP");
            }
            Set<String> keys = new HashSet<>();
            e.fieldNames().forEachRemaining(keys::add);
            keys.removeAll(Set.of("subnet_id", "ip_address"));
            if (!keys.isEmpty()) {
                throw NeutronException.badRequest("Unrecognized attribute(s) '" + String.join(", ", keys)
                        + "' in fixed_ips");
            }
            String subnet = e.has("subnet_id") && !e.get("subnet_id").isNull() ? e.get("subnet_id").asText() : null;
            if (subnet != null && !Body.isUuid(subnet)) {
                throw NeutronException.invalidInput("'" + Body.abbreviate(subnet) + "' is not a valid UUID");
            }
            long address = -1;
            if (e.has("ip_address") && !e.get("ip_address").isNull()) {
                address = Ipv4.parse(e.get("ip_address").asText());
                if (address < 0) {
                    throw NeutronException.invalidInput("'" + Body.abbreviate(e.get("ip_address").asText())
                            + "' is not a valid IP address");
                }
            }
            if (subnet == null && address < 0) {
                throw NeutronException.invalidInput("fixed_ips entries need a subnet_id or an ip_address");
            }
            out.add(new FixedIpRequest(subnet == null ? null : Body.canonicalUuid(subnet), address));
        }
        return out;
    }

    static String mac(String text) {
        if (text == null) {
            return null;
        }
        if (!MAC.matcher(text).matches()) {
            throw NeutronException.invalidInput("'" + Body.abbreviate(text) + "' is not a valid MAC address");
        }
        String mac = text.toLowerCase().replace('-', ':');
        if ((Integer.parseInt(mac.substring(0, 2), 16) & 1) != 0 || mac.equals("00:00:00:00:00:00")) {
            throw NeutronException.invalidInput("'" + text + "' is not a valid unicast MAC address");
        }
        return mac;
    }

    @Override
    Doc create(Caller caller, Body body, ReadCache cache) {
        String id = newId();
        ObjectNode d = newDoc(id, caller, body, true);
        String networkId = body.uuid("network_id");
        d.put("admin_state_up", body.bool("admin_state_up", true));
        String mac = mac(body.string("mac_address", 32, null));
        List<FixedIpRequest> fixed = body.raw("fixed_ips") == null ? null : fixedIps(body.list("fixed_ips"));
        d.put("device_id", body.string("device_id", 255, ""));
        d.put("device_owner", body.string("device_owner", 255, ""));
        checkBindingPolicy(caller, body, "create_port");
        String host = body.string("binding:host_id", 255, "");
        d.put("binding:host_id", host == null ? "" : host);
        api.hosts.bind(d, host);
        d.put("binding:vnic_type", vnicType(body.string("binding:vnic_type", 64, "normal")));
        d.set("binding:profile", profile(body.raw("binding:profile")));
        List<JsonNode> groups = body.raw("security_groups") == null ? null : body.list("security_groups");
        List<JsonNode> pairs = body.list("allowed_address_pairs");
        Boolean portSecurity = body.bool("port_security_enabled", null);
        body.rejectUnknown();
        if (networkId == null) {
            throw NeutronException.badRequest("Failed to parse request. Required attribute 'network_id' not specified");
        }
        Doc network = api.networks.usable(caller, networkId);
        String project = d.path("project_id").asText();
        if (!network.json().path("project_id").asText().equals(project) && !network.json().path("shared").asBoolean()
                && !caller.isAdmin()) {
            throw NeutronException.forbidden("(rule:create_port:network) is disallowed by policy: network "
                    + networkId + " belongs to another project");
        }
        boolean security = portSecurity != null ? portSecurity
                : network.json().path("port_security_enabled").asBoolean(true);
        d.put("port_security_enabled", security);
        d.put("status", "DOWN");
        Plan plan = plan(d, network, fixed, mac, cache, Map.of(), false);
        // After every check above: a port that fails validation must not leave a default group behind.
        d.set("security_groups", securityGroups(caller, project, groups, security, d.path("device_owner").asText()));
        plan.requireGroups(d.path("security_groups"));
        d.set("allowed_address_pairs", addressPairs(pairs, d.path("mac_address").asText()));
        long revision = commit(plan.txn.build(), plan::conflict);
        return new Doc(d, revision);
    }

    /**
     * A list filtered by {@code network_id} reads the ports of those networks through their index, not every port
     * of the cluster (which made a list of 1,000 ports scan all 100,000). Ports older than the index are indexed
     * once, by the first such list on any node, before the index is trusted.
     */
    @Override
    java.util.Optional<List<Doc>> candidates(Map<String, List<String>> query) {
        List<String> networks = query.get("network_id");
        if (networks == null || networks.isEmpty() || !networks.stream().allMatch(Listing::isCanonicalId)) {
            return java.util.Optional.empty();
        }
        ensureNetworkIndex();
        List<Doc> out = new ArrayList<>();
        for (String network : new java.util.TreeSet<>(networks)) {
            for (String port : docs.childNames(NeutronDocuments.networkPorts(network))) {
                docs.get(collection(), port).ifPresent(out::add);
            }
        }
        out.sort(java.util.Comparator.comparing(Doc::id)); // the collection's own order, as an unindexed list
        return java.util.Optional.of(out);
    }

    /** Whether any port is on the network (through the index: not parsing every port of the cluster). */
    boolean anyOn(String networkId) {
        ensureNetworkIndex();
        return docs.childNames(NeutronDocuments.networkPorts(networkId)).stream()
                .anyMatch(port -> docs.exists(NeutronDocuments.doc(collection(), port)));
    }

    /** Seen on this node: every port is in the network index. */
    private volatile boolean networkIndexComplete;

    /** Index entries per transaction while indexing older ports: far below the shard's transaction limit. */
    private static final int INDEX_BATCH = 500;

    /**
     * Indexes the ports written before the index existed, in batches that each require their ports to exist, then
     * marks the index complete. Ports created or deleted meanwhile keep their own entries; a batch that lost a port
     * to a delete is redone from a fresh view.
     */
    private void ensureNetworkIndex() {
        if (networkIndexComplete) {
            return;
        }
        synchronized (this) {
            while (!docs.exists(NeutronDocuments.NETWORK_PORTS_COMPLETE)) {
                Txn batch = new Txn();
                int entries = 0;
                boolean whole = true;
                for (Doc p : docs.list(collection())) {
                    String entry = NeutronDocuments.networkPort(p.json().path("network_id").asText(), p.id());
                    if (!docs.exists(entry)) {
                        batch.put(entry, NeutronDocuments.owner(p.id(), "port"))
                                .require(Precondition.exists(NeutronDocuments.doc(collection(), p.id())));
                        entries++;
                    }
                    if (entries == INDEX_BATCH) {
                        whole &= commitIndexBatch(batch);
                        batch = new Txn();
                        entries = 0;
                    }
                }
                if (whole && commitIndexBatch(batch.put(NeutronDocuments.NETWORK_PORTS_COMPLETE, "{}"))) {
                    break;
                }
            }
            networkIndexComplete = true;
        }
    }

    /** Commits one batch of index entries and waits until this replica has it; false if a port had gone. */
    private boolean commitIndexBatch(Txn batch) {
        CommitResult r = docs.commit(batch.build());
        docs.catchUp(r.revision());
        return r.succeeded();
    }

    /**
     * A port create pins everything it reads: the network (and with it the subnets and their pools), the absence of
     * delete markers, each address and MAC claim, each security group. So it may run on this replica's view as it
     * is; a stale view fails the commit and the create runs again once caught up.
     */
    @Override
    boolean createPinsItsReads() {
        return true;
    }

    private ArrayNode securityGroups(Caller caller, String project, List<JsonNode> groups, boolean security,
                                     String deviceOwner) {
        ArrayNode out = array();
        if (groups == null) {
            if (security && !deviceOwner.startsWith("network:")) {
                out.add(api.securityGroups.defaultGroup(project));
            }
            return out;
        }
        if (!security && !groups.isEmpty()) {
            throw NeutronException.conflict("PortSecurityAndIPRequiredForSecurityGroups", "Port security must be "
                    + "enabled and port must have an IP address in order to use security groups.");
        }
        for (JsonNode g : groups) {
            String id = g.asText();
            if (!Body.isUuid(id)) {
                throw NeutronException.invalidInput("'" + Body.abbreviate(id) + "' is not a valid UUID");
            }
            api.find(api.securityGroups, caller, Body.canonicalUuid(id));
            out.add(Body.canonicalUuid(id));
        }
        return out;
    }

    private static ArrayNode addressPairs(List<JsonNode> pairs, String portMac) {
        ArrayNode out = array();
        for (JsonNode p : pairs) {
            String ip = p.path("ip_address").asText(null);
            if (!p.isObject() || ip == null || (Ipv4.parse(ip) < 0 && Cidr.parse(ip) == null)) {
                throw NeutronException.invalidInput("'" + Body.abbreviate(p.toString())
                        + "' is not a valid address pair: expected {\"ip_address\": ip or cidr, \"mac_address\": mac}");
            }
            String mac = p.has("mac_address") && !p.get("mac_address").isNull() ? mac(p.get("mac_address").asText())
                    : portMac;
            out.addObject().put("ip_address", ip).put("mac_address", mac);
        }
        return out;
    }

    private static String vnicType(String type) {
        if (type == null || !List.of("normal", "direct", "macvtap", "baremetal", "direct-physical", "virtio-forwarder",
                "smart-nic", "remote-managed").contains(type)) {
            throw NeutronException.invalidInput("'" + Body.abbreviate(String.valueOf(type))
                    + "' is not a valid binding:vnic_type");
        }
        return type;
    }

    private static JsonNode profile(JsonNode profile) {
        if (profile == null || profile.isNull()) {
            return NeutronDocuments.JSON.createObjectNode();
        }
        if (!profile.isObject() || profile.toString().length() > 4096) {
            throw NeutronException.invalidInput("binding:profile must be a JSON object of at most 4096 bytes");
        }
        return profile;
    }

    @Override
    Doc update(Caller caller, Doc current, Body body, ReadCache cache) {
        ObjectNode d = updatedDoc(current, body, true);
        JsonNode network = body.raw("network_id");
        if (network != null && !network.asText().equals(current.json().path("network_id").asText())) {
            throw NeutronException.badRequest("Cannot update read-only attribute network_id");
        }
        updateFlags(caller, current, body, d, "update_port", List.of("admin_state_up", "port_security_enabled"),
                List.of());
        for (String key : List.of("device_id", "device_owner")) {
            if (body.has(key)) {
                String v = body.string(key, 255, "");
                d.put(key, v == null ? "" : v);
            }
        }
        checkBindingPolicy(caller, body, "update_port");
        if (body.has("binding:host_id")) {
            String host = body.string("binding:host_id", 255, "");
            d.put("binding:host_id", host == null ? "" : host);
            api.hosts.bind(d, host); // ML2 binds again on every host change, as Nova's live migration expects
        }
        if (body.has("binding:vnic_type")) {
            d.put("binding:vnic_type", vnicType(body.string("binding:vnic_type", 64, "normal")));
        }
        if (body.has("binding:profile")) {
            d.set("binding:profile", profile(body.raw("binding:profile")));
        }
        boolean security = d.path("port_security_enabled").asBoolean();
        String project = d.path("project_id").asText();
        if (body.raw("security_groups") != null) {
            d.set("security_groups", securityGroups(caller, project, body.list("security_groups"), security,
                    d.path("device_owner").asText()));
        } else if (!security && !d.path("security_groups").isEmpty()) {
            throw NeutronException.conflict("PortSecurityPortHasSecurityGroup", "Port has security group associated. "
                    + "Cannot disable port security or ip address until security group is removed");
        }
        String mac = body.has("mac_address") ? mac(body.string("mac_address", 32, null)) : null;
        List<FixedIpRequest> fixed = body.raw("fixed_ips") == null ? null : fixedIps(body.list("fixed_ips"));
        List<JsonNode> pairs = body.list("allowed_address_pairs");
        boolean pairsGiven = body.raw("allowed_address_pairs") != null;
        body.rejectUnknown();
        String path = NeutronDocuments.doc("ports", current.id());
        String oldMac = current.json().path("mac_address").asText();
        Map<String, String> kept = new HashMap<>();
        List<String> released = new ArrayList<>();
        List<FixedIpRequest> wanted = new ArrayList<>();
        for (JsonNode ip : current.json().path("fixed_ips")) {
            String claim = NeutronDocuments.ipClaim(ip.path("subnet_id").asText(), ip.path("ip_address").asText());
            kept.put(claim, ip.path("subnet_id").asText());
        }
        if (fixed != null) {
            Map<String, String> stay = new HashMap<>();
            for (FixedIpRequest r : fixed) {
                String match = null;
                for (Map.Entry<String, String> e : kept.entrySet()) {
                    long address = Ipv4.parse(e.getKey().substring(e.getKey().lastIndexOf('/') + 1));
                    boolean same = r.address() >= 0 ? address == r.address()
                            && (r.subnetId() == null || r.subnetId().equals(e.getValue()))
                            : e.getValue().equals(r.subnetId());
                    if (same && !stay.containsKey(e.getKey())) {
                        match = e.getKey();
                        break;
                    }
                }
                if (match != null) {
                    stay.put(match, kept.get(match));
                } else {
                    wanted.add(r);
                }
            }
            kept.keySet().stream().filter(c -> !stay.containsKey(c)).forEach(released::add);
            kept = stay;
        }
        boolean macKept = mac == null || mac.equals(oldMac);
        Doc net = docs.get("networks", current.json().path("network_id").asText())
                .orElseThrow(() -> api.networks.notFound(current.json().path("network_id").asText()));
        Plan plan = plan(d, net, wanted, macKept ? oldMac : mac, cache, kept, macKept);
        plan.txn.require(Precondition.modRevision(path, current.modRevision()));
        released.forEach(plan.txn::delete);
        if (!macKept) {
            plan.txn.delete(NeutronDocuments.macClaim(oldMac));
        }
        if (body.raw("security_groups") != null) {
            plan.requireGroups(d.path("security_groups"));
        }
        d.set("allowed_address_pairs", pairsGiven ? addressPairs(pairs, d.path("mac_address").asText())
                : current.json().path("allowed_address_pairs"));
        long revision = commit(plan.txn.build(),
                failed -> failed.path().equals(path) ? new Retry(0) : plan.conflict(failed));
        return new Doc(d, revision);
    }

    @Override
    void delete(Caller caller, Doc current, ReadCache cache) {
        String owner = current.json().path("device_owner").asText();
        if (owner.equals(ROUTER_INTERFACE) || owner.equals(ROUTER_GATEWAY)) {
            throw NeutronException.conflict("ServicePortInUse", "Port " + current.id() + " cannot be deleted "
                    + "directly via the port API: has device owner " + owner + ".");
        }
        Txn txn = new Txn();
        deleteOps(current, txn, cache);
        commit(txn.build(), failed -> new Retry(0));
    }

    /** Adds to {@code txn} what deleting a port takes: its document, its claims, its floating IPs' association. */
    void deleteOps(Doc port, Txn txn, ReadCache cache) {
        String path = NeutronDocuments.doc("ports", port.id());
        txn.require(Precondition.modRevision(path, port.modRevision())).delete(path)
                .delete(NeutronDocuments.networkPort(port.json().path("network_id").asText(), port.id()));
        for (JsonNode ip : port.json().path("fixed_ips")) {
            txn.delete(NeutronDocuments.ipClaim(ip.path("subnet_id").asText(), ip.path("ip_address").asText()));
        }
        txn.delete(NeutronDocuments.macClaim(port.json().path("mac_address").asText()));
        // Its binding goes with it, so the flow compiler and the tunnel index never see a binding without a port.
        txn.delete(NeutronDocuments.doc(HostRegistry.BINDINGS, port.id()));
        for (Doc fip : cache.all("floatingips")) {
            if (fip.json().path("port_id").asText().equals(port.id())) {
                ObjectNode f = fip.json().deepCopy();
                f.putNull("port_id").putNull("fixed_ip_address").putNull("router_id");
                f.put("revision_number", f.path("revision_number").asLong() + 1).put("updated_at", now());
                String fipPath = NeutronDocuments.doc("floatingips", fip.id());
                txn.require(Precondition.modRevision(fipPath, fip.modRevision())).put(fipPath, f)
                        .delete(NeutronDocuments.fipPort(port.id(), fip.json().path("fixed_ip_address").asText()));
            }
        }
    }
}
