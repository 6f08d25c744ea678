/** Integration tests of the OpenStack APIs on a real 3-node cluster, driven by the real {@code openstack} client. */
package io.flowkeeper.controller.network;
