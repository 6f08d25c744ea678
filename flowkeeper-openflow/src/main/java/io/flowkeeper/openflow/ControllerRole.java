package io.flowkeeper.openflow;

/** A controller's role on a switch (OpenFlow 1.3 section 6.3.5). */
public enum ControllerRole {
    /** Full access; only one master per switch. */
    MASTER,
    /** Read-only: the switch refuses its writes (OFPBRC_IS_SLAVE) and sends it no asynchronous messages. */
    SLAVE,
    /** Full access, shared: the default when a controller connects. */
    EQUAL
}
