package io.flowkeeper.openflow;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The southbound's settings, each with its reason.
 *
 * @param bindAddresses the addresses the server listens on, all on the same port (nothing else is opened): e.g. the
 *     management network's address and the loopback for a local agent
 * @param port 6653 by IANA; 0 picks a free port (tests), then shared by every address
 * @param tls null for plain TCP; PEM files for TLS (OVS {@code ssl:} targets)
 * @param echoInterval after this long without a message from the switch, send an echo request: OVS itself probes
 *     every 5 s, so a quiet but healthy switch still answers well within {@code deadPeerTimeout}
 * @param deadPeerTimeout close the connection after this long without any message (echo replies included)
 * @param handshakeTimeout a connection that is not ACTIVE by then is closed: garbage or a stuck peer must not hold
 *     a slot
 * @param writeHighWaterMark outbound bytes queued before writers wait (and the cap of the socket's send buffer):
 *     bounds memory per switch and keeps echo replies from queuing behind more than about twice this much of a
 *     large push. Default 512 KB: measured with {@code bench southbound}, echoes during a 200,000-flow push came
 *     back within ~0.2-0.3 s (4 MB and an uncapped socket buffer: up to 1.2 s) at no cost in install speed
 */
public record OpenFlowConfig(List<String> bindAddresses, int port, Tls tls, Duration echoInterval, Duration deadPeerTimeout,
        Duration handshakeTimeout, int writeHighWaterMark) {

    public OpenFlowConfig {
        bindAddresses = List.copyOf(bindAddresses);
        if (bindAddresses.isEmpty()) {
            throw new IllegalArgumentException("no address to listen on");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535: " + port);
        }
        if (deadPeerTimeout.compareTo(echoInterval) <= 0) {
            throw new IllegalArgumentException("the dead-peer timeout must exceed the echo interval, or a quiet "
                    + "healthy switch is closed before it is probed");
        }
    }

    /** TLS material in PEM: our certificate chain and key, and the CA that signs switch certificates. */
    public record Tls(Path certificateChain, Path privateKey, Path trustedCa) {
    }

    /** Plain TCP on one address, default timeouts. */
    public static OpenFlowConfig tcp(String bindAddress, int port) {
        return tcp(List.of(bindAddress), port);
    }

    /** Plain TCP on several addresses (one port), default timeouts. */
    public static OpenFlowConfig tcp(List<String> bindAddresses, int port) {
        return new OpenFlowConfig(bindAddresses, port, null, Duration.ofSeconds(5), Duration.ofSeconds(15),
                Duration.ofSeconds(10), 512 << 10);
    }

    public OpenFlowConfig withTls(Tls settings) {
        return new OpenFlowConfig(bindAddresses, port, settings, echoInterval, deadPeerTimeout, handshakeTimeout,
                writeHighWaterMark);
    }
}
