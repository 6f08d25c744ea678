package io.flowkeeper.api.network;

/**
 * Where a Neutron port is plugged, as the host's agent reported it from OVSDB ({@code external_ids:iface-id} = the
 * port id, {@code attached-mac}, {@code ofport}). The flow compiler programs a port only while it has a binding in
 * state {@link State#PLUGGED}; a binding in {@link State#ERROR} (unknown port, MAC mismatch) programs nothing.
 *
 * @param portId the Neutron port id
 * @param host the reporting host's name
 * @param ofPort the interface's OpenFlow port number on the host's integration bridge
 * @param attachedMac the MAC OVSDB reports for the interface
 * @param error why the binding was refused, empty unless {@code state} is {@link State#ERROR}
 */
public record PortBinding(String portId, String host, int ofPort, String attachedMac, State state, String error) {
    /** The binding's state. */
    public enum State { PLUGGED, ERROR }
}
