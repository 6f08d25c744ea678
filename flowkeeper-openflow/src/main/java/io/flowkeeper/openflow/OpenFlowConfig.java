package io.flowkeeper.openflow;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The southbound's settings, each with its reason.
 *
 * @param bindAddress the only address the server listens on (nothing else is opened)
 * @param port 6653 by IANA; 0 picks a free port (tests)
 * @param tls null for plain TCP; PEM files for TLS (OVS {@code ssl:} targets)
 * @param echoInterval after this long without a message from the switch, send an echo request: OVS itself probes
 *     every 5 s, so a quiet but healthy switch still answers well within {@code deadPeerTimeout}
 * @param deadPeerTimeout close the connection after this long without any message (echo replies included)
 * @param handshakeTimeout a connection that is not ACTIVE by then is closed: garbage or a stuck peer must not hold
 *     a slot
 * @param writeHighWaterMark outbound bytes queued before writers wait: bounds memory per switch and keeps echo
 *     replies from queuing behind more than this much of a large push
 */
public record OpenFlowConfig(String bindAddress, int port, Tls tls, Duration echoInterval, Duration deadPeerTimeout,
        Duration handshakeTimeout, int writeHighWaterMark) {

    /** TLS material in PEM: our certificate chain and key, and the CA that signs switch certificates. */
    public record Tls(Path certificateChain, Path privateKey, Path trustedCa) {
    }

    public static OpenFlowConfig tcp(String bindAddress, int port) {
        return new OpenFlowConfig(bindAddress, port, null, Duration.ofSeconds(5), Duration.ofSeconds(15),
                Duration.ofSeconds(10), 4 << 20);
    }

    public OpenFlowConfig withTls(Tls settings) {
        return new OpenFlowConfig(bindAddress, port, settings, echoInterval, deadPeerTimeout, handshakeTimeout,
                writeHighWaterMark);
    }
}
