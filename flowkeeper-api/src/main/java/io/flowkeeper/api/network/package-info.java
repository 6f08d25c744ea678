/**
 * The virtual network model as the OpenStack Networking API (Neutron v2.0) defines it: networks with their segment,
 * IPv4 subnets, ports with fixed IPs and MACs, routers, floating IPs and security groups. Immutable records and the
 * read-only {@link io.flowkeeper.api.network.NetworkService}; the documents, allocation rules and the HTTP API live
 * in {@code flowkeeper-network}.
 */
package io.flowkeeper.api.network;
