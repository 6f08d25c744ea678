package io.flowkeeper.agent.ovsdb;

import java.io.IOException;

/** OVSDB answered with an error, or could not be reached. */
public final class OvsdbException extends IOException {
    private static final long serialVersionUID = 1L;

    public OvsdbException(String message) {
        super(message);
    }

    public OvsdbException(String message, Throwable cause) {
        super(message, cause);
    }
}
