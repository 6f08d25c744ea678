package io.flowkeeper.testbed;

/** A test-bed operation failed: a command exited non-zero, timed out, or the machine lacks a tool. */
public final class TestBedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TestBedException(String message) {
        super(message);
    }

    public TestBedException(String message, Throwable cause) {
        super(message, cause);
    }
}
