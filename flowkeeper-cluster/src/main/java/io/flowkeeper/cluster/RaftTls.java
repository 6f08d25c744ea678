package io.flowkeeper.cluster;

import io.flowkeeper.api.security.TlsFiles;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;

/**
 * Mutual TLS on the Raft transport (gRPC), from a node's {@code tls:} setting. One config serves the server port
 * (Raft between nodes, client and admin calls all arrive there) and every Ratis client of this process: each side
 * presents its node certificate and accepts only a peer whose certificate chains to the cluster's CA and names a
 * node ({@link TlsFiles#nodeTrust}). A process without such a certificate cannot complete a handshake, so it cannot
 * vote, append, join or read: not one Raft message gets through. Clients also check the peer's address against its
 * certificate (gRPC does host name verification), so node certificates name the addresses in {@code peers}.
 */
final class RaftTls {
    private RaftTls() {}

    /** Ratis parameters carrying the TLS config; empty (plain text) when {@code tls} is null. */
    static Parameters parameters(TlsFiles tls) {
        Parameters p = new Parameters();
        if (tls != null) {
            GrpcConfigKeys.TLS.setConf(p, new GrpcTlsConfig(tls.keyManagers()[0], tls.nodeTrust(), true));
        }
        return p;
    }
}
