package io.flowkeeper.api.network;

import java.util.List;

/** A named set of allow rules applied to ports. */
public record SecurityGroup(String id, String name, String projectId, List<SecurityGroupRule> rules,
                            long revision) {
    public SecurityGroup {
        rules = List.copyOf(rules);
    }
}
