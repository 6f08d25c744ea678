package io.flowkeeper.agent.cluster;

import io.flowkeeper.api.network.Host;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Which VXLAN ports a host should add and remove: one per remote host it shares a network with, named by
 * {@link Host#tunnelPortName} (the one rule the flow compiler also finds the port by). A port that is wanted and
 * exists with the same remote is left alone, so traffic through it is never disturbed. Pure.
 *
 * @param add port name → remote IP, to create
 * @param remove names of ports to delete
 */
public record TunnelPlan(Map<String, String> add, List<String> remove) {
    public static final String PREFIX = "vx-";

    public boolean isEmpty() {
        return add.isEmpty() && remove.isEmpty();
    }

    /** The tunnel port's name for a remote tunnel IP. */
    public static String portName(String remoteIp) {
        return Host.tunnelPortName(remoteIp);
    }

    /**
     * @param wantedRemotes the tunnel IPs of the peers the cluster says this host needs
     * @param existing the host's {@code vx-*} tunnel ports: name → {@code options:remote_ip}
     */
    public static TunnelPlan of(Set<String> wantedRemotes, Map<String, String> existing) {
        Map<String, String> add = new TreeMap<>();
        for (String ip : wantedRemotes) {
            String name = portName(ip);
            if (!ip.equals(existing.get(name))) {
                add.put(name, ip);
            }
        }
        List<String> remove = existing.entrySet().stream()
                .filter(e -> !wantedRemotes.contains(e.getValue()) || !e.getKey().equals(portName(e.getValue())))
                .map(Map.Entry::getKey).sorted().toList();
        return new TunnelPlan(add, remove);
    }
}
