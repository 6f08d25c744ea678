package io.flowkeeper.network.neutron;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.store.CommitResult;
import io.flowkeeper.api.store.Precondition;
import io.flowkeeper.network.identity.Caller;
import io.flowkeeper.network.neutron.NeutronDocuments.Doc;

/**
 * Security groups, answered with their rules. Every project gets a {@code default} group the first time it lists
 * groups or creates a port, with Neutron's default rules (ingress from members of the group, egress anywhere, for
 * IPv4 and IPv6); a claim per project makes two nodes doing that at once create only one.
 */
final class SecurityGroups extends Resource {
    SecurityGroups(NeutronApi api) {
        super(api);
    }

    @Override
    String collection() {
        return "security-groups";
    }

    @Override
    String member() {
        return "security_group";
    }

    @Override
    String notFoundType() {
        return "SecurityGroupNotFound";
    }

    @Override
    ObjectNode view(Caller caller, Doc doc, ReadCache cache) {
        ObjectNode v = doc.json().deepCopy();
        ArrayNode rules = v.putArray("security_group_rules");
        for (Doc r : cache.all("security-group-rules")) {
            if (r.json().path("security_group_id").asText().equals(doc.id())) {
                rules.add(r.json());
            }
        }
        return v;
    }

    @Override
    void beforeList(Caller caller) {
        if (caller.projectId() != null) {
            defaultGroup(caller.projectId());
        }
    }

    /** The id of the project's default group, created (once, cluster-wide) if it does not exist yet. */
    String defaultGroup(String project) {
        String claim = NeutronDocuments.defaultSecurityGroup(project);
        for (int attempt = 0; attempt < 3; attempt++) {
            var existing = docs.values(claim);
            if (!existing.isEmpty()) {
                return NeutronDocuments.ownerOf(existing.get(0));
            }
            String id = newId();
            ObjectNode g = group(id, project, "default", "Default security group");
            Txn txn = new Txn().require(Precondition.absent(claim)).put(claim, NeutronDocuments.owner(id,
                    "security-group")).put(NeutronDocuments.doc(collection(), id), g);
            for (String ethertype : new String[] {"IPv4", "IPv6"}) {
                api.securityGroupRules.addRule(txn, api.securityGroupRules.rule(newId(), id, project, "ingress",
                        ethertype, null, null, null, null, id));
                api.securityGroupRules.addRule(txn, api.securityGroupRules.rule(newId(), id, project, "egress",
                        ethertype, null, null, null, null, null));
            }
            CommitResult r = docs.commit(txn.build());
            if (r.succeeded()) {
                return id;
            }
            docs.catchUp(r.revision()); // another node created it: read its id
        }
        throw new NeutronException(503, "ServiceUnavailable", "could not create the default security group");
    }

    private ObjectNode group(String id, String project, String name, String description) {
        ObjectNode g = NeutronDocuments.JSON.createObjectNode().put("id", id).put("name", name)
                .put("description", description).put("project_id", project).put("tenant_id", project)
                .put("stateful", true).put("shared", false).put("revision_number", 1).put("created_at", now())
                .put("updated_at", now());
        g.putArray("tags");
        return g;
    }

    @Override
    Doc create(Caller caller, Body body, ReadCache cache) {
        String id = newId();
        ObjectNode d = newDoc(id, caller, body, true);
        boolean stateful = body.bool("stateful", true);
        body.rejectUnknown();
        if (!stateful) {
            throw NeutronException.invalidInput("stateless security groups are not supported by this server");
        }
        refuseDefaultName(d.path("name").asText());
        String project = d.path("project_id").asText();
        ObjectNode g = group(id, project, d.path("name").asText(), d.path("description").asText());
        Txn txn = new Txn().put(NeutronDocuments.doc(collection(), id), g);
        for (String ethertype : new String[] {"IPv4", "IPv6"}) {
            api.securityGroupRules.addRule(txn, api.securityGroupRules.rule(newId(), id, project, "egress", ethertype,
                    null, null, null, null, null));
        }
        long revision = commit(txn.build(), failed -> new Retry(0));
        docs.catchUp(revision); // the answer lists the group's rules, read from the replica
        return new Doc(g, revision);
    }

    @Override
    Doc update(Caller caller, Doc current, Body body, ReadCache cache) {
        requireOwner(caller, current, "update_security_group");
        ObjectNode d = updatedDoc(current, body, true);
        body.bool("stateful", true);
        body.rejectUnknown();
        if (body.has("name")) {
            refuseDefaultName(d.path("name").asText());
        }
        if (current.json().path("name").asText().equals("default") && !d.path("name").asText().equals("default")
                && isDefault(current)) {
            throw NeutronException.conflict("SecurityGroupCannotUpdateDefault", "Updating default security group "
                    + "not allowed.");
        }
        return replace(current, d);
    }

    /** Only the group this server creates per project is called "default" (any case), as in Neutron. */
    private static void refuseDefaultName(String name) {
        if (name.equalsIgnoreCase("default")) {
            throw NeutronException.conflict("SecurityGroupDefaultAlreadyExists", "Default security group already "
                    + "exists.");
        }
    }

    private boolean isDefault(Doc group) {
        return docs.values(NeutronDocuments.defaultSecurityGroup(group.json().path("project_id").asText())).stream()
                .anyMatch(v -> v.json().contains("\"" + group.id() + "\""));
    }

    @Override
    void delete(Caller caller, Doc current, ReadCache cache) {
        requireOwner(caller, current, "delete_security_group");
        boolean isDefault = isDefault(current);
        if (isDefault && !caller.isAdmin()) {
            throw NeutronException.conflict("SecurityGroupCannotRemoveDefault", "Insufficient rights for removing "
                    + "default security group.");
        }
        for (Doc p : cache.all("ports")) {
            for (var g : p.json().path("security_groups")) {
                if (g.asText().equals(current.id())) {
                    throw NeutronException.conflict("SecurityGroupInUse", "Security Group " + current.id()
                            + " in use.");
                }
            }
        }
        String path = NeutronDocuments.doc(collection(), current.id());
        Txn txn = new Txn().require(Precondition.modRevision(path, current.modRevision())).delete(path)
                .deletePrefix(NeutronDocuments.ruleKeys(current.id()));
        for (Doc r : cache.all("security-group-rules")) {
            if (r.json().path("security_group_id").asText().equals(current.id())) {
                txn.delete(NeutronDocuments.doc("security-group-rules", r.id()));
            }
        }
        if (isDefault) {
            txn.delete(NeutronDocuments.defaultSecurityGroup(current.json().path("project_id").asText()));
        }
        commit(txn.build(), failed -> new Retry(0));
    }

}
