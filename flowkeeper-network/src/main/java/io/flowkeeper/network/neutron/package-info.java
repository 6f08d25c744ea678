/**
 * The OpenStack Networking API v2.0: resources, validation, allocation claims and Neutron's JSON shapes. Every write
 * is one transaction in the {@code network-config} shard whose preconditions carry the allocation claims (see
 * {@link io.flowkeeper.network.neutron.NeutronDocuments}); reads are served from this node's replica once it has
 * caught up with the shard's leader, so a client sees its own writes whichever node it asks next.
 */
package io.flowkeeper.network.neutron;
