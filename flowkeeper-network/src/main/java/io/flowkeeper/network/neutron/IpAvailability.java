package io.flowkeeper.network.neutron;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.network.ApiRequest;
import io.flowkeeper.network.identity.Caller;
import io.flowkeeper.network.neutron.NeutronDocuments.Doc;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /v2.0/network-ip-availabilities[/{network}]} (admin only, as in Neutron): per network and subnet, the
 * pool size and the addresses claimed.
 */
final class IpAvailability {
    private IpAvailability() {}

    static ObjectNode answer(NeutronApi api, Caller caller, String networkId, ApiRequest req) {
        if (!caller.isAdmin()) {
            throw NeutronException.forbidden("(rule:get_network_ip_availability) is disallowed by policy");
        }
        ReadCache cache = new ReadCache(api.docs);
        List<ObjectNode> views = new ArrayList<>();
        for (Doc n : cache.all("networks")) {
            if (networkId != null && !n.id().equals(networkId)) {
                continue;
            }
            ObjectNode v = NeutronDocuments.JSON.createObjectNode().put("network_id", n.id())
                    .put("network_name", n.json().path("name").asText())
                    .put("project_id", n.json().path("project_id").asText())
                    .put("tenant_id", n.json().path("project_id").asText());
            ArrayNode subnets = v.putArray("subnet_ip_availability");
            long total = 0;
            long used = 0;
            for (Doc s : cache.all("subnets")) {
                if (!s.json().path("network_id").asText().equals(n.id())) {
                    continue;
                }
                long size = 0;
                for (long[] r : Subnets.ranges(s.json())) {
                    size += r[1] - r[0] + 1;
                }
                long inUse = api.docs.childNames(NeutronDocuments.ipClaims(s.id())).size();
                subnets.addObject().put("subnet_id", s.id()).put("subnet_name", s.json().path("name").asText())
                        .put("cidr", s.json().path("cidr").asText()).put("ip_version", 4).put("total_ips", size)
                        .put("used_ips", inUse);
                total += size;
                used += inUse;
            }
            v.put("total_ips", total).put("used_ips", used);
            views.add(v);
        }
        if (networkId != null) {
            if (views.isEmpty()) {
                throw NeutronException.notFound("NetworkNotFound", "Network " + Body.abbreviate(networkId)
                        + " could not be found.");
            }
            return NeutronApi.wrap("network_ip_availability", views.get(0));
        }
        return Listing.answer("network_ip_availabilities", views, req);
    }
}
