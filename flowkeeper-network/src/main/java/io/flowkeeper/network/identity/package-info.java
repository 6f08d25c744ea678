/**
 * A minimal Keystone v3: password authentication against users from the node config (salted PBKDF2 hashes only),
 * self-contained HMAC-signed tokens every node can verify, discovery, token validation and a service catalog that
 * lists every node's network endpoint, so the unmodified {@code openstack} client works against any node.
 */
package io.flowkeeper.network.identity;
