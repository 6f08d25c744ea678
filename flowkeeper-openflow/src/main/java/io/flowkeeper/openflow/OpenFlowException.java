package io.flowkeeper.openflow;

/** The switch refused a request (an OpenFlow ERROR), or the connection failed under it. */
public class OpenFlowException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public OpenFlowException(String message) {
        super(message);
    }

    public OpenFlowException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The role request carried a generation id older than one the switch has seen: this controller is deposed. */
    public static final class StaleGeneration extends OpenFlowException {
        private static final long serialVersionUID = 1L;

        public StaleGeneration(String message) {
            super(message);
        }
    }

    /** The switch refused a write because this connection is SLAVE. */
    public static final class NotMaster extends OpenFlowException {
        private static final long serialVersionUID = 1L;

        public NotMaster(String message) {
            super(message);
        }
    }
}
