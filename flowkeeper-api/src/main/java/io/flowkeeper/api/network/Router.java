package io.flowkeeper.api.network;

import java.util.List;

/**
 * A virtual router. Its interfaces are ports with {@code device_owner} {@code network:router_interface} and
 * {@code device_id} the router's id.
 *
 * @param gateway null when the router has no external gateway
 */
public record Router(String id, String name, String projectId, boolean adminStateUp, ExternalGateway gateway,
                     boolean ha, boolean distributed, List<HostRoute> routes, long revision) {
    public Router {
        routes = List.copyOf(routes);
    }
}
