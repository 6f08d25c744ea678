package io.flowkeeper.network.neutron;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/** The Neutron API extensions this server implements, answered by {@code GET /v2.0/extensions[/{alias}]}. */
final class Extensions {
    static final Map<String, String> IMPLEMENTED = new LinkedHashMap<>();

    static {
        IMPLEMENTED.put("external-net", "Neutron external network");
        IMPLEMENTED.put("provider", "Provider Network");
        IMPLEMENTED.put("net-mtu", "Network MTU");
        IMPLEMENTED.put("router", "Neutron L3 Router");
        IMPLEMENTED.put("ext-gw-mode", "Neutron L3 Configurable external gateway mode");
        IMPLEMENTED.put("extraroute", "Neutron Extra Route");
        IMPLEMENTED.put("l3-ha", "HA Router extension");
        IMPLEMENTED.put("dvr", "Distributed Virtual Router");
        IMPLEMENTED.put("security-group", "security-group");
        IMPLEMENTED.put("binding", "Port Binding");
        IMPLEMENTED.put("port-security", "Port Security");
        IMPLEMENTED.put("allowed-address-pairs", "Allowed Address Pairs");
        IMPLEMENTED.put("agent", "agent");
        IMPLEMENTED.put("network-ip-availability", "Network IP Availability");
        IMPLEMENTED.put("project-id", "project_id field enabled");
        IMPLEMENTED.put("standard-attr-description", "standard-attr-description");
        IMPLEMENTED.put("standard-attr-revisions", "Resource revision numbers");
        IMPLEMENTED.put("standard-attr-timestamp", "Resource timestamps");
        IMPLEMENTED.put("revision-if-match", "If-Match constraints based on revision_number");
        IMPLEMENTED.put("pagination", "Pagination support");
        IMPLEMENTED.put("sorting", "Sorting support");
    }

    private Extensions() {}

    static ObjectNode list() {
        ObjectNode out = NeutronDocuments.JSON.createObjectNode();
        ArrayNode items = out.putArray("extensions");
        IMPLEMENTED.keySet().forEach(alias -> items.add(describe(alias)));
        return out;
    }

    static ObjectNode show(String alias) {
        if (!IMPLEMENTED.containsKey(alias)) {
            throw NeutronException.notFound("ExtensionNotFound", "Extension with alias " + Body.abbreviate(alias)
                    + " does not exist");
        }
        ObjectNode out = NeutronDocuments.JSON.createObjectNode();
        out.set("extension", describe(alias));
        return out;
    }

    private static ObjectNode describe(String alias) {
        ObjectNode e = NeutronDocuments.JSON.createObjectNode().put("alias", alias)
                .put("name", IMPLEMENTED.get(alias)).put("description", IMPLEMENTED.get(alias))
                .put("updated", "2026-12-01T00:00:00-00:00");
        e.putArray("links");
        return e;
    }
}
