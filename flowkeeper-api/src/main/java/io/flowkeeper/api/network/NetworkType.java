package io.flowkeeper.api.network;

/** How a network's traffic is carried between hosts ({@code provider:network_type}). */
public enum NetworkType {
    /** An overlay: VXLAN tunnels, one VNI per network. */
    VXLAN,
    /** A VLAN id on a physical network. */
    VLAN,
    /** Untagged on a physical network: at most one flat network per physical network. */
    FLAT;

    /** The Neutron spelling ({@code vxlan}). */
    public String neutronName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
