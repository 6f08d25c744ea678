package io.flowkeeper.controller;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Blocker;

/**
 * One request as the routes see it, and its one response. The body was read in full (within the size limit) before
 * a route thread got the request, so a client sending its body slowly never holds a route thread. Responses are
 * written blocking from the route thread: a client that stops reading holds that thread only until the server's
 * idle timeout fails the write.
 */
final class RestExchange {
    private final Request request;
    private final Response response;
    private final byte[] body;
    private boolean responded;

    RestExchange(Request request, Response response, byte[] body) {
        this.request = request;
        this.response = response;
        this.body = body;
    }

    String method() {
        return request.getMethod();
    }

    /** The path as sent, percent-encoding kept. */
    String rawPath() {
        return request.getHttpURI().getPath();
    }

    /** The query as sent, or null. */
    String rawQuery() {
        return request.getHttpURI().getQuery();
    }

    /** The first value of a request header, or null. */
    String header(String name) {
        return request.getHeaders().get(name);
    }

    byte[] body() {
        return body;
    }

    /** The status answered (or being streamed); 0 before any. */
    int status() {
        return response.getStatus();
    }

    /** Whether a response was started: after that, an error can no longer be answered with a status. */
    boolean responded() {
        return responded;
    }

    /** Writes a complete response and waits until it was handed to the connection. */
    void respond(int status, String contentType, byte[] bytes) throws IOException {
        responded = true;
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        try (Blocker.Callback done = Blocker.callback()) {
            response.write(true, ByteBuffer.wrap(bytes), done);
            done.block();
        }
    }

    /** Starts a streamed response: every write is sent at once; closing the stream ends the response. */
    OutputStream stream(int status, String contentType) {
        responded = true;
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        return Content.Sink.asOutputStream(response);
    }
}
