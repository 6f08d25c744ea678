package io.flowkeeper.api.switches.testing;

import io.flowkeeper.api.flow.BundleResult;
import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.FlowChange;
import io.flowkeeper.api.flow.FlowId;
import io.flowkeeper.api.flow.reconcile.FlowReconciler;
import io.flowkeeper.api.flow.reconcile.ReconcilePlan;
import io.flowkeeper.api.flow.reconcile.ReconcileResult;
import io.flowkeeper.api.switches.ControllerRole;
import io.flowkeeper.api.switches.FlowStats;
import io.flowkeeper.api.switches.PortInfo;
import io.flowkeeper.api.switches.PortStats;
import io.flowkeeper.api.switches.Switch;
import io.flowkeeper.api.switches.SwitchException;
import io.flowkeeper.api.switches.SwitchFeatures;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * A switch as one controller's session sees it, held in memory: a flow table with OpenFlow semantics and the role
 * rules of OpenFlow 1.3 section 6.3.5. Thread-safe (every method holds the switch's lock); nothing blocks.
 *
 * <p>Flow semantics: an ADD replaces a flow of the same table, priority and match (its identity); MODIFY and
 * DELETE are strict (the same identity; a MODIFY of an absent flow does nothing, as in OpenFlow 1.1+);
 * DELETE_BY_COOKIE removes every flow of the table with exactly that cookie; {@link #deleteByCookie} every flow of
 * every table whose cookie matches under the mask. A bundle is atomic: it is applied to a copy, and if any change
 * is refused (see {@link #refuse}) the table is left as it was and the result names each refused change.
 *
 * <p>Role semantics: the switch keeps the highest generation id it granted (across sessions, as OVS does per
 * bridge); a MASTER or SLAVE request with an older one (by signed difference, so the counter may wrap) is refused
 * with {@link SwitchException.StaleGeneration}; EQUAL requests carry no generation. While SLAVE, every write is
 * refused with {@link SwitchException.NotMaster}. {@link #announceRole} plays another controller taking over.
 */
public final class InMemorySwitch implements Switch {
    private record Refusal(Predicate<Flow> flows, String error) {
    }

    private final long dpid;
    private final Map<FlowId, Flow> table = new LinkedHashMap<>();
    private final Map<Long, PortInfo> ports = new TreeMap<>();
    private final List<Refusal> refusals = new ArrayList<>();
    private ControllerRole role = ControllerRole.EQUAL;
    private ControllerRole lastRoleStatus;
    private long grantedGeneration = -1;
    /** The highest generation this switch has seen from any controller; none yet when {@code generationSeen}. */
    private long maxGeneration;
    private boolean generationSeen;
    private boolean active = true;
    private int bundles;

    public InMemorySwitch(long dpid) {
        this.dpid = dpid;
    }

    // ---- test controls ----------------------------------------------------------------------------------

    /**
     * From now on the switch refuses every change whose flow matches {@code flows}, with {@code error} (as OVS
     * answers a FLOW_MOD with an OpenFlow error).
     */
    public synchronized InMemorySwitch refuse(Predicate<Flow> flows, String error) {
        refusals.add(new Refusal(flows, error));
        return this;
    }

    /** Forgets every {@link #refuse} rule. */
    public synchronized void refuseNothing() {
        refusals.clear();
    }

    /**
     * Another controller took a role (a ROLE_STATUS reaching this one): with MASTER, this session becomes SLAVE
     * and the switch remembers {@code generation}.
     */
    public synchronized void announceRole(ControllerRole ourNewRole, long generation) {
        noteGeneration(generation);
        role = ourNewRole;
        lastRoleStatus = ourNewRole;
    }

    /** Puts flows in the table directly, as someone else's writes would (an operator's ovs-ofctl, ...). */
    public synchronized void putDirectly(Collection<Flow> flows) {
        flows.forEach(f -> table.put(f.id(), f));
    }

    public synchronized void addPort(PortInfo port) {
        ports.put(port.number(), port);
    }

    /** Ends the session: {@link #isActive()} turns false and every later call fails. */
    public synchronized void disconnect() {
        active = false;
    }

    /** Bundles the switch committed or discarded so far (a reconcile with nothing to do sends none). */
    public synchronized int bundleCount() {
        return bundles;
    }

    /** The table now. */
    public synchronized List<Flow> flows() {
        return List.copyOf(table.values());
    }

    // ---- Switch -----------------------------------------------------------------------------------------

    @Override
    public long dpid() {
        return dpid;
    }

    @Override
    public String remoteAddress() {
        return "in-memory";
    }

    @Override
    public int version() {
        return 0x05;
    }

    @Override
    public SwitchFeatures features() {
        return new SwitchFeatures(255, 0, Set.of("FLOW_STATS", "TABLE_STATS", "PORT_STATS"));
    }

    @Override
    public synchronized Map<Long, PortInfo> ports() {
        return Map.copyOf(ports);
    }

    @Override
    public synchronized boolean isActive() {
        return active;
    }

    @Override
    public synchronized ControllerRole role() {
        return role;
    }

    @Override
    public synchronized ControllerRole lastRoleStatus() {
        return lastRoleStatus;
    }

    @Override
    public synchronized long generationId() {
        return grantedGeneration;
    }

    @Override
    public synchronized ControllerRole requestRole(ControllerRole wanted, long generation) {
        requireActive();
        if (wanted != ControllerRole.EQUAL) {
            if (generationSeen && generation - maxGeneration < 0) {
                throw new SwitchException.StaleGeneration("switch " + dpidString() + " refused the role request: "
                        + "stale generation id " + generation + " (it has seen " + maxGeneration + ")");
            }
            noteGeneration(generation);
        }
        role = wanted;
        grantedGeneration = generation;
        return wanted;
    }

    @Override
    public synchronized void close() {
        active = false;
    }

    // ---- FlowProgrammer ---------------------------------------------------------------------------------

    @Override
    public synchronized BundleResult applyBundle(List<FlowChange> changes) {
        long t0 = System.nanoTime();
        requireWritable();
        Map<FlowId, Flow> next = new LinkedHashMap<>(table);
        List<BundleResult.Failure> failures = new ArrayList<>();
        for (int i = 0; i < changes.size(); i++) {
            FlowChange c = changes.get(i);
            String error = refusal(c.flow());
            if (error != null) {
                failures.add(new BundleResult.Failure(i, error + " for " + c.kind() + " " + c.flow()));
            } else {
                apply(next, c);
            }
        }
        bundles++;
        boolean commit = failures.isEmpty();
        if (commit) {
            table.clear();
            table.putAll(next);
        }
        return new BundleResult(changes.size(), commit, failures, Duration.ofNanos(System.nanoTime() - t0));
    }

    @Override
    public synchronized void install(Collection<Flow> flows) {
        requireWritable();
        int refused = 0;
        String first = null;
        for (Flow f : flows) {
            String error = refusal(f);
            if (error == null) {
                table.put(f.id(), f);
            } else if (refused++ == 0) {
                first = f + ": " + error;
            }
        }
        if (refused > 0) {
            throw new SwitchException(refused + " of " + flows.size() + " refused by switch " + dpidString()
                    + "; first: " + first);
        }
    }

    @Override
    public synchronized ReconcileResult reconcile(Collection<Flow> desired, FlowReconciler reconciler) {
        requireWritable();
        ReconcilePlan plan = reconciler.diff(desired, table.values());
        if (plan.isEmpty()) {
            return new ReconcileResult(plan, null);
        }
        return new ReconcileResult(plan, applyBundle(plan.changes()));
    }

    @Override
    public synchronized List<Flow> dumpFlows() {
        requireActive();
        return List.copyOf(table.values());
    }

    @Override
    public synchronized void deleteByCookie(long cookie, long mask) {
        requireWritable();
        table.values().removeIf(f -> (f.cookie() & mask) == (cookie & mask));
    }

    // ---- SwitchStatistics: counters are always zero here --------------------------------------------------

    @Override
    public synchronized List<FlowStats> flowStats() {
        requireActive();
        return table.values().stream().map(f -> new FlowStats(f, 0, 0, 0)).toList();
    }

    @Override
    public synchronized long flowCount() {
        requireActive();
        return table.size();
    }

    @Override
    public synchronized List<PortStats> portStats() {
        requireActive();
        return ports.keySet().stream().map(p -> new PortStats(p, 0, 0, 0, 0, 0, 0)).toList();
    }

    // ---- the table ----------------------------------------------------------------------------------------

    private static void apply(Map<FlowId, Flow> t, FlowChange c) {
        Flow f = c.flow();
        switch (c.kind()) {
            case ADD -> t.put(f.id(), f);
            case MODIFY -> t.computeIfPresent(f.id(), (id, old) -> old.withInstructions(f.instructions()));
            case DELETE -> t.remove(f.id());
            case DELETE_BY_COOKIE -> t.values().removeIf(x -> x.tableId() == f.tableId() && x.cookie() == f.cookie());
        }
    }

    private String refusal(Flow f) {
        for (Refusal r : refusals) {
            if (r.flows().test(f)) {
                return r.error();
            }
        }
        return null;
    }

    private void noteGeneration(long generation) {
        if (!generationSeen || generation - maxGeneration > 0) {
            maxGeneration = generation;
            generationSeen = true;
        }
    }

    private void requireActive() {
        if (!active) {
            throw new SwitchException("connection to switch " + dpidString() + " is closed");
        }
    }

    private void requireWritable() {
        requireActive();
        if (role == ControllerRole.SLAVE) {
            throw new SwitchException.NotMaster("switch " + dpidString() + " refused a write: this connection is "
                    + "SLAVE");
        }
    }

    @Override
    public String toString() {
        return "in-memory switch " + dpidString();
    }
}
