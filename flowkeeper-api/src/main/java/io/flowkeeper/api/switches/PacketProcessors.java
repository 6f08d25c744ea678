package io.flowkeeper.api.switches;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The processors of a {@link PacketService} in the order they see packets: descending priority, equal priorities in
 * registration order. Thread-safe; {@link #inOrder()} is a snapshot, cheap to read on every packet-in.
 */
public final class PacketProcessors {
    private record Registered(PacketProcessor processor, int priority, long order) {
    }

    private static final Comparator<Registered> BY_PRIORITY =
            Comparator.comparingInt(Registered::priority).reversed().thenComparingLong(Registered::order);

    private final List<Registered> registered = new ArrayList<>();
    private long registrations;
    private volatile List<PacketProcessor> ordered = List.of();

    public synchronized void add(PacketProcessor processor, int priority) {
        registered.add(new Registered(processor, priority, registrations++));
        registered.sort(BY_PRIORITY);
        ordered = registered.stream().map(Registered::processor).toList();
    }

    public synchronized void remove(PacketProcessor processor) {
        registered.removeIf(r -> r.processor() == processor);
        ordered = registered.stream().map(Registered::processor).toList();
    }

    /** The processors now, highest priority first. */
    public List<PacketProcessor> inOrder() {
        return ordered;
    }
}
