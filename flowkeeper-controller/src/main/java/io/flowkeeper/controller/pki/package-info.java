/**
 * A lab certificate authority: {@link io.flowkeeper.controller.pki.LabPki} issues the CA, node and host
 * certificates {@code flowkeeper certs init} writes and the TLS test clusters use, with the names
 * {@link io.flowkeeper.api.security.PeerIdentity} reads back. Not a production CA: no revocation, no HSM; a site
 * with its own PKI issues certificates with the same subject alternative names instead.
 */
package io.flowkeeper.controller.pki;
