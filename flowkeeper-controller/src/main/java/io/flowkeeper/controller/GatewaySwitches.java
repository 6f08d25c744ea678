package io.flowkeeper.controller;

import io.flowkeeper.api.store.StoreException;
import io.flowkeeper.api.switches.Switch;
import io.flowkeeper.api.switches.SwitchListener;
import io.flowkeeper.api.util.Threads;
import io.flowkeeper.network.neutron.GatewayRegistry;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the gateway registry when a switch closes its OpenFlow session with this node (EOF or reset: its {@code
 * ovs-vswitchd} is gone) and when it connects again, so a dead gateway host's routers move without waiting for the
 * full gateway lease (see {@link GatewayRegistry}). A session that ended by a timeout or on this side is not
 * reported: a cut link must not look like a dead switch. Writes run on a thread of their own, in order.
 */
final class GatewaySwitches implements SwitchListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GatewaySwitches.class);

    private final GatewayRegistry registry;
    private final String nodeId;
    private final IntSupplier liveNodes;
    /**
     * Each switch's current session: a session that ends after a newer one connected (an old connection's FIN
     * arriving once a partition heals) says nothing of the switch now.
     */
    private final java.util.Map<Long, Switch> current = new java.util.concurrent.ConcurrentHashMap<>();
    private final ExecutorService writer = Executors.newSingleThreadExecutor(Threads.daemon("gateway-switches"));

    GatewaySwitches(GatewayRegistry registry, String nodeId, IntSupplier liveNodes) {
        this.registry = registry;
        this.nodeId = nodeId;
        this.liveNodes = liveNodes;
    }

    @Override
    public void switchConnected(Switch sw) {
        long dpid = sw.dpid();
        current.put(dpid, sw);
        run(() -> registry.switchConnected(dpid, nodeId));
    }

    @Override
    public void switchDisconnected(Switch sw) {
        if (current.remove(sw.dpid(), sw) && sw.closedByPeer()) {
            long dpid = sw.dpid();
            run(() -> registry.switchClosed(dpid, nodeId, liveNodes.getAsInt()));
        }
    }

    private void run(Runnable write) {
        try {
            writer.execute(() -> {
                try {
                    write.run();
                } catch (StoreException | io.flowkeeper.network.neutron.NeutronException e) {
                    // without quorum: the routers then move by the full lease, as before
                    LOG.warn("gateway switches: {}", e.getMessage());
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    @Override
    public void close() {
        writer.shutdownNow();
    }
}
