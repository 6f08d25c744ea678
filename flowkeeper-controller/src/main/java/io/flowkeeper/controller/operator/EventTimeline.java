package io.flowkeeper.controller.operator;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The last hour of {@link OperatorEvent}s on this node, in memory only (a restarted node starts empty: the timeline
 * is for watching, the logs and metrics are the record). Bounded by age and by count, so a flapping cluster cannot
 * grow it without limit. Thread-safe; subscribers are called on the publishing thread and must not block.
 */
public final class EventTimeline {
    /** How long events are kept: what the dashboard shows when it opens. */
    public static final Duration RETENTION = Duration.ofHours(1);
    /** At most this many events are kept, whatever their age (a flapping link could publish many per second). */
    static final int MAX_EVENTS = 10_000;

    private final Clock clock;
    private final ArrayDeque<OperatorEvent> events = new ArrayDeque<>();
    private final List<Consumer<OperatorEvent>> subscribers = new CopyOnWriteArrayList<>();
    private long seq;

    public EventTimeline(Clock clock) {
        this.clock = clock;
    }

    /** Records an event and hands it to every subscriber. */
    public OperatorEvent publish(String kind, String text, Map<String, Object> fields) {
        OperatorEvent e;
        synchronized (this) {
            e = new OperatorEvent(++seq, clock.millis(), kind, text, fields);
            events.addLast(e);
            trim(e.epochMillis());
        }
        for (Consumer<OperatorEvent> s : subscribers) {
            try {
                s.accept(e);
            } catch (RuntimeException ignored) {
                // a subscriber's failure is its own (a closed stream): the others still hear the event
            }
        }
        return e;
    }

    private void trim(long now) {
        long oldest = now - RETENTION.toMillis();
        while (!events.isEmpty() && (events.size() > MAX_EVENTS || events.peekFirst().epochMillis() < oldest)) {
            events.removeFirst();
        }
    }

    /** Events with a sequence number above {@code afterSeq}, within the retention, oldest first. */
    public synchronized List<OperatorEvent> since(long afterSeq) {
        trim(clock.millis());
        List<OperatorEvent> out = new ArrayList<>();
        for (OperatorEvent e : events) {
            if (e.seq() > afterSeq) {
                out.add(e);
            }
        }
        return out;
    }

    /**
     * Returns the events kept now and subscribes {@code subscriber} to the later ones, atomically: no event is
     * missed or delivered twice between the two.
     */
    public synchronized List<OperatorEvent> subscribe(long afterSeq, Consumer<OperatorEvent> subscriber) {
        subscribers.add(subscriber);
        return since(afterSeq);
    }

    public void unsubscribe(Consumer<OperatorEvent> subscriber) {
        subscribers.remove(subscriber);
    }
}
