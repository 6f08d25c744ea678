package io.flowkeeper.api.network;

/**
 * A layer-2 network.
 *
 * @param physicalNetwork the physical network of a VLAN or flat network, null for VXLAN
 * @param segmentationId the VNI (VXLAN) or VLAN id, null for flat
 * @param external whether routers may use it as their gateway ({@code router:external})
 * @param revision Neutron's {@code revision_number}: grows by one with every change
 */
public record Network(String id, String name, String projectId, NetworkType type, String physicalNetwork,
                      Integer segmentationId, boolean external, boolean shared, int mtu, boolean adminStateUp,
                      long revision) {}
