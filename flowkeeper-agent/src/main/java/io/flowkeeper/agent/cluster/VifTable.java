package io.flowkeeper.agent.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowkeeper.agent.ovsdb.OvsdbClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The VM interfaces of a host as OVSDB's {@code Interface} table shows them, kept up to date from monitor updates,
 * and what has to be reported to the cluster. An interface is a VM's when it carries
 * {@code external_ids:iface-id} (the Neutron port id); it is reported plugged once {@code ovs-vswitchd} gave it an
 * OpenFlow port number. Pure; not thread-safe.
 */
public final class VifTable {
    /** A plugged VM interface: its port id, OpenFlow port number and the MAC Nova/os-vif set. */
    public record Vif(String portId, int ofport, String attachedMac) {}

    /** What changed since the last acknowledged report. */
    public record Delta(List<Vif> plugged, List<String> unplugged) {
        public boolean isEmpty() {
            return plugged.isEmpty() && unplugged.isEmpty();
        }
    }

    /** The highest OpenFlow port number {@code ofport_request} accepts. */
    static final int MAX_REQUESTABLE_OFPORT = 65279;

    /** Interface rows by OVSDB uuid (name, external_ids, ofport, ofport_request). */
    private final Map<String, JsonNode> rows = new HashMap<>();

    /** Applies one {@code <table-updates>} of the {@code Interface} monitor (the initial contents or a change). */
    public void apply(JsonNode tableUpdates) {
        tableUpdates.path("Interface").fields().forEachRemaining(e -> {
            JsonNode row = e.getValue().get("new");
            if (row == null || row.isNull()) {
                rows.remove(e.getKey());
            } else {
                rows.put(e.getKey(), row);
            }
        });
    }

    /** Forgets every row (the OVSDB session ended: the next monitor's initial contents repopulate it). */
    public void clear() {
        rows.clear();
    }

    /** Every plugged VM interface, by port id (two interfaces claiming one port id: the higher ofport wins). */
    public Map<String, Vif> plugged() {
        Map<String, Vif> out = new TreeMap<>();
        for (JsonNode row : rows.values()) {
            Map<String, String> ids = OvsdbClient.ovsMap(row.get("external_ids"));
            String portId = ids.get("iface-id");
            JsonNode ofport = row.path("ofport");
            if (portId == null || portId.isEmpty() || !ofport.isInt() || ofport.asInt() <= 0) {
                continue; // not a VM interface, or not in the datapath yet (ofport is [] or -1 until then)
            }
            Vif vif = new Vif(portId, ofport.asInt(), ids.getOrDefault("attached-mac", ""));
            out.merge(portId, vif, (a, b) -> a.ofport() >= b.ofport() ? a : b);
        }
        return out;
    }

    /**
     * The interfaces whose OpenFlow port number is not pinned yet, by OVSDB uuid, with the number to pin
     * ({@code ofport_request} := their current {@code ofport}): VM interfaces and the agent's own tunnel
     * ({@code vx-*}) and patch ({@code int-*}) ports. Why: the flows a snapshot restores after a reboot name port
     * numbers, and {@code ovs-vswitchd} gives a port its old number back only when no other port took it first. An
     * interface added to OVSDB while {@code ovs-vswitchd} was down (os-vif writes OVSDB directly) was seen to take a
     * number first and push others onto new ones, so the restored table sent their traffic to the wrong ports until
     * the master's reconcile. {@code ovs-vswitchd} assigns requested numbers before the rest, so pinned ports keep
     * theirs.
     */
    public Map<String, Integer> unpinned() {
        Map<String, Integer> out = new TreeMap<>();
        rows.forEach((uuid, row) -> {
            JsonNode ofport = row.path("ofport");
            if (!ofport.isInt() || ofport.asInt() <= 0 || ofport.asInt() > MAX_REQUESTABLE_OFPORT
                    || row.path("ofport_request").isInt()) {
                return;
            }
            String name = row.path("name").asText();
            String portId = OvsdbClient.ovsMap(row.get("external_ids")).get("iface-id");
            if ((portId != null && !portId.isEmpty()) || name.startsWith("vx-") || name.startsWith("int-")) {
                out.put(uuid, ofport.asInt());
            }
        });
        return out;
    }

    /** What to report so that the cluster, which has {@code reported}, gets to {@code current}. */
    public static Delta delta(Map<String, Vif> reported, Map<String, Vif> current) {
        List<Vif> plugged = new ArrayList<>();
        current.forEach((id, vif) -> {
            if (!vif.equals(reported.get(id))) {
                plugged.add(vif);
            }
        });
        List<String> unplugged = reported.keySet().stream().filter(id -> !current.containsKey(id)).sorted().toList();
        return new Delta(plugged, unplugged);
    }
}
