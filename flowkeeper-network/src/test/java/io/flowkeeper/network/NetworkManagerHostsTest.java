package io.flowkeeper.network;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.flowkeeper.api.network.Host;
import io.flowkeeper.api.network.PortBinding;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.cluster.testing.InMemoryDatastore;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The host registry and port bindings read back as the records the flow compiler takes. */
class NetworkManagerHostsTest {
    @Test
    void readsHostsAndBindingsAsAgentsWroteThem() {
        InMemoryDatastore store = new InMemoryDatastore();
        store.commit("network-config", Transaction.builder()
                .put("/neutron/hosts/compute-1", """
                        {"name": "compute-1", "tunnel_ip": "10.0.0.1", "integration_bridge": "br-int",
                         "datapath_id": 4660, "bridge_mappings": {"physnet1": "br-vlan"},
                         "agent_version": "0.1", "heartbeat_millis": 1234, "flow_snapshot": true}""")
                .put("/neutron/bindings/p1", """
                        {"port_id": "p1", "host": "compute-1", "ofport": 7, "attached_mac": "fa:16:3e:00:00:01",
                         "state": "PLUGGED", "error": ""}""")
                .put("/neutron/bindings/p2", """
                        {"port_id": "p2", "host": "compute-1", "ofport": 8, "attached_mac": "fa:16:3e:00:00:09",
                         "state": "error", "error": "MAC does not match the port"}""")
                .build());
        NetworkManager model = new NetworkManager(store);

        assertEquals(List.of(new Host("compute-1", "10.0.0.1", "br-int", 4660, Map.of("physnet1", "br-vlan"),
                "0.1", 1234, true)), model.hosts());
        assertEquals(List.of(
                new PortBinding("p1", "compute-1", 7, "fa:16:3e:00:00:01", PortBinding.State.PLUGGED, ""),
                new PortBinding("p2", "compute-1", 8, "fa:16:3e:00:00:09", PortBinding.State.ERROR,
                        "MAC does not match the port")), model.bindings());
    }
}
