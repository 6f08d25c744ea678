package io.flowkeeper.network.nova;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which Nova event a port change makes, as neutron-server's Nova notifier decides: only for ports of a server
 * ({@code device_owner} {@code compute:*}, {@code device_id} the server's UUID); {@code network-vif-plugged}
 * ({@code completed}) when the status becomes ACTIVE, ({@code failed}) when it becomes ERROR,
 * {@code network-vif-unplugged} when it leaves ACTIVE, {@code network-vif-deleted} when a server's port is deleted.
 * The event's tag is the port id. Pure.
 */
public final class NovaEvents {
    private static final Pattern UUID = Pattern.compile("[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
            + "[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}");

    /** One event as Nova's API takes it: {@code {"name", "server_uuid", "status", "tag"}}. */
    public record Event(String name, String serverUuid, String status, String tag) {}

    /** What neutron-server remembers of a port between two of its versions. */
    public record PortState(String status, String deviceId, String deviceOwner) {
        public static PortState of(JsonNode port) {
            return new PortState(port.path("status").asText(""), port.path("device_id").asText(""),
                    port.path("device_owner").asText(""));
        }
    }

    private NovaEvents() {}

    /**
     * The event for a port going from {@code before} (null: the port is new) to {@code after} (null: deleted), if
     * any.
     */
    public static Optional<Event> of(String portId, PortState before, PortState after) {
        PortState server = after != null ? after : before;
        if (server == null || !server.deviceOwner().startsWith("compute:") || !UUID.matcher(server.deviceId())
                .matches()) {
            return Optional.empty();
        }
        if (after == null) {
            return Optional.of(new Event("network-vif-deleted", server.deviceId(), "completed", portId));
        }
        String was = before == null ? "" : before.status();
        String now = after.status();
        if (now.equals(was)) {
            return Optional.empty();
        }
        if (now.equals("ACTIVE")) {
            return Optional.of(new Event("network-vif-plugged", server.deviceId(), "completed", portId));
        }
        if (now.equals("ERROR")) {
            return Optional.of(new Event("network-vif-plugged", server.deviceId(), "failed", portId));
        }
        if (was.equals("ACTIVE")) {
            return Optional.of(new Event("network-vif-unplugged", server.deviceId(), "completed", portId));
        }
        return Optional.empty();
    }
}
