/**
 * TLS material and identities, in JDK types only: PEM files as key and trust managers ({@link
 * io.flowkeeper.api.security.PemFiles}, {@link io.flowkeeper.api.security.TlsFiles}), and what a certificate made by
 * {@code flowkeeper certs init} says its holder is ({@link io.flowkeeper.api.security.PeerIdentity}: a controller
 * node, or a host and the datapath ids its switches may claim). Shared by the REST server, the Raft transport and
 * the OpenFlow server, so every channel judges a certificate the same way.
 */
package io.flowkeeper.api.security;
