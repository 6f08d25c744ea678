/**
 * The virtual network service: the OpenStack Networking API (Neutron v2.0, package {@code neutron}) and a minimal
 * Keystone v3 (package {@code identity}) served by every controller node, over documents in the
 * {@code network-config} shard. {@link io.flowkeeper.network.OpenStackEndpoint} is the HTTP entry point the REST
 * server hands {@code /v2.0/} and {@code /identity/} to; {@link io.flowkeeper.network.NetworkManager} answers the
 * read-only {@link io.flowkeeper.api.network.NetworkService}. Depends on the datastore service only.
 */
package io.flowkeeper.network;
