package io.flowkeeper.network.neutron;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * One resource's attributes from a request body, read with Neutron's conversions (numbers and booleans may come as
 * strings: the client sends {@code "mtu": "1450"}). Every key read is remembered so {@link #rejectUnknown()} can
 * answer any other key with 400, as Neutron does.
 */
final class Body {
    static final Pattern UUID_PATTERN =
            Pattern.compile("[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}");
    /** Neutron's limit for names and descriptions. */
    static final int NAME_LENGTH = 255;

    private final ObjectNode node;
    private final Set<String> read = new HashSet<>();

    Body(JsonNode node, String member) {
        if (node == null || !node.isObject()) {
            throw NeutronException.badRequest("Resource body required: expected {\"" + member + "\": {...}}");
        }
        this.node = (ObjectNode) node;
    }

    boolean has(String key) {
        read.add(key);
        return node.has(key);
    }

    JsonNode raw(String key) {
        read.add(key);
        return node.get(key);
    }

    /** A string of at most {@code max} characters; {@code def} when absent; null stays null. */
    String string(String key, int max, String def) {
        read.add(key);
        JsonNode v = node.get(key);
        if (v == null) {
            return def;
        }
        if (v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw NeutronException.invalidInput("'" + abbreviate(v.toString()) + "' is not a valid string for " + key);
        }
        if (v.asText().length() > max) {
            throw NeutronException.invalidInput("'" + abbreviate(v.asText()) + "' exceeds maximum length of " + max
                    + " for " + key);
        }
        return v.asText();
    }

    /** A name or description: never null (Neutron stores ""). */
    String text(String key, String def) {
        String s = string(key, NAME_LENGTH, def);
        if (s == null) {
            throw NeutronException.invalidInput("'None' is not a valid string for " + key);
        }
        return s;
    }

    Boolean bool(String key, Boolean def) {
        read.add(key);
        JsonNode v = node.get(key);
        if (v == null) {
            return def;
        }
        if (v.isBoolean()) {
            return v.asBoolean();
        }
        if (v.isTextual()) {
            switch (v.asText().toLowerCase()) {
                case "true", "1" -> {
                    return true;
                }
                case "false", "0" -> {
                    return false;
                }
                default -> { }
            }
        }
        if (v.isInt() && (v.asInt() == 0 || v.asInt() == 1)) {
            return v.asInt() == 1;
        }
        throw NeutronException.invalidInput("'" + abbreviate(v.toString()) + "' cannot be converted to boolean for "
                + key);
    }

    /** An integer, also from a numeric string; null when absent or null. */
    Integer integer(String key, long min, long max) {
        read.add(key);
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        long value;
        if (v.isIntegralNumber()) {
            value = v.asLong();
        } else if (v.isTextual() && v.asText().trim().matches("-?\\d{1,10}")) {
            value = Long.parseLong(v.asText().trim());
        } else {
            throw NeutronException.invalidInput("'" + abbreviate(v.toString()) + "' is not an integer for " + key);
        }
        if (value < min || value > max) {
            throw NeutronException.invalidInput(key + " " + value + " out of range (" + min + " through " + max + ")");
        }
        return (int) value;
    }

    /** A UUID attribute: null when absent. */
    String uuid(String key) {
        String s = string(key, 64, null);
        if (s != null && !UUID_PATTERN.matcher(s).matches()) {
            throw NeutronException.invalidInput("'" + abbreviate(s) + "' is not a valid UUID for " + key);
        }
        return s == null ? null : canonicalUuid(s);
    }

    /** A list attribute: empty when absent; {@code null} is an empty list. */
    List<JsonNode> list(String key) {
        read.add(key);
        JsonNode v = node.get(key);
        List<JsonNode> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (!v.isArray()) {
            throw NeutronException.invalidInput("'" + abbreviate(v.toString()) + "' is not a list for " + key);
        }
        v.forEach(out::add);
        return out;
    }

    /** Answers 400 naming every key that no reader asked for. */
    void rejectUnknown() {
        Set<String> unknown = new TreeSet<>();
        node.fieldNames().forEachRemaining(k -> {
            if (!read.contains(k)) {
                unknown.add(k);
            }
        });
        if (!unknown.isEmpty()) {
            throw NeutronException.badRequest("Unrecognized attribute(s) '" + String.join(", ", unknown) + "'");
        }
    }

    /** Neutron's project id: project_id or tenant_id (the same if both); the caller's when neither. */
    String project(io.flowkeeper.network.identity.Caller caller) {
        String p = string("project_id", 255, null);
        String t = string("tenant_id", 255, null);
        if (p != null && t != null && !p.equals(t)) {
            throw NeutronException.badRequest("'project_id' and 'tenant_id' do not match");
        }
        String project = p != null ? p : t;
        if (project == null) {
            if (caller.projectId() == null) {
                throw NeutronException.badRequest("project_id is required for a token with no project scope");
            }
            return caller.projectId();
        }
        if (!project.equals(caller.projectId()) && !caller.isAdmin()) {
            throw NeutronException.forbidden("Specifying 'project_id' or 'tenant_id' other than the authenticated "
                    + "project in request requires admin privileges");
        }
        return project;
    }

    static String canonicalUuid(String s) {
        String hex = s.replace("-", "").toLowerCase();
        return hex.substring(0, 8) + "-" + hex.substring(8, 12) + "-" + hex.substring(12, 16) + "-"
                + hex.substring(16, 20) + "-" + hex.substring(20);
    }

    static boolean isUuid(String s) {
        return s != null && UUID_PATTERN.matcher(s).matches();
    }

    /** Keeps error messages short when a client sends a megabyte. */
    static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
