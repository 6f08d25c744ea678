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
    private final java.util.concurrent.atomic.LongAdder refusedClaims = new java.util.concurrent.atomic.LongAdder();

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

    /**
     * A connection finished its handshake: admitted, or refused by {@link DpidClaim} (then false, nobody hears of
     * it, and the caller closes it). Synchronized: two connections claiming one dpid are judged one after the other.
     *
     * @param certified its TLS certificate binds its dpid
     */
    synchronized boolean connected(SwitchConnection c, boolean certified) {
        SwitchConnection held = connected.get(c.dpid());
        DpidClaim claim = DpidClaim.judge(held == null ? null : held.remoteAddress(), c.remoteAddress(), certified);
        if (claim == DpidClaim.REFUSED) {
            refusedClaims.increment();
            LOG.warn("refusing switch {} from {}: that dpid is connected from {}; a second connection is accepted"
                    + " from the same address only (or with a certificate binding the dpid)", c.dpidString(),
                    c.remoteAddress(), held.remoteAddress());
            return false;
        }
        if (claim == DpidClaim.REPLACES_OLDER) {
            LOG.warn("switch {} connected again from {}: closing its older connection from {}", c.dpidString(),
                    c.remoteAddress(), held.remoteAddress());
        }
        connected.put(c.dpid(), c);
        each(l -> l.switchConnected(c));
        if (held != null) {
            held.close();
        }
        return true;
    }

    /** Refused to count: another connection's dpid ({@link DpidClaim}), or one its certificate does not bind. */
    void refused() {
        refusedClaims.increment();
    }

    long refusedClaims() {
        return refusedClaims.sum();
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
