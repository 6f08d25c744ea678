package io.flowkeeper.network.nova;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.util.Threads;
import io.flowkeeper.network.DocumentMirror;
import io.flowkeeper.network.nova.NovaEvents.Event;
import io.flowkeeper.network.nova.NovaEvents.PortState;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends Nova the events of {@link NovaEvents} for every port change in the {@code network-config} shard. Every node
 * mirrors the ports ({@link DocumentMirror}: so each knows every port's last status); only the node {@code sending} names sends, so Nova
 * gets each event once while that node lives. Events are sent in batches (one request per
 * {@link NovaSettings#batchInterval()}), and a batch Nova did not take (no answer, 5xx) is retried with growing
 * pauses for {@link #RETRY_FOR}; an answer of 200 or 207 (some events refused: Nova's per-event codes, logged) or
 * 4xx ends it, as neutron-server does.
 */
public final class NovaNotifier implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NovaNotifier.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SHARD = "network-config";
    private static final String PORTS = "/neutron/ports";
    /** A Nova that stays away longer than this misses the batch (its waiter has timed out by then anyway). */
    static final Duration RETRY_FOR = Duration.ofMinutes(5);
    private static final Duration FIRST_RETRY = Duration.ofMillis(250);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final DatastoreService store;
    private final NovaSettings settings;
    private final BooleanSupplier sending;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3))
            .version(HttpClient.Version.HTTP_1_1).build();
    private final BlockingQueue<Event> queue = new LinkedBlockingQueue<>();
    private final AtomicLong sent = new AtomicLong();
    private volatile boolean closed;
    private DocumentMirror mirror;
    private Thread sender;

    /**
     * @param sending whether this node is the one that sends (asked for each event; e.g. the live node with the
     *     lowest id)
     */
    public NovaNotifier(DatastoreService store, NovaSettings settings, BooleanSupplier sending) {
        this.store = store;
        this.settings = settings;
        this.sending = sending;
    }

    public NovaNotifier start() {
        mirror = new DocumentMirror(store, SHARD, PORTS, (id, before, after, live) -> {
            if (live) {
                NovaEvents.of(id, before == null ? null : PortState.of(before), after == null ? null
                        : PortState.of(after)).ifPresent(this::offer);
            }
        }).start();
        sender = Threads.startDaemon("nova-events", this::sendLoop);
        return this;
    }

    private void offer(Event event) {
        if (sending.getAsBoolean()) {
            queue.add(event);
        }
    }

    private void sendLoop() {
        while (!closed) {
            List<Event> batch = new ArrayList<>();
            try {
                batch.add(queue.take());
                long deadline = System.nanoTime() + settings.batchInterval().toNanos();
                for (long left = deadline - System.nanoTime(); left > 0; left = deadline - System.nanoTime()) {
                    Event next = queue.poll(left, TimeUnit.NANOSECONDS);
                    if (next == null) {
                        break;
                    }
                    batch.add(next);
                }
                queue.drainTo(batch);
                deliver(batch);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Sends one batch until Nova takes it, refuses it, or {@link #RETRY_FOR} has passed. */
    private void deliver(List<Event> batch) throws InterruptedException {
        String body = body(batch).toString();
        long giveUp = System.nanoTime() + RETRY_FOR.toNanos();
        Duration pause = FIRST_RETRY;
        while (!closed) {
            String failure;
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(settings.url()
                                + "/os-server-external-events")).timeout(TIMEOUT)
                        .header("X-Auth-Token", settings.token()).header("Content-Type", "application/json")
                        .header("Accept", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                int status = r.statusCode();
                if (status == 200 || status == 207) {
                    sent.addAndGet(batch.size());
                    if (status == 207) {
                        LOG.info("Nova refused some events: {}", r.body());
                    }
                    return;
                }
                if (status / 100 == 4) {
                    // Nova's answer will not change (unknown servers, bad token): as neutron-server, drop the batch.
                    LOG.warn("Nova refused {} events with HTTP {}: {}", batch.size(), status, r.body());
                    return;
                }
                failure = "HTTP " + status;
            } catch (IOException e) {
                failure = e.toString();
            }
            if (System.nanoTime() > giveUp) {
                LOG.error("Nova did not take {} events within {} s ({}): dropped", batch.size(),
                        RETRY_FOR.toSeconds(), failure);
                return;
            }
            LOG.debug("sending {} events to Nova failed ({}); again in {} ms", batch.size(), failure,
                    pause.toMillis());
            Thread.sleep(pause.toMillis());
            pause = pause.multipliedBy(2).compareTo(Duration.ofSeconds(10)) > 0 ? Duration.ofSeconds(10)
                    : pause.multipliedBy(2);
        }
    }

    /** The request body Nova's API documents: {@code {"events": [{"name", "server_uuid", "status", "tag"}]}}. */
    static ObjectNode body(List<Event> batch) {
        ObjectNode out = JSON.createObjectNode();
        ArrayNode events = out.putArray("events");
        for (Event e : batch) {
            events.addObject().put("name", e.name()).put("server_uuid", e.serverUuid()).put("status", e.status())
                    .put("tag", e.tag());
        }
        return out;
    }

    /** Events Nova has taken (answered 200 or 207) since start. */
    public long sent() {
        return sent.get();
    }

    @Override
    public void close() {
        closed = true;
        if (mirror != null) {
            mirror.close();
        }
        if (sender != null) {
            sender.interrupt();
        }
    }
}
