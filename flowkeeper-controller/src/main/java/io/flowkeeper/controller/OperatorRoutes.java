package io.flowkeeper.controller;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.controller.operator.EventTimeline;
import io.flowkeeper.controller.operator.NodeMetrics;
import io.flowkeeper.controller.operator.OperatorEvent;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The operator's routes:
 * <pre>
 * GET /metrics            this node's meters, Prometheus text format (API token, like every route)
 * GET /v1/events          the timeline as server-sent events: the last hour first, then live (?after=N or
 *                         Last-Event-ID: only events after seq N); a comment line every 10 s keeps it open
 * GET /dashboard/         the dashboard's page, script and style (no token: static files, no data), served by
 *                         Jetty's ResourceHandler from this jar (see RestServer#serveFiles)
 * </pre>
 * The event stream runs on the watch pool and counts against max-watches, like a datastore watch.
 */
final class OperatorRoutes {
    /** Events queued for one slow stream before it is ended (the page reconnects and resumes after its last id). */
    private static final int STREAM_QUEUE = 10_000;
    /** Idle time after which a comment line is sent, so proxies keep the stream and a gone client is noticed. */
    private static final long HEARTBEAT_SECONDS = 10;
    /** Where the dashboard is served, and the directory of this jar its page, script and style sheet are in. */
    static final String DASHBOARD = "/dashboard";
    static final String DASHBOARD_FILES = "io/flowkeeper/controller/dashboard/";

    private final NodeMetrics metrics;
    private final EventTimeline timeline;

    OperatorRoutes(NodeMetrics metrics, EventTimeline timeline) {
        this.metrics = metrics;
        this.timeline = timeline;
    }

    void mountOn(RestServer rest) {
        rest.mountRoot("/metrics", (ex, method, parts, q) -> {
            RestServer.requireMethod(method, "GET");
            ex.respond(200, "text/plain; version=0.0.4; charset=utf-8",
                    metrics.scrape().getBytes(StandardCharsets.UTF_8));
        });
        rest.mountStream("events", (ex, method, parts, q) -> {
            RestServer.requireMethod(method, "GET");
            if (parts.length != 3) {
                throw new RestServer.HttpError(404, "expected /v1/events");
            }
            String from = q.getOrDefault("after", ex.header("Last-Event-ID"));
            long after;
            try {
                after = from == null || from.isBlank() ? 0 : Long.parseLong(from.trim());
            } catch (NumberFormatException e) {
                throw new RestServer.HttpError(400, "after must be an event id (a number)");
            }
            stream(ex, after);
        });
        rest.serveFiles(DASHBOARD, DASHBOARD_FILES);
        rest.requestListener(metrics);
    }

    private void stream(RestExchange ex, long after) throws IOException {
        LinkedBlockingQueue<OperatorEvent> queue = new LinkedBlockingQueue<>(STREAM_QUEUE);
        boolean[] overflow = {false};
        Consumer<OperatorEvent> subscriber = e -> {
            if (!queue.offer(e)) {
                overflow[0] = true;
            }
        };
        List<OperatorEvent> backlog = timeline.subscribe(after, subscriber);
        long last = after;
        try (OutputStream out = ex.stream(200, "text/event-stream; charset=utf-8")) {
            out.write(": flowkeeper events\n\n".getBytes(StandardCharsets.UTF_8));
            for (OperatorEvent e : backlog) {
                last = write(out, e, last);
            }
            out.flush();
            while (!overflow[0]) {
                OperatorEvent e = queue.poll(HEARTBEAT_SECONDS, TimeUnit.SECONDS);
                if (e == null) {
                    out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                } else {
                    last = write(out, e, last);
                }
                if (queue.isEmpty()) {
                    out.flush();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            timeline.unsubscribe(subscriber);
        }
    }

    /** Writes one event unless it was written already (the backlog and the live queue may overlap by one). */
    private static long write(OutputStream out, OperatorEvent e, long last) throws IOException {
        if (e.seq() <= last) {
            return last;
        }
        ObjectNode data = RestServer.JSON.createObjectNode().put("seq", e.seq()).put("time", e.epochMillis())
                .put("kind", e.kind()).put("text", e.text());
        data.set("fields", RestServer.JSON.valueToTree(e.fields()));
        out.write(("id: " + e.seq() + "\nevent: " + e.kind() + "\ndata: " + RestServer.JSON.writeValueAsString(data)
                + "\n\n").getBytes(StandardCharsets.UTF_8));
        return e.seq();
    }
}
