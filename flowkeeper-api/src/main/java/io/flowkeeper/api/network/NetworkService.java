package io.flowkeeper.api.network;

import java.util.List;
import java.util.Optional;

/**
 * Read access to the virtual network model, for the services that turn it into flows. Answers from this node's
 * replica of the {@code network-config} shard: fast, and possibly a moment behind the latest write. Changes go
 * through the OpenStack Networking API, whose handlers keep the model's invariants (unique addresses, segments in
 * range). Thread-safe; every call reads a consistent view of one collection.
 */
public interface NetworkService {
    List<Network> networks();

    Optional<Network> network(String id);

    List<Subnet> subnets();

    List<Port> ports();

    List<Router> routers();

    List<FloatingIp> floatingIps();

    List<SecurityGroup> securityGroups();

    /** Every registered host, alive or not (judge liveness by {@link Host#heartbeatMillis()}). */
    List<Host> hosts();

    /** Every port binding the agents reported. */
    List<PortBinding> bindings();
}
