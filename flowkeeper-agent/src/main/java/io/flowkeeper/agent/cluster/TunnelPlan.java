package io.flowkeeper.agent.cluster;

import io.flowkeeper.api.network.Host;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which VXLAN ports a host should add, reconfigure and remove: one per remote host it shares a network with, named
 * by {@link Host#tunnelPortName} (the one rule the flow compiler also finds the port by). A port that is wanted and
 * exists with the same remote is left alone, so traffic through it is never disturbed; when only its peer's name or
 * its BFD setting changed, those columns are updated in place (that disturbs nothing either). Pure.
 *
 * @param add port name → remote IP, to create
 * @param remove names of ports to delete
 * @param configure port name → what the port's peer columns must say: every port in {@code add}, and existing
 *     ports whose peer or BFD setting differs
 */
public record TunnelPlan(Map<String, String> add, List<String> remove, Map<String, Peer> configure) {
    public static final String PREFIX = "vx-";

    /**
     * What a tunnel port says of its far end ({@code external_ids:flowkeeper-peer} and {@code flowkeeper-gateway},
     * and BFD on or off).
     *
     * @param host the remote host's name
     * @param gateway whether the remote host is a gateway host
     * @param bfd whether BFD runs on the tunnel: when either end is a gateway host
     */
    public record Peer(String host, boolean gateway, boolean bfd) {}

    /** A tunnel port as it is: its remote and its peer columns ({@code null} peer: none recorded). */
    public record Existing(String remoteIp, Peer peer) {}

    public TunnelPlan {
        add = Map.copyOf(add);
        remove = List.copyOf(remove);
        configure = Map.copyOf(configure);
    }

    public boolean isEmpty() {
        return add.isEmpty() && remove.isEmpty() && configure.isEmpty();
    }

    /** The tunnel port's name for a remote tunnel IP. */
    public static String portName(String remoteIp) {
        return Host.tunnelPortName(remoteIp);
    }

    /**
     * @param wanted the tunnel IPs of the peers the cluster says this host needs, with what their ports must say
     * @param existing the host's {@code vx-*} tunnel ports by name
     */
    public static TunnelPlan of(Map<String, Peer> wanted, Map<String, Existing> existing) {
        Map<String, String> add = new TreeMap<>();
        Map<String, Peer> configure = new TreeMap<>();
        for (Map.Entry<String, Peer> w : wanted.entrySet()) {
            String name = portName(w.getKey());
            Existing now = existing.get(name);
            if (now == null || !w.getKey().equals(now.remoteIp())) {
                add.put(name, w.getKey());
                configure.put(name, w.getValue());
            } else if (!w.getValue().equals(now.peer())) {
                configure.put(name, w.getValue());
            }
        }
        List<String> remove = existing.entrySet().stream()
                .filter(e -> !wanted.containsKey(e.getValue().remoteIp())
                        || !e.getKey().equals(portName(e.getValue().remoteIp())))
                .map(Map.Entry::getKey).sorted().toList();
        return new TunnelPlan(add, remove, configure);
    }
}
