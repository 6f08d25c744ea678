package io.flowkeeper.agent.metrics;

import io.flowkeeper.agent.AgentListener;
import io.flowkeeper.agent.AgentStatus;
import io.flowkeeper.agent.snapshot.SnapshotInspector;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The agent's meters, fed by its {@link AgentListener} calls (it passes every call on to {@code delegate}, the
 * CLI's printer) and by its snapshot directory, read when scraped: snapshot bytes on disk and the flow count the
 * bridge's STATUS file holds. Names follow Prometheus's conventions ({@code flowkeeper_agent_*}, seconds,
 * {@code _total}); every series carries {@code host} and {@code bridge} labels.
 */
public final class AgentMetrics implements AgentListener {
    private final AgentListener delegate;
    private final Path snapshotDir;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    /** Per bridge: when the last journaled change was written (nanoTime; 0: none yet). */
    private final Map<String, AtomicLong> lastJournaled = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> lastRestoreFlows = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> lastRestoreSinceStartMillis = new ConcurrentHashMap<>();

    public AgentMetrics(String host, List<String> bridges, Path snapshotDir, AgentListener delegate) {
        this.delegate = delegate;
        this.snapshotDir = snapshotDir;
        registry.config().commonTags("host", host);
        for (String bridge : bridges) {
            lastJournaled.put(bridge, new AtomicLong());
            lastRestoreFlows.put(bridge, new AtomicLong(-1));
            lastRestoreSinceStartMillis.put(bridge, new AtomicLong(-1));
            Gauge.builder("flowkeeper.agent.snapshot.bytes", this, m -> m.snapshotBytes(bridge)).tag("bridge", bridge)
                    .baseUnit("bytes").description("the bridge's snapshot partition files on disk").register(registry);
            Gauge.builder("flowkeeper.agent.snapshot.flows", this, m -> m.snapshotFlows(bridge)).tag("bridge", bridge)
                    .description("flows in the bridge's snapshot (as its STATUS file last said)").register(registry);
            Gauge.builder("flowkeeper.agent.journal.lag", this, m -> {
                long t = m.lastJournaled.get(bridge).get();
                return t == 0 ? Double.NaN : (System.nanoTime() - t) / 1e9;
            }).tag("bridge", bridge).baseUnit("seconds")
                    .description("age of the last change the journal wrote: how far the snapshot may trail the switch"
                            + " when it changes") .register(registry);
            Gauge.builder("flowkeeper.agent.restore.last.flows", lastRestoreFlows.get(bridge), AtomicLong::get)
                    .tag("bridge", bridge).description("flows the last restore installed, -1 before any")
                    .register(registry);
            Gauge.builder("flowkeeper.agent.restore.last.since.vswitchd.start", lastRestoreSinceStartMillis.get(bridge),
                    a -> a.get() < 0 ? Double.NaN : a.get() / 1000.0).tag("bridge", bridge).baseUnit("seconds")
                    .description("from ovs-vswitchd's start to the last restore's commit").register(registry);
            journaledCounter(bridge);
            restoreTimer(bridge);
        }
    }

    private Counter journaledCounter(String bridge) {
        return Counter.builder("flowkeeper.agent.journal.changes").tag("bridge", bridge)
                .description("flow changes written to the snapshot journal").register(registry);
    }

    private Timer restoreTimer(String bridge) {
        return Timer.builder("flowkeeper.agent.restore").tag("bridge", bridge).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(30))
                .description("restores, the bundle's OPEN to its commit reply").register(registry);
    }

    private double snapshotBytes(String bridge) {
        try {
            return SnapshotInspector.diskUsage(snapshotDir.resolve(bridge)).bytes();
        } catch (IOException e) {
            return Double.NaN;
        }
    }

    private double snapshotFlows(String bridge) {
        try {
            AgentStatus s = AgentStatus.read(snapshotDir.resolve(bridge));
            return s == null || s.snapshotFlows() == null ? Double.NaN : s.snapshotFlows();
        } catch (IOException e) {
            return Double.NaN;
        }
    }

    /** The exposition in Prometheus's text format. */
    public String scrape() {
        return registry.scrape();
    }

    private Counter counter(String name, String help, String... tags) {
        return Counter.builder(name).tags(tags).description(help).register(registry);
    }

    @Override
    public void restored(String bridge, int flows, Duration bundle, Duration sinceSwitchStart) {
        restoreTimer(bridge).record(bundle);
        lastRestoreFlows.computeIfAbsent(bridge, b -> new AtomicLong()).set(flows);
        if (sinceSwitchStart != null) {
            lastRestoreSinceStartMillis.computeIfAbsent(bridge, b -> new AtomicLong()).set(sinceSwitchStart.toMillis());
        }
        counter("flowkeeper.agent.restore.flows", "flows installed by restores", "bridge", bridge).increment(flows);
        delegate.restored(bridge, flows, bundle, sinceSwitchStart);
    }

    @Override
    public void journaling(String bridge, int flows) {
        delegate.journaling(bridge, flows);
    }

    @Override
    public void journaled(String bridge, int changes) {
        lastJournaled.computeIfAbsent(bridge, b -> new AtomicLong()).set(System.nanoTime());
        journaledCounter(bridge).increment(changes);
        delegate.journaled(bridge, changes);
    }

    @Override
    public void disconnected(String bridge) {
        counter("flowkeeper.agent.switch.disconnects", "times ovs-vswitchd went away", "bridge", bridge).increment();
        delegate.disconnected(bridge);
    }

    @Override
    public void degraded(String bridge, String reason) {
        counter("flowkeeper.agent.snapshot.write.failures", "times the snapshot could not be written", "bridge",
                bridge).increment();
        delegate.degraded(bridge, reason);
    }

    @Override
    public void forwardingReleased() {
        delegate.forwardingReleased();
    }

    @Override
    public void registered(String host) {
        counter("flowkeeper.agent.registrations", "registrations with the cluster").increment();
        delegate.registered(host);
    }

    @Override
    public void reported(int plugged, int unplugged, List<String> errors) {
        counter("flowkeeper.agent.ports.reported", "port plugs and unplugs reported to the cluster")
                .increment(plugged + unplugged);
        delegate.reported(plugged, unplugged, errors);
    }

    @Override
    public void tunnelsChanged(Map<String, String> added, List<String> removed) {
        delegate.tunnelsChanged(added, removed);
    }

    @Override
    public void clusterCallFailed(String reason) {
        counter("flowkeeper.agent.cluster.call.failures", "calls to the cluster that failed (retried)").increment();
        delegate.clusterCallFailed(reason);
    }

    @Override
    public void dhcpServing(String bridge, int bindings) {
        delegate.dhcpServing(bridge, bindings);
    }

    @Override
    public void dhcpRequest(boolean answered) {
        counter("flowkeeper.agent.dhcp.requests", "DHCP requests that reached the agent's own server",
                "answered", Boolean.toString(answered)).increment();
        delegate.dhcpRequest(answered);
    }

    @Override
    public void gatewayState(String router, String from, String to, long generation, String why) {
        delegate.gatewayState(router, from, to, generation, why);
    }

    @Override
    public void gatewayHook(String router, String state, String script, int exitCode) {
        delegate.gatewayHook(router, state, script, exitCode);
    }
}
