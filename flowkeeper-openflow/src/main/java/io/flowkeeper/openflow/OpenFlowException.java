package io.flowkeeper.openflow;

import io.flowkeeper.api.switches.SwitchException;

/**
 * An OpenFlow session failure that is neither of the typed refusals ({@link SwitchException.StaleGeneration},
 * {@link SwitchException.NotMaster}): the switch refused with another error, did not answer, or the connection
 * closed under the request.
 */
public class OpenFlowException extends SwitchException {
    private static final long serialVersionUID = 1L;

    public OpenFlowException(String message) {
        super(message);
    }

    public OpenFlowException(String message, Throwable cause) {
        super(message, cause);
    }
}
