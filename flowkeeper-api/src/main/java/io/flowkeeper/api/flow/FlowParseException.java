package io.flowkeeper.api.flow;

/** A flow in {@code ovs-ofctl} syntax could not be read; the message names the offending part. */
public final class FlowParseException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public FlowParseException(String message) {
        super(message);
    }
}
