package io.flowkeeper.controller.mastership;

import io.flowkeeper.api.ownership.OwnershipService;
import io.flowkeeper.api.switches.ControllerRole;
import io.flowkeeper.api.switches.PortInfo;
import io.flowkeeper.api.switches.Switch;
import io.flowkeeper.api.switches.SwitchListener;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * In front of {@link Mastership}: a switch whose dpid has no ownership entity yet creates one only while the cluster
 * has fewer than {@link EntityLifecycle#maxSwitches()}; beyond, it is disconnected before it registers, and a
 * WARN line once a minute counts the refusals. Known dpids always pass. This bounds the ownership shard under a flood
 * of invented dpids (issue 15, D7); {@link EntityReaper} makes room again as the flood's entities expire.
 */
public final class SwitchAdmission implements SwitchListener {
    private static final Logger LOG = LoggerFactory.getLogger(SwitchAdmission.class);
    private static final long LOG_EVERY_NANOS = 60_000_000_000L;

    private final SwitchListener next;
    private final OwnershipService ownership;
    private final int maxSwitches;
    private final AtomicLong refused = new AtomicLong();
    private volatile long lastLog = System.nanoTime() - LOG_EVERY_NANOS;
    private long refusedAtLastLog;

    public SwitchAdmission(SwitchListener next, OwnershipService ownership, EntityLifecycle lifecycle) {
        this.next = next;
        this.ownership = ownership;
        this.maxSwitches = lifecycle.maxSwitches();
    }

    /** Switches refused since start. */
    public long refused() {
        return refused.get();
    }

    @Override
    public void switchConnected(Switch sw) {
        String entity = FlowDocuments.entity(sw.dpid());
        if (ownership.entity(entity).isEmpty() && ownership.entityCount() >= maxSwitches) {
            long total = refused.incrementAndGet();
            long now = System.nanoTime();
            if (now - lastLog >= LOG_EVERY_NANOS) {
                synchronized (this) {
                    LOG.warn("refusing switch {} from {}: the cluster already has {} switches (max-switches); {} new"
                            + " dpids refused since the last report", sw.dpidString(), sw.remoteAddress(), maxSwitches,
                            total - refusedAtLastLog);
                    refusedAtLastLog = total;
                    lastLog = now;
                }
            }
            sw.close();
            return;
        }
        next.switchConnected(sw);
    }

    @Override
    public void switchDisconnected(Switch sw) {
        next.switchDisconnected(sw);
    }

    @Override
    public void portChanged(Switch sw, PortInfo port, String reason) {
        next.portChanged(sw, port, reason);
    }

    @Override
    public void roleChanged(Switch sw, ControllerRole role, String reason, long generationId) {
        next.roleChanged(sw, role, reason, generationId);
    }
}
