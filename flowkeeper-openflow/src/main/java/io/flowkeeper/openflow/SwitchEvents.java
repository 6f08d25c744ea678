package io.flowkeeper.openflow;

import io.flowkeeper.api.switches.ControllerRole;
import io.flowkeeper.api.switches.PacketIn;
import io.flowkeeper.api.switches.PacketProcessor;
import io.flowkeeper.api.switches.PacketProcessors;
import io.flowkeeper.api.switches.PortInfo;
import io.flowkeeper.api.switches.Switch;
import io.flowkeeper.api.switches.SwitchListener;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's registry of connected switches and its fan-out of their events: to every {@link SwitchListener},
 * and packet-ins to the {@link PacketProcessor}s by priority. Called on Netty's event loop; a listener that throws
 * is logged and does not keep the others from hearing the event.
 */
final class SwitchEvents {
    private static final Logger LOG = LoggerFactory.getLogger(SwitchEvents.class);

    private final Map<Long, SwitchConnection> connected = new ConcurrentHashMap<>();
    private final List<SwitchListener> listeners = new CopyOnWriteArrayList<>();
    private final PacketProcessors processors = new PacketProcessors();

    Collection<Switch> switches() {
        return List.copyOf(connected.values());
    }

    Optional<SwitchConnection> get(long dpid) {
        return Optional.ofNullable(connected.get(dpid));
    }

    void addListener(SwitchListener l) {
        listeners.add(l);
    }

    void removeListener(SwitchListener l) {
        listeners.remove(l);
    }

    void addProcessor(PacketProcessor p, int priority) {
        processors.add(p, priority);
    }

    void removeProcessor(PacketProcessor p) {
        processors.remove(p);
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
        for (PacketProcessor p : processors.inOrder()) {
            try {
                if (p.process(c, packet)) {
                    return;
                }
            } catch (RuntimeException e) {
                LOG.warn("switch {}: packet processor {} failed: {}", c.dpidString(), p, e.toString(), e);
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
