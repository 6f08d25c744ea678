package io.flowkeeper.network.identity;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The node config's {@code identity:} mapping: who may get a Keystone token. Passwords are read from files (first
 * line) and kept only as salted hashes.
 * <pre>
 * identity:
 *   admin-password-file: /etc/flowkeeper/admin.pw   # user admin, project admin, role admin
 *   users:                                          # more users, each in one project
 *     - {name: demo, password-file: /etc/flowkeeper/demo.pw, project: demo, roles: [member]}
 *   token-ttl: 1h                                   # how long a token is valid (default 1h; s, m or h)
 * </pre>
 * Every node should hold the same users: a token made by one node is accepted by all, whatever their config.
 */
public record IdentityConfig(Map<String, User> users, Duration tokenTtl) {
    private static final Set<String> KEYS = Set.of("admin-password-file", "users", "token-ttl");
    private static final Set<String> USER_KEYS = Set.of("name", "password-file", "project", "roles");

    /** A user of project {@code project} holding {@code roles} there. */
    public record User(String name, PasswordHash password, String project, List<String> roles) {
        public User {
            roles = List.copyOf(roles);
        }
    }

    public IdentityConfig {
        users = Map.copyOf(users);
    }

    public static IdentityConfig none() {
        return new IdentityConfig(Map.of(), Duration.ofHours(1));
    }

    public static IdentityConfig fromYaml(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return none();
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException("identity: expected a mapping");
        }
        check(node, KEYS, "identity");
        Map<String, User> users = new LinkedHashMap<>();
        if (node.has("admin-password-file")) {
            users.put("admin", new User("admin", read(node.get("admin-password-file").asText(),
                    "identity.admin-password-file"), "admin", List.of("admin", "member", "reader")));
        }
        for (JsonNode u : node.path("users")) {
            check(u, USER_KEYS, "identity.users");
            String name = u.path("name").asText("");
            String project = u.path("project").asText("");
            if (!name.matches("[A-Za-z0-9_.@-]{1,64}") || !project.matches("[A-Za-z0-9_.@-]{1,64}")) {
                throw new IllegalArgumentException("identity.users: each user needs a name and a project of 1-64 of "
                        + "A-Z a-z 0-9 _ . @ -");
            }
            if (users.containsKey(name)) {
                throw new IllegalArgumentException("identity.users: user '" + name + "' defined twice");
            }
            List<String> roles = new ArrayList<>();
            u.path("roles").forEach(r -> roles.add(r.asText()));
            if (roles.isEmpty()) {
                roles.add("member");
            }
            users.put(name, new User(name, read(u.path("password-file").asText(""), "identity.users." + name
                    + ".password-file"), project, roles));
        }
        Duration ttl = Duration.ofHours(1);
        if (node.has("token-ttl")) {
            var m = java.util.regex.Pattern.compile("(\\d{1,6})(s|m|h)").matcher(node.get("token-ttl").asText());
            if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
                throw new IllegalArgumentException("identity.token-ttl: expected a duration like 30m or 1h");
            }
            long n = Long.parseLong(m.group(1));
            ttl = switch (m.group(2)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            };
        }
        return new IdentityConfig(users, ttl);
    }

    private static void check(JsonNode node, Set<String> keys, String where) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!keys.contains(key)) {
                throw new IllegalArgumentException(where + ": unknown key '" + key + "' (keys: " + keys + ")");
            }
        }
    }

    private static PasswordHash read(String file, String key) {
        if (file.isEmpty()) {
            throw new IllegalArgumentException(key + " is required");
        }
        try {
            String text = Files.readString(Path.of(file), StandardCharsets.UTF_8);
            String password = text.lines().findFirst().orElse("").strip();
            if (password.length() < 8) {
                throw new IllegalArgumentException(key + ": the password in " + file + " is shorter than 8 characters");
            }
            return PasswordHash.of(password.toCharArray());
        } catch (IOException e) {
            throw new IllegalArgumentException(key + ": cannot read " + file + ": " + e.getMessage());
        }
    }
}
