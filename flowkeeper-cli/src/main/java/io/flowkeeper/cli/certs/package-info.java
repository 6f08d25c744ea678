/** {@code flowkeeper certs}: the lab CA and the node and host certificates of a TLS cluster. */
package io.flowkeeper.cli.certs;
