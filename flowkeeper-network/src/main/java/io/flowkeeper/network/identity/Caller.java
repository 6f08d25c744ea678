package io.flowkeeper.network.identity;

import java.util.List;

/**
 * Who is calling, as a validated token says: the user, the project the token is scoped to and the roles held there.
 * {@link #isAdmin()} (role {@code admin}) sees and changes every project's resources.
 */
public record Caller(String userId, String userName, String projectId, String projectName, List<String> roles) {
    public Caller {
        roles = List.copyOf(roles);
    }

    public boolean isAdmin() {
        return roles.contains("admin");
    }

    /** Whether this caller may see or change a resource owned by {@code project}. */
    public boolean owns(String project) {
        return isAdmin() || (projectId != null && projectId.equals(project));
    }
}
