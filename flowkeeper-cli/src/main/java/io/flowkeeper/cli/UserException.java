package io.flowkeeper.cli;

/** A failure caused by the operator's input or environment: printed as one line, with a chosen exit code. */
public class UserException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    public UserException(String message) {
        this(message, 1);
    }

    public UserException(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
