package io.flowkeeper.controller.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventTimelineTest {
    /** A clock the test moves by hand. */
    private static final class ManualClock extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void keepsTheLastHourAndNumbersEventsInOrder() {
        ManualClock clock = new ManualClock();
        EventTimeline t = new EventTimeline(clock);
        t.publish("leader-change", "old", Map.of());
        clock.now = clock.now.plus(Duration.ofMinutes(45));
        t.publish("node-gone", "recent", Map.of("node", "n1"));
        clock.now = clock.now.plus(Duration.ofMinutes(20)); // the first is now 65 min old
        List<OperatorEvent> kept = t.since(0);
        assertThat(kept).extracting(OperatorEvent::text).containsExactly("recent");
        assertThat(kept.get(0).seq()).isEqualTo(2);
        assertThat(t.since(2)).isEmpty();
    }

    @Test
    void aSubscriberGetsTheBacklogThenEveryLaterEvent() {
        EventTimeline t = new EventTimeline(Clock.systemUTC());
        t.publish("a", "1", Map.of());
        t.publish("b", "2", Map.of());
        List<OperatorEvent> live = new ArrayList<>();
        List<OperatorEvent> backlog = t.subscribe(1, live::add);
        assertThat(backlog).extracting(OperatorEvent::text).containsExactly("2");
        t.publish("c", "3", Map.of());
        assertThat(live).extracting(OperatorEvent::text).containsExactly("3");
    }

    @Test
    void isBoundedByCountWhateverTheAge() {
        EventTimeline t = new EventTimeline(Clock.systemUTC());
        for (int i = 0; i < EventTimeline.MAX_EVENTS + 50; i++) {
            t.publish("reconcile", "r" + i, Map.of());
        }
        List<OperatorEvent> kept = t.since(0);
        assertThat(kept).hasSize(EventTimeline.MAX_EVENTS);
        assertThat(kept.get(0).seq()).isEqualTo(51);
    }
}
