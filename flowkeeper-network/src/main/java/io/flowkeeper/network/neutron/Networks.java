package io.flowkeeper.network.neutron;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.store.Precondition;
import io.flowkeeper.network.NetworkSettings;
import io.flowkeeper.network.NetworkSettings.Range;
import io.flowkeeper.network.identity.Caller;
import io.flowkeeper.network.neutron.NeutronDocuments.Doc;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Networks and their segment: a VXLAN VNI, a VLAN id on a physical network, or a flat physical network, claimed in
 * the network's own transaction. Provider attributes, {@code shared} and {@code router:external} need the admin
 * role, as in Neutron's default policy.
 */
final class Networks extends Resource {
    private static final Pattern PHYSNET = Pattern.compile("[A-Za-z0-9._:@-]{1,64}");

    Networks(NeutronApi api) {
        super(api);
    }

    @Override
    String collection() {
        return "networks";
    }

    @Override
    String member() {
        return "network";
    }

    @Override
    String notFoundType() {
        return "NetworkNotFound";
    }

    @Override
    boolean visible(Caller caller, ObjectNode doc) {
        return caller.owns(doc.path("project_id").asText()) || doc.path("shared").asBoolean()
                || doc.path("router:external").asBoolean();
    }

    @Override
    ObjectNode view(Caller caller, Doc doc, ReadCache cache) {
        ObjectNode v = doc.json().deepCopy();
        ArrayNode subnets = v.putArray("subnets");
        for (Doc s : cache.all("subnets")) {
            if (s.json().path("network_id").asText().equals(doc.id())) {
                subnets.add(s.id());
            }
        }
        v.putArray("availability_zones");
        v.putNull("ipv4_address_scope");
        v.putNull("ipv6_address_scope");
        v.put("l2_adjacency", true);
        return v;
    }

    /** A segment chosen for a new network and the claim that reserves it. */
    private record Segment(String type, String physnet, Integer id, String claim, boolean requested) {}

    @Override
    Doc create(Caller caller, Body body, ReadCache cache) {
        String id = newId();
        ObjectNode d = newDoc(id, caller, body, true);
        d.put("admin_state_up", body.bool("admin_state_up", true));
        boolean shared = body.bool("shared", false);
        boolean external = body.bool("router:external", false);
        d.put("shared", shared).put("router:external", external);
        d.put("port_security_enabled", body.bool("port_security_enabled", true));
        ArrayNode zones = d.putArray("availability_zone_hints");
        body.list("availability_zone_hints").forEach(z -> zones.add(z.asText()));
        String type = body.string("provider:network_type", 16, null);
        String physnet = body.string("provider:physical_network", 64, null);
        Integer segmentId = body.integer("provider:segmentation_id", 0, Integer.MAX_VALUE);
        Integer mtu = body.integer("mtu", 68, 65535);
        body.rejectUnknown();
        boolean provider = type != null || physnet != null || segmentId != null;
        if ((provider || shared || external) && !caller.isAdmin()) {
            throw NeutronException.forbidden("(rule:create_network:" + (provider ? "provider:network_type"
                    : shared ? "shared" : "router:external") + ") is disallowed by policy");
        }
        Segment segment = segment(type == null ? "vxlan" : type, physnet, segmentId);
        d.put("provider:network_type", segment.type());
        if (segment.physnet() == null) {
            d.putNull("provider:physical_network");
        } else {
            d.put("provider:physical_network", segment.physnet());
        }
        if (segment.id() == null) {
            d.putNull("provider:segmentation_id");
        } else {
            d.put("provider:segmentation_id", segment.id());
        }
        int defaultMtu = segment.type().equals("vxlan") ? api.settings.defaultMtuVxlan()
                : api.settings.defaultMtuPhysical();
        if (mtu != null && mtu > defaultMtu) {
            throw NeutronException.invalidInput("Requested MTU is too big, maximum is " + defaultMtu);
        }
        d.put("mtu", mtu == null ? defaultMtu : mtu);
        d.put("status", "ACTIVE");
        long revision = commit(new Txn().require(Precondition.absent(segment.claim()))
                .put(segment.claim(), NeutronDocuments.owner(id, "network"))
                .put(NeutronDocuments.doc("networks", id), d).build(), failed -> {
                    if (!segment.requested()) {
                        return new Retry(0); // another network took the id we picked: pick again
                    }
                    return switch (segment.type()) {
                        case "vlan" -> NeutronException.conflict("VlanIdInUse", "Unable to create the network. The "
                                + "VLAN " + segment.id() + " on physical network " + segment.physnet()
                                + " is in use.");
                        case "flat" -> NeutronException.conflict("FlatNetworkInUse", "Unable to create the flat "
                                + "network. Physical network " + segment.physnet() + " is in use.");
                        default -> NeutronException.conflict("TunnelIdInUse", "Unable to create the network. The "
                                + "tunnel ID " + segment.id() + " is in use.");
                    };
                });
        return new Doc(d, revision);
    }

    private Segment segment(String type, String physnet, Integer requested) {
        NetworkSettings s = api.settings;
        if (physnet != null && !PHYSNET.matcher(physnet).matches()) {
            throw NeutronException.invalidInput("'" + Body.abbreviate(physnet)
                    + "' is not a valid physical network name");
        }
        switch (type) {
            case "vxlan" -> {
                if (physnet != null) {
                    throw NeutronException.invalidInput("provider:physical_network specified for vxlan network");
                }
                if (requested != null) {
                    if (requested < 1 || requested > NetworkSettings.MAX_VNI) {
                        throw NeutronException.invalidInput("segmentation_id out of range (1 through "
                                + NetworkSettings.MAX_VNI + ")");
                    }
                    return new Segment(type, null, requested, claim("vxlan", null, requested), true);
                }
                long vni = pickSegment("vxlan", null, s.vxlanRanges());
                if (vni < 0) {
                    throw noNetworkAvailable();
                }
                return new Segment(type, null, (int) vni, claim("vxlan", null, (int) vni), false);
            }
            case "vlan" -> {
                if (physnet != null && !s.vlanRanges().containsKey(physnet)) {
                    throw NeutronException.invalidInput("physical_network '" + physnet
                            + "' unknown for VLAN provider network");
                }
                if (requested != null) {
                    if (physnet == null) {
                        throw NeutronException.invalidInput("provider:physical_network required for a VLAN id");
                    }
                    if (requested < 1 || requested > NetworkSettings.MAX_VLAN) {
                        throw NeutronException.invalidInput("segmentation_id out of range (1 through "
                                + NetworkSettings.MAX_VLAN + ")");
                    }
                    return new Segment(type, physnet, requested, claim("vlan", physnet, requested), true);
                }
                List<String> physnets = physnet != null ? List.of(physnet) : new ArrayList<>(s.vlanRanges().keySet());
                java.util.Collections.shuffle(physnets, api.random());
                for (String p : physnets) {
                    List<Range> ranges = s.vlanRanges().get(p);
                    long vlan = pickSegment("vlan", p, ranges);
                    if (vlan > 0) {
                        return new Segment(type, p, (int) vlan, claim("vlan", p, (int) vlan), false);
                    }
                }
                throw noNetworkAvailable();
            }
            case "flat" -> {
                if (physnet == null) {
                    throw NeutronException.invalidInput("provider:physical_network required for flat provider network");
                }
                if (requested != null) {
                    throw NeutronException.invalidInput("provider:segmentation_id specified for flat network");
                }
                if (!s.flatAllowed(physnet)) {
                    throw NeutronException.invalidInput("physical_network '" + physnet
                            + "' unknown for flat provider network");
                }
                return new Segment(type, physnet, null, NeutronDocuments.segmentClaims("flat", physnet), true);
            }
            default -> throw NeutronException.invalidInput("network_type value '" + Body.abbreviate(type)
                    + "' not supported (vxlan, vlan, flat)");
        }
    }

    /** A random free segment id of the ranges in this replica's view, or -1; the claim's precondition decides. */
    private long pickSegment(String type, String physnet, java.util.Collection<Range> ranges) {
        return Allocation.pickFree(Allocation.segmentRanges(ranges),
                id -> docs.exists(claim(type, physnet, (int) id)),
                () -> Allocation.numbers(docs.childNames(NeutronDocuments.segmentClaims(type, physnet))), api.random());
    }

    private static String claim(String type, String physnet, int id) {
        return NeutronDocuments.segmentClaims(type, physnet) + "/" + id;
    }

    private static NeutronException noNetworkAvailable() {
        return new NeutronException(503, "NoNetworkAvailable",
                "Unable to create the network. No tenant network is available for allocation.");
    }

    /** The claim path of a network's segment. */
    static String segmentClaim(ObjectNode network) {
        String type = network.path("provider:network_type").asText();
        String physnet = network.path("provider:physical_network").isNull() ? null
                : network.path("provider:physical_network").asText();
        return type.equals("flat") ? NeutronDocuments.segmentClaims("flat", physnet)
                : claim(type, physnet, network.path("provider:segmentation_id").asInt());
    }

    @Override
    Doc update(Caller caller, Doc current, Body body, ReadCache cache) {
        requireOwner(caller, current, "update_network");
        ObjectNode d = updatedDoc(current, body, true);
        updateFlags(caller, current, body, d, "update_network", List.of("admin_state_up", "port_security_enabled"),
                List.of("shared", "router:external"));
        if (body.has("mtu")) {
            Integer mtu = body.integer("mtu", 68, 65535);
            int max = d.path("provider:network_type").asText().equals("vxlan") ? api.settings.defaultMtuVxlan()
                    : api.settings.defaultMtuPhysical();
            if (mtu != null && mtu > max) {
                throw NeutronException.invalidInput("Requested MTU is too big, maximum is " + max);
            }
            d.put("mtu", mtu == null ? max : mtu);
        }
        for (String key : List.of("provider:network_type", "provider:physical_network", "provider:segmentation_id")) {
            JsonNode v = body.raw(key);
            if (v != null && !v.asText().equals(current.json().path(key).asText())) {
                throw NeutronException.invalidInput("Plugin does not support updating provider attributes");
            }
        }
        body.list("availability_zone_hints");
        body.rejectUnknown();
        return replace(current, d);
    }

    @Override
    void delete(Caller caller, Doc current, ReadCache cache) {
        requireOwner(caller, current, "delete_network");
        String id = current.id();
        deleteUnlessInUse(id, cache, view -> api.ports.anyOn(id) || view.all("floatingips").stream()
                .anyMatch(f -> f.json().path("floating_network_id").asText().equals(id)
                        && !f.json().path("port_id").isNull()),
                () -> NeutronException.conflict("NetworkInUse", "Unable to complete operation on network " + id
                        + ". There are one or more ports still in use on the network."), view -> {
                    // The network's subnets go with it, and its floating IPs (an external network's: none is
                    // associated, that needs a router gateway port on the network), as in Neutron. No new one can
                    // appear once the marker is committed; one changed since the check makes this a retry.
                    Txn txn = new Txn().delete(NeutronDocuments.doc("networks", id))
                            .delete(segmentClaim(current.json())).deletePrefix(NeutronDocuments.networkPorts(id));
                    for (Doc fip : view.all("floatingips")) {
                        if (fip.json().path("floating_network_id").asText().equals(id)) {
                            String fipPath = NeutronDocuments.doc("floatingips", fip.id());
                            txn.require(Precondition.modRevision(fipPath, fip.modRevision())).delete(fipPath);
                        }
                    }
                    for (Doc s : view.all("subnets")) {
                        if (s.json().path("network_id").asText().equals(id)) {
                            txn.delete(NeutronDocuments.doc("subnets", s.id()))
                                    .deletePrefix(NeutronDocuments.ipClaims(s.id()));
                        }
                    }
                    return txn;
                });
    }

    /**
     * Adds to {@code txn} what a subnet change does to its network: its revision goes up (Neutron bumps a network
     * with its subnets), required unchanged since {@code network} was read. So a port create that pins the network
     * it read (see {@link Ports#plan}) has also pinned the network's subnets and their pools.
     */
    void bumpForSubnetChange(Doc network, Txn txn) {
        String path = NeutronDocuments.doc(collection(), network.id());
        ObjectNode d = network.json().deepCopy();
        d.put("revision_number", network.json().path("revision_number").asLong() + 1).put("updated_at", now());
        txn.require(Precondition.modRevision(path, network.modRevision())).put(path, d);
    }

    /** The network as the caller may use it for a new subnet or port (visible, not being deleted). */
    Doc usable(Caller caller, String networkId) {
        Doc net = docs.get("networks", networkId).filter(d -> visible(caller, d.json()))
                .orElseThrow(() -> notFound(networkId));
        if (docs.exists(NeutronDocuments.deleting(networkId))) {
            throw notFound(networkId);
        }
        return net;
    }

}
