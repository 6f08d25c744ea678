package io.flowkeeper.api.switches;

/**
 * A switch refused a request, or the session with it failed under the request. The two refusals a master must act
 * on have their own types.
 */
public class SwitchException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SwitchException(String message) {
        super(message);
    }

    public SwitchException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The role request carried a generation id older than one the switch has seen: this controller is deposed. */
    public static final class StaleGeneration extends SwitchException {
        private static final long serialVersionUID = 1L;

        public StaleGeneration(String message) {
            super(message);
        }
    }

    /** The switch refused a write because this controller is SLAVE on it. */
    public static final class NotMaster extends SwitchException {
        private static final long serialVersionUID = 1L;

        public NotMaster(String message) {
            super(message);
        }
    }
}
