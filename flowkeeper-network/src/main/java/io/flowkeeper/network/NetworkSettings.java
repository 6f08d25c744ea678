package io.flowkeeper.network;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The node config's {@code network:} mapping: where segments and MAC addresses are allocated from. Every node of a
 * cluster must hold the same values (allocation claims are checked in the shard, but the ranges are read here).
 * <pre>
 * network:
 *   vxlan-vni-ranges: ["1000:1999"]     # VNIs given to networks that do not ask for one (default 1:16777215)
 *   vlan-ranges: {physnet1: "100:199"}  # physical networks that carry VLANs, and the ids given out on each;
 *                                       # a physnet with no ids given out: {physnet2: ""}
 *   flat-networks: [physnet1, extnet]   # physical networks allowed for flat networks ("*": any)
 *   mac-base: "fa:16:3e"                # the first 3 bytes of every allocated MAC (Neutron's default)
 *   default-mtu-vxlan: 1450             # MTU of VXLAN networks (1500 minus the 50-byte VXLAN/UDP/IP header)
 *   default-mtu-physical: 1500          # MTU of VLAN and flat networks, and the largest any network may ask for
 * </pre>
 */
public record NetworkSettings(List<Range> vxlanRanges, Map<String, List<Range>> vlanRanges, Set<String> flatNetworks,
                              int[] macBase, int defaultMtuVxlan, int defaultMtuPhysical) {
    public static final int MAX_VNI = (1 << 24) - 1;
    public static final int MAX_VLAN = 4094;
    private static final Set<String> KEYS = Set.of("vxlan-vni-ranges", "vlan-ranges", "flat-networks", "mac-base",
            "default-mtu-vxlan", "default-mtu-physical");

    /** An inclusive range of segment ids. */
    public record Range(int min, int max) {
        public int size() {
            return max - min + 1;
        }

        public boolean contains(int id) {
            return id >= min && id <= max;
        }
    }

    public NetworkSettings {
        vxlanRanges = List.copyOf(vxlanRanges);
        vlanRanges = Map.copyOf(vlanRanges);
        flatNetworks = Set.copyOf(flatNetworks);
        macBase = macBase.clone();
    }

    public static NetworkSettings defaults() {
        return new NetworkSettings(List.of(new Range(1, MAX_VNI)), Map.of(), Set.of(), new int[] {0xfa, 0x16, 0x3e},
                1450, 1500);
    }

    /** Reads the {@code network:} mapping (null: defaults); throws IllegalArgumentException naming the bad key. */
    public static NetworkSettings fromYaml(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return defaults();
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException("network: expected a mapping");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("network: unknown key '" + key + "' (keys: " + KEYS + ")");
            }
        }
        List<Range> vxlan = new ArrayList<>();
        if (node.has("vxlan-vni-ranges")) {
            for (JsonNode r : list(node.get("vxlan-vni-ranges"))) {
                vxlan.add(range("network.vxlan-vni-ranges", r.asText(), 1, MAX_VNI));
            }
        } else {
            vxlan.add(new Range(1, MAX_VNI));
        }
        Map<String, List<Range>> vlan = new LinkedHashMap<>();
        if (node.has("vlan-ranges")) {
            JsonNode v = node.get("vlan-ranges");
            if (!v.isObject()) {
                throw new IllegalArgumentException("network.vlan-ranges: expected {physnet: \"min:max\", ...}");
            }
            v.properties().forEach(e -> {
                List<Range> ranges = new ArrayList<>();
                for (JsonNode r : list(e.getValue())) {
                    if (!r.asText().isBlank()) {
                        ranges.add(range("network.vlan-ranges." + e.getKey(), r.asText(), 1, MAX_VLAN));
                    }
                }
                vlan.put(e.getKey(), List.copyOf(ranges));
            });
        }
        Set<String> flat = new LinkedHashSet<>();
        if (node.has("flat-networks")) {
            list(node.get("flat-networks")).forEach(n -> flat.add(n.asText()));
        }
        int[] mac = {0xfa, 0x16, 0x3e};
        if (node.has("mac-base")) {
            String text = node.get("mac-base").asText();
            if (!text.matches("[0-9a-fA-F]{2}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}")) {
                throw new IllegalArgumentException("network.mac-base: expected 3 bytes like fa:16:3e, got '" + text
                        + "'");
            }
            String[] parts = text.split(":");
            for (int i = 0; i < 3; i++) {
                mac[i] = Integer.parseInt(parts[i], 16);
            }
            if ((mac[0] & 1) != 0) {
                throw new IllegalArgumentException("network.mac-base: " + text + " is a multicast prefix");
            }
        }
        int mtuPhysical = mtu(node, "default-mtu-physical", 1500);
        int mtuVxlan = mtu(node, "default-mtu-vxlan", Math.min(1450, mtuPhysical));
        return new NetworkSettings(vxlan, vlan, flat, mac, mtuVxlan, mtuPhysical);
    }

    private static int mtu(JsonNode node, String key, int def) {
        if (!node.has(key)) {
            return def;
        }
        String text = node.get(key).asText();
        if (!text.matches("\\d{2,5}") || Integer.parseInt(text) < 68 || Integer.parseInt(text) > 65535) {
            throw new IllegalArgumentException("network." + key + ": expected an MTU from 68 to 65535, got '" + text
                    + "'");
        }
        return Integer.parseInt(text);
    }

    private static List<JsonNode> list(JsonNode n) {
        List<JsonNode> out = new ArrayList<>();
        if (n.isArray()) {
            n.forEach(out::add);
        } else {
            out.add(n);
        }
        return out;
    }

    private static Range range(String key, String text, int lowest, int highest) {
        var m = java.util.regex.Pattern.compile("(\\d{1,8}):(\\d{1,8})").matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(key + ": expected \"min:max\", got '" + text + "'");
        }
        int min = Integer.parseInt(m.group(1));
        int max = Integer.parseInt(m.group(2));
        if (min < lowest || max > highest || min > max) {
            throw new IllegalArgumentException(key + ": " + text + " is not within " + lowest + ":" + highest);
        }
        return new Range(min, max);
    }

    /** Whether {@code physnet} may carry a flat network. */
    public boolean flatAllowed(String physnet) {
        return flatNetworks.contains("*") || flatNetworks.contains(physnet);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NetworkSettings s && s.vxlanRanges.equals(vxlanRanges) && s.vlanRanges.equals(vlanRanges)
                && s.flatNetworks.equals(flatNetworks) && java.util.Arrays.equals(s.macBase, macBase)
                && s.defaultMtuVxlan == defaultMtuVxlan && s.defaultMtuPhysical == defaultMtuPhysical;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(vxlanRanges, vlanRanges, flatNetworks, java.util.Arrays.hashCode(macBase));
    }

    @Override
    public String toString() {
        return "NetworkSettings[vxlan=" + vxlanRanges + ", vlan=" + vlanRanges + ", flat=" + flatNetworks + "]";
    }
}
