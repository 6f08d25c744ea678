package io.flowkeeper.api.switches.testing;

import io.flowkeeper.api.flow.Action;
import io.flowkeeper.api.switches.ControllerRole;
import io.flowkeeper.api.switches.PacketIn;
import io.flowkeeper.api.switches.PacketProcessor;
import io.flowkeeper.api.switches.PacketProcessors;
import io.flowkeeper.api.switches.PacketService;
import io.flowkeeper.api.switches.PortInfo;
import io.flowkeeper.api.switches.Switch;
import io.flowkeeper.api.switches.SwitchException;
import io.flowkeeper.api.switches.SwitchListener;
import io.flowkeeper.api.switches.SwitchService;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Switch and packet services over {@link InMemorySwitch}es. Events are delivered on the caller's thread, at once:
 * a test calling {@link #connect} has its listeners' reactions done when the call returns.
 */
public final class InMemorySwitchService implements SwitchService, PacketService {
    /** A packet the controller sent through a switch. */
    public record PacketOut(long dpid, long inPort, List<Action> actions, byte[] data) {
    }

    private final Map<Long, InMemorySwitch> switches = new ConcurrentHashMap<>();
    private final List<SwitchListener> listeners = new CopyOnWriteArrayList<>();
    private final PacketProcessors processors = new PacketProcessors();
    private final List<PacketOut> packetOuts = new CopyOnWriteArrayList<>();

    /** Connects a switch: listeners hear {@code switchConnected}. */
    public InMemorySwitch connect(InMemorySwitch sw) {
        switches.put(sw.dpid(), sw);
        listeners.forEach(l -> l.switchConnected(sw));
        return sw;
    }

    /** Disconnects a switch: its session ends and listeners hear {@code switchDisconnected}. */
    public void disconnect(long dpid) {
        InMemorySwitch sw = switches.remove(dpid);
        if (sw != null) {
            sw.disconnect();
            listeners.forEach(l -> l.switchDisconnected(sw));
        }
    }

    /** Another controller took over switch {@code dpid}: it turns this session SLAVE and listeners hear it. */
    public void takeOver(long dpid, long generation) {
        InMemorySwitch sw = require(dpid);
        sw.announceRole(ControllerRole.SLAVE, generation);
        listeners.forEach(l -> l.roleChanged(sw, ControllerRole.SLAVE, "MASTER_REQUEST", generation));
    }

    /** A port of switch {@code dpid} changed. */
    public void portChanged(long dpid, PortInfo port, String reason) {
        InMemorySwitch sw = require(dpid);
        sw.addPort(port);
        listeners.forEach(l -> l.portChanged(sw, port, reason));
    }

    /** Switch {@code dpid} sends a packet to the controller; returns whether a processor handled it. */
    public boolean packetIn(long dpid, PacketIn packet) {
        InMemorySwitch sw = require(dpid);
        for (PacketProcessor p : processors.inOrder()) {
            if (p.process(sw, packet)) {
                return true;
            }
        }
        return false;
    }

    /** The packet-outs sent so far, in order. */
    public List<PacketOut> packetOuts() {
        return List.copyOf(packetOuts);
    }

    @Override
    public Collection<Switch> switches() {
        return List.copyOf(switches.values());
    }

    @Override
    public Optional<Switch> getSwitch(long dpid) {
        return Optional.ofNullable(switches.get(dpid));
    }

    @Override
    public void addListener(SwitchListener listener) {
        listeners.add(listener);
    }

    @Override
    public void removeListener(SwitchListener listener) {
        listeners.remove(listener);
    }

    @Override
    public void addProcessor(PacketProcessor processor, int priority) {
        processors.add(processor, priority);
    }

    @Override
    public void removeProcessor(PacketProcessor processor) {
        processors.remove(processor);
    }

    @Override
    public void packetOut(long dpid, long inPort, List<Action> actions, byte[] data) {
        InMemorySwitch sw = require(dpid);
        if (sw.role() == ControllerRole.SLAVE) {
            throw new SwitchException.NotMaster("switch " + sw.dpidString() + " refused a packet-out: SLAVE");
        }
        packetOuts.add(new PacketOut(dpid, inPort, List.copyOf(actions), data.clone()));
    }

    private InMemorySwitch require(long dpid) {
        InMemorySwitch sw = switches.get(dpid);
        if (sw == null) {
            throw new SwitchException("switch " + String.format("%016x", dpid) + " is not connected");
        }
        return sw;
    }
}
