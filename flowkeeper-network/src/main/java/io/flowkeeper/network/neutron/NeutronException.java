package io.flowkeeper.network.neutron;

/**
 * A failed call, answered as {@code {"NeutronError": {"type": type, "message": message, "detail": ""}}}. The types
 * are Neutron's own exception names, which clients and tempest match on.
 */
public final class NeutronException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final String type;

    public NeutronException(int status, String type, String message) {
        super(message);
        this.status = status;
        this.type = type;
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public static NeutronException badRequest(String message) {
        return new NeutronException(400, "HTTPBadRequest", message);
    }

    public static NeutronException invalidInput(String message) {
        return new NeutronException(400, "InvalidInput", "Invalid input for operation: " + message);
    }

    public static NeutronException notFound(String type, String message) {
        return new NeutronException(404, type, message);
    }

    public static NeutronException conflict(String type, String message) {
        return new NeutronException(409, type, message);
    }

    public static NeutronException forbidden(String message) {
        return new NeutronException(403, "HTTPForbidden", message);
    }
}
