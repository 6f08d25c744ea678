package io.flowkeeper.api.flow;

import java.time.Duration;
import java.util.List;

/**
 * How a bundle went.
 *
 * @param messages messages added to the bundle
 * @param committed true if the switch committed it
 * @param failures the messages the switch refused, by index in the order given, with the switch's error
 * @param elapsed from OPEN to the commit (or discard) reply
 */
public record BundleResult(int messages, boolean committed, List<Failure> failures, Duration elapsed) {
    public BundleResult {
        failures = List.copyOf(failures);
    }

    /** One refused message. */
    public record Failure(int index, String error) {
    }
}
