package io.flowkeeper.network.dataplane;

import io.flowkeeper.api.network.Host;
import io.flowkeeper.api.network.Network;
import io.flowkeeper.api.network.Port;
import io.flowkeeper.api.network.Subnet;
import java.util.List;

/**
 * One host's view of the model, everything {@link FlowCompiler} needs and nothing else: immutable, so equal views
 * compile to equal flow sets and an unchanged network's flows can be reused.
 *
 * @param host the host whose integration bridge is compiled for
 * @param networks the networks with at least one port plugged on this host, by network id order
 */
public record HostView(Host host, List<NetworkView> networks) {
    public HostView {
        networks = List.copyOf(networks);
    }

    /** No OpenFlow port: a tunnel or provider patch port the agent has not created (yet). */
    public static final long NO_PORT = -1;

    /**
     * One network as this host sees it, with the switch's port numbers already looked up.
     *
     * @param tag the network's host-local tag (see {@link FlowCompiler#tag}), carried in metadata
     * @param subnets the network's subnets
     * @param local the network's ports plugged on this host, by port id
     * @param remote the network's ports plugged on other hosts, by port id
     * @param tunnels the tunnel ports to every other host with a port of this network (VXLAN), ascending
     * @param uplink the patch port to the provider bridge (VLAN, flat), or {@link #NO_PORT}
     */
    public record NetworkView(Network network, long tag, List<Subnet> subnets, List<LocalPort> local,
                              List<RemotePort> remote, List<Long> tunnels, long uplink) {
        public NetworkView {
            subnets = List.copyOf(subnets);
            local = List.copyOf(local);
            remote = List.copyOf(remote);
            tunnels = List.copyOf(tunnels);
        }
    }

    /** A port plugged into this host's integration bridge at {@code ofPort}. */
    public record LocalPort(Port port, long ofPort) {
    }

    /**
     * A port plugged on another host.
     *
     * @param tunnel the tunnel port to its host ({@link #NO_PORT} when there is none yet, or for provider networks)
     */
    public record RemotePort(Port port, long tunnel) {
    }
}
