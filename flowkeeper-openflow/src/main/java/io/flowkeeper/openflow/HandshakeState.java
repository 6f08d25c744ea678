package io.flowkeeper.openflow;

/** The connection handshake, one state at a time (Floodlight/ONOS style); roles are a separate handshake. */
public enum HandshakeState {
    /** TCP/TLS up, our HELLO sent, waiting for the switch's. */
    WAIT_HELLO,
    /** Version agreed, FEATURES_REQUEST sent: waiting for the datapath id. */
    WAIT_FEATURES_REPLY,
    /** PORT_DESC multipart request sent: waiting for every port. */
    WAIT_PORT_DESC,
    /** Usable: listeners were told. */
    ACTIVE,
    /** Closed. */
    CLOSED
}
