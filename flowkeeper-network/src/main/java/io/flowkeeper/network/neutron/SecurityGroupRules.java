package io.flowkeeper.network.neutron;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.store.Precondition;
import io.flowkeeper.network.Ipv4;
import io.flowkeeper.network.Ipv4.Cidr;
import io.flowkeeper.network.identity.Caller;
import io.flowkeeper.network.neutron.NeutronDocuments.Doc;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Security group rules. Each rule claims a digest of what it matches under its group, so the same rule twice is a
 * 409 {@code SecurityGroupRuleExists} even when two nodes add it at once.
 */
final class SecurityGroupRules extends Resource {
    private static final Map<String, Integer> PROTOCOLS = Map.ofEntries(Map.entry("icmp", 1), Map.entry("igmp", 2),
            Map.entry("tcp", 6), Map.entry("egp", 8), Map.entry("udp", 17), Map.entry("ipv6-encap", 41),
            Map.entry("ipv6-route", 43), Map.entry("ipv6-frag", 44), Map.entry("gre", 47), Map.entry("esp", 50),
            Map.entry("ah", 51), Map.entry("ipv6-icmp", 58), Map.entry("icmpv6", 58), Map.entry("ipv6-nonxt", 59),
            Map.entry("ipv6-opts", 60), Map.entry("ospf", 89), Map.entry("pgm", 113), Map.entry("vrrp", 112),
            Map.entry("sctp", 132), Map.entry("udplite", 136), Map.entry("dccp", 33), Map.entry("rsvp", 46));

    /** Protocols whose rules take a port range: TCP, UDP, DCCP, SCTP, UDP-Lite. */
    private static final Set<Integer> PORT_PROTOCOLS = Set.of(6, 17, 33, 132, 136);
    private static final int ICMP = 1;
    private static final int ICMP_V6 = 58;

    SecurityGroupRules(NeutronApi api) {
        super(api);
    }

    @Override
    String collection() {
        return "security-group-rules";
    }

    @Override
    String member() {
        return "security_group_rule";
    }

    @Override
    String notFoundType() {
        return "SecurityGroupRuleNotFound";
    }

    ObjectNode rule(String id, String groupId, String project, String direction, String ethertype, String protocol,
                    Integer min, Integer max, String remoteIpPrefix, String remoteGroupId) {
        ObjectNode r = NeutronDocuments.JSON.createObjectNode().put("id", id).put("security_group_id", groupId)
                .put("direction", direction).put("ethertype", ethertype);
        putOrNull(r, "protocol", protocol);
        if (min == null) {
            r.putNull("port_range_min");
        } else {
            r.put("port_range_min", min);
        }
        if (max == null) {
            r.putNull("port_range_max");
        } else {
            r.put("port_range_max", max);
        }
        putOrNull(r, "remote_ip_prefix", remoteIpPrefix);
        putOrNull(r, "remote_group_id", remoteGroupId);
        r.putNull("remote_address_group_id");
        r.put("description", "").put("project_id", project).put("tenant_id", project).put("revision_number", 0)
                .put("created_at", now()).put("updated_at", now());
        return r;
    }

    private static void putOrNull(ObjectNode n, String key, String value) {
        if (value == null) {
            n.putNull(key);
        } else {
            n.put(key, value);
        }
    }

    /** Adds the rule's document and its uniqueness claim to {@code txn}. */
    String addRule(Txn txn, ObjectNode rule) {
        String key = NeutronDocuments.ruleKey(rule.path("security_group_id").asText(), digest(rule));
        txn.require(Precondition.absent(key)).put(key, NeutronDocuments.owner(rule.path("id").asText(), "rule"))
                .put(NeutronDocuments.doc(collection(), rule.path("id").asText()), rule);
        return key;
    }

    private static String digest(ObjectNode rule) {
        StringBuilder s = new StringBuilder();
        for (String f : List.of("direction", "ethertype", "protocol", "port_range_min", "port_range_max",
                "remote_ip_prefix", "remote_group_id")) {
            s.append(rule.path(f).asText("")).append('|');
        }
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    Doc create(Caller caller, Body body, ReadCache cache) {
        String groupId = body.uuid("security_group_id");
        String direction = body.string("direction", 16, null);
        String ethertype = body.string("ethertype", 8, "IPv4");
        String protocol = protocol(body.raw("protocol"));
        Integer min = port(body.raw("port_range_min"));
        Integer max = port(body.raw("port_range_max"));
        String prefix = body.string("remote_ip_prefix", 64, null);
        // Not checked as a UUID: Neutron looks any remote group up and answers 404 when there is none.
        String remoteGroup = body.string("remote_group_id", Body.NAME_LENGTH, null);
        if (body.string("remote_address_group_id", 64, null) != null) {
            throw NeutronException.invalidInput("remote_address_group_id is not supported by this server");
        }
        String description = body.text("description", "");
        String project = body.project(caller);
        body.rejectUnknown();
        if (groupId == null) {
            throw NeutronException.badRequest("Failed to parse request. Required attribute 'security_group_id' not "
                    + "specified");
        }
        Doc group = api.find(api.securityGroups, caller, groupId);
        if (!"ingress".equals(direction) && !"egress".equals(direction)) {
            throw NeutronException.invalidInput("'" + Body.abbreviate(String.valueOf(direction))
                    + "' is not in ['ingress', 'egress']");
        }
        if (!ethertype.equals("IPv4") && !ethertype.equals("IPv6")) {
            throw NeutronException.invalidInput("'" + Body.abbreviate(ethertype) + "' is not in ['IPv4', 'IPv6']");
        }
        ports(protocol, min, max);
        if (prefix != null && remoteGroup != null) {
            throw new NeutronException(400, "SecurityGroupRemoteGroupAndRemoteIpPrefix", "Only remote_ip_prefix or "
                    + "remote_group_id may be provided.");
        }
        if (prefix != null) {
            prefix = prefix(prefix, ethertype);
        }
        if (remoteGroup != null) {
            if (!Body.isUuid(remoteGroup)) {
                throw api.securityGroups.notFound(remoteGroup);
            }
            remoteGroup = api.find(api.securityGroups, caller, Body.canonicalUuid(remoteGroup)).id();
        }
        String id = newId();
        ObjectNode r = rule(id, groupId, group.json().path("project_id").asText(project), direction, ethertype,
                protocol, min, max, prefix, remoteGroup);
        r.put("description", description);
        Txn txn = new Txn().require(Precondition.exists(NeutronDocuments.doc("security-groups", groupId)));
        String key = addRule(txn, r);
        long revision = commit(txn.build(), failed -> {
            if (failed.path().equals(key)) {
                String existing = docs.values(key).stream().findFirst().map(NeutronDocuments::ownerOf).orElse("?");
                return NeutronException.conflict("SecurityGroupRuleExists", "Security group rule already exists. "
                        + "Rule id is " + existing + ".");
            }
            return api.securityGroups.notFound(groupId);
        });
        return new Doc(r, revision);
    }

    /**
     * Neutron's protocol conversion: null or "any" (no protocol), a name from {@link #PROTOCOLS}, or a number 0-255
     * sent as a JSON number or a string (kept as its digits, as Neutron stores it).
     */
    static String protocol(JsonNode value) {
        if (value == null || value.isNull()) {
            return null;
        }
        String text = value.isIntegralNumber() || value.isTextual() ? value.asText() : null;
        if (text != null) {
            String p = text.toLowerCase(Locale.ROOT);
            if (p.equals("any")) {
                return null;
            }
            if (PROTOCOLS.containsKey(p)) {
                return p;
            }
            if (p.matches("\\d{1,3}") && Integer.parseInt(p) <= 255) {
                return p;
            }
        }
        throw new NeutronException(400, "SecurityGroupRuleInvalidProtocol", "Security group rule protocol "
                + Body.abbreviate(text != null ? text : value.toString()) + " not supported. Only protocol values "
                + PROTOCOLS.keySet() + " and integer representations [0 to 255] are supported.");
    }

    /** A port_range_min/max as Neutron converts it: a valid port 0-65535 (number or digits) or null. */
    static Integer port(JsonNode value) {
        if (value == null || value.isNull()) {
            return null;
        }
        String text = value.isTextual() ? value.asText().trim() : value.toString();
        if ((value.isIntegralNumber() || value.isTextual()) && text.matches("-?\\d{1,10}")) {
            long port = Long.parseLong(text);
            if (port >= 0 && port <= 65535) {
                return (int) port;
            }
        }
        throw new NeutronException(400, "SecurityGroupInvalidPortValue", "Invalid value for port "
                + Body.abbreviate(text));
    }

    /** The IP protocol number of a converted protocol (a name or digits). */
    private static int protocolNumber(String protocol) {
        Integer named = PROTOCOLS.get(protocol);
        return named != null ? named : Integer.parseInt(protocol);
    }

    /** Neutron's port range rules: which protocols take ports, and how their ranges are checked. */
    private static void ports(String protocol, Integer min, Integer max) {
        if (min == null && max == null) {
            return;
        }
        if (protocol == null) {
            throw new NeutronException(400, "SecurityGroupProtocolRequiredWithPorts", "Must also specify protocol if "
                    + "port range is given.");
        }
        int number = protocolNumber(protocol);
        if (PORT_PROTOCOLS.contains(number)) {
            if (Integer.valueOf(0).equals(min) || Integer.valueOf(0).equals(max)) {
                throw new NeutronException(400, "SecurityGroupInvalidPortValue", "Invalid value for port 0");
            }
            if (min == null || max == null || min > max) {
                throw new NeutronException(400, "SecurityGroupInvalidPortRange", "For TCP/UDP protocols, "
                        + "port_range_min must be <= port_range_max");
            }
            return;
        }
        if (number == ICMP || number == ICMP_V6) {
            icmpValue("type", "port_range_min", min);
            icmpValue("code", "port_range_max", max);
            if (min == null) {
                throw new NeutronException(400, "SecurityGroupMissingIcmpType", "ICMP code (port-range-max) " + max
                        + " is provided but ICMP type (port-range-min) is missing.");
            }
            return;
        }
        throw new NeutronException(400, "SecurityGroupInvalidProtocolForPort", "Ports cannot be specified for "
                + "protocol " + number + ". Ports are only supported for TCP, UDP, UDPLITE, SCTP, DCCP.");
    }

    private static void icmpValue(String field, String attribute, Integer value) {
        if (value != null && (value < 0 || value > 255)) {
            throw new NeutronException(400, "SecurityGroupInvalidIcmpValue", "Invalid value for ICMP " + field + " ("
                    + attribute + ") " + value + ". It must be 0 to 255.");
        }
    }

    private static String prefix(String prefix, String ethertype) {
        if (ethertype.equals("IPv6")) {
            if (!prefix.contains(":")) {
                throw new NeutronException(400, "SecurityGroupRuleParameterConflict", "Conflicting value ethertype "
                        + "IPv6 for CIDR " + Body.abbreviate(prefix));
            }
            return prefix;
        }
        Cidr cidr = Cidr.parse(prefix.contains("/") ? prefix : prefix + "/32");
        if (cidr == null) {
            if (prefix.contains(":")) {
                throw new NeutronException(400, "SecurityGroupRuleParameterConflict", "Conflicting value ethertype "
                        + "IPv4 for CIDR " + Body.abbreviate(prefix));
            }
            throw NeutronException.invalidInput("'" + Body.abbreviate(prefix) + "' is not a valid IP prefix");
        }
        return Ipv4.format(cidr.first()) + "/" + cidr.prefixLength();
    }

    @Override
    Doc update(Caller caller, Doc current, Body body, ReadCache cache) {
        requireOwner(caller, current, "update_security_group_rule");
        ObjectNode d = updatedDoc(current, body, false);
        body.rejectUnknown();
        return replace(current, d);
    }

    @Override
    void delete(Caller caller, Doc current, ReadCache cache) {
        requireOwner(caller, current, "delete_security_group_rule");
        String path = NeutronDocuments.doc(collection(), current.id());
        commit(new Txn().require(Precondition.modRevision(path, current.modRevision())).delete(path)
                .delete(NeutronDocuments.ruleKey(current.json().path("security_group_id").asText(),
                        digest(current.json()))).build(), failed -> new Retry(0));
    }
}
