package io.flowkeeper.openflow;

import io.flowkeeper.api.switches.ControllerRole;
import io.flowkeeper.api.switches.PacketIn;
import io.flowkeeper.api.switches.PacketProcessor;
import io.flowkeeper.api.switches.PortInfo;
import io.flowkeeper.api.switches.Switch;
import io.flowkeeper.api.switches.SwitchListener;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's registry of connected switches and its fan-out of their events: to every {@link SwitchListener},
 * and packet-ins to the {@link PacketProcessor}s by priority. Called on Netty's event loop; a listener that throws
 * is logged and does not keep the others from hearing the event.
 */
final class SwitchEvents {
    private static final Logger LOG = LoggerFactory.getLogger(SwitchEvents.class);

    private record Registered(PacketProcessor processor, int priority, long order) {
    }

    private static final Comparator<Registered> BY_PRIORITY =
            Comparator.comparingInt(Registered::priority).reversed().thenComparingLong(Registered::order);

    private final Map<Long, SwitchConnection> connected = new ConcurrentHashMap<>();
    private final List<SwitchListener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong registrations = new AtomicLong();
    private volatile List<Registered> processors = List.of();

    Collection<Switch> switches() {
        return List.copyOf(connected.values());
    }

    Optional<Switch> get(long dpid) {
        return Optional.ofNullable(connected.get(dpid));
    }

    void addListener(SwitchListener l) {
        listeners.add(l);
    }

    void removeListener(SwitchListener l) {
        listeners.remove(l);
    }

    synchronized void addProcessor(PacketProcessor p, int priority) {
        List<Registered> next = new ArrayList<>(processors);
        next.add(new Registered(p, priority, registrations.getAndIncrement()));
        next.sort(BY_PRIORITY);
        processors = List.copyOf(next);
    }

    synchronized void removeProcessor(PacketProcessor p) {
        List<Registered> next = new ArrayList<>(processors);
        next.removeIf(r -> r.processor() == p);
        processors = List.copyOf(next);
    }

    void connected(SwitchConnection c) {
        connected.put(c.dpid(), c);
        each(l -> l.switchConnected(c));
    }

    void disconnected(SwitchConnection c) {
        connected.remove(c.dpid(), c);
        each(l -> l.switchDisconnected(c));
    }

    void portChanged(SwitchConnection c, PortInfo port, String reason) {
        each(l -> l.portChanged(c, port, reason));
    }

    void roleChanged(SwitchConnection c, ControllerRole role, String reason, long generationId) {
        each(l -> l.roleChanged(c, role, reason, generationId));
    }

    void packetIn(SwitchConnection c, PacketIn packet) {
        for (Registered r : processors) {
            try {
                if (r.processor().process(c, packet)) {
                    return;
                }
            } catch (RuntimeException e) {
                LOG.warn("switch {}: packet processor {} failed: {}", c.dpidString(), r.processor(), e.toString(), e);
            }
        }
    }

    private void each(java.util.function.Consumer<SwitchListener> event) {
        for (SwitchListener l : listeners) {
            try {
                event.accept(l);
            } catch (RuntimeException e) {
                LOG.warn("switch listener {} failed: {}", l, e.toString(), e);
            }
        }
    }
}
