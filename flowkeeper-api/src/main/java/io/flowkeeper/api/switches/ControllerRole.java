package io.flowkeeper.api.switches;

/** A controller's role on a switch (OpenFlow 1.3 section 6.3.5). */
public enum ControllerRole {
    /** Full access; only one master per switch. */
    MASTER,
    /** Read-only: the switch refuses its writes ({@link SwitchException.NotMaster}) and sends it no packet-ins. */
    SLAVE,
    /** Full access, shared: the default when a controller connects. */
    EQUAL
}
