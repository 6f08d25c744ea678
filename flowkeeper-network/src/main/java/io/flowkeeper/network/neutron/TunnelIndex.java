package io.flowkeeper.network.neutron;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Which hosts have plugged ports on which networks, kept from the bindings as they change (fed by a
 * {@link io.flowkeeper.network.DocumentMirror} of {@code /neutron/bindings}), so the hosts a host needs tunnels to
 * are found without reading every binding and port on each agent's poll. Pure state, no I/O; thread-safe.
 */
final class TunnelIndex {
    /** port id → {host, network} of its PLUGGED binding. */
    private final Map<String, String[]> plugged = new HashMap<>();
    /** network → host → plugged ports of that network on that host. */
    private final Map<String, Map<String, Integer>> hostsOfNetwork = new HashMap<>();

    /** A binding document changed ({@code before}/{@code after} null: absent). */
    synchronized void changed(String portId, JsonNode before, JsonNode after) {
        String[] old = plugged.remove(portId);
        if (old != null) {
            Map<String, Integer> hosts = hostsOfNetwork.get(old[1]);
            if (hosts.merge(old[0], -1, Integer::sum) == 0) {
                hosts.remove(old[0]);
                if (hosts.isEmpty()) {
                    hostsOfNetwork.remove(old[1]);
                }
            }
        }
        if (after != null && after.path("state").asText().equals("PLUGGED")
                && !after.path("network_id").asText("").isEmpty()) {
            String[] now = {after.path("host").asText(), after.path("network_id").asText()};
            plugged.put(portId, now);
            hostsOfNetwork.computeIfAbsent(now[1], n -> new HashMap<>()).merge(now[0], 1, Integer::sum);
        }
    }

    /** The other hosts with a plugged port on a network {@code host} has one on, among networks {@code tunneled}. */
    synchronized Set<String> peers(String host, Predicate<String> tunneled) {
        Set<String> out = new TreeSet<>();
        hostsOfNetwork.forEach((network, hosts) -> {
            if (hosts.containsKey(host) && tunneled.test(network)) {
                out.addAll(hosts.keySet());
            }
        });
        out.remove(host);
        return out;
    }
}
