/**
 * Virtual networks from the command line, for operators without the {@code openstack} client:
 * {@code flowkeeper networks|subnets|ports|routers|floating-ips list|show}, read-only commands against any node's
 * Neutron v2.0 API ({@code /v2.0/...}) with the node's API token (sent as {@code X-Auth-Token}, which the node
 * treats as an admin token). They print tables or, with {@code --output json}, the Neutron body, and take the
 * {@code cluster} commands' connection options and exit codes (see {@link io.flowkeeper.cli.RestConnection}).
 */
package io.flowkeeper.cli.network;
