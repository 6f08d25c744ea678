package io.flowkeeper.cli.demo;

import io.flowkeeper.testbed.BridgeSpec;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.TestBed;
import io.flowkeeper.testbed.Vm;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What the demo's stages share: one test bed with host {@code h1}, bridge {@value #BRIDGE} (OpenFlow 1.3/1.4, fail
 * mode secure) and two VMs, plus a timeline of what happened, printed at the end.
 */
public final class DemoContext implements AutoCloseable {
    public static final String BRIDGE = "br-int";

    private final PrintStream out;
    private final long startNanos = System.nanoTime();
    private final List<String> timeline = new ArrayList<>();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private TestBed bed;
    private OvsHost host;
    private Vm vmA;
    private Vm vmB;
    private Duration hostBringUp;

    DemoContext(PrintStream out) {
        this.out = out;
    }

    /** Builds the shared test bed; called once, before the first stage. */
    void build() {
        long t0 = System.nanoTime();
        bed = TestBed.create();
        host = bed.addHost("h1");
        host.addBridge(BridgeSpec.named(BRIDGE));
        vmA = host.addVm("a", BRIDGE, "02:00:00:00:00:0a", "10.0.0.1/24");
        vmB = host.addVm("b", BRIDGE, "02:00:00:00:00:0b", "10.0.0.2/24");
        hostBringUp = Duration.ofNanos(System.nanoTime() - t0);
        event("test bed " + bed.runId() + " up: host h1 (OVS " + ovsVersion() + ", userspace datapath), "
                + "VMs a=" + vmA.ip() + " b=" + vmB.ip() + " in " + hostBringUp.toMillis() + " ms");
    }

    private String ovsVersion() {
        String v = host.vsctl("--version").lines().findFirst().orElse("");
        return v.replaceAll(".*\\) ", "").strip();
    }

    /** Records a timestamped event and prints it. */
    public void event(String text) {
        String line = String.format(java.util.Locale.ROOT, "[%7.3f s] %s",
                (System.nanoTime() - startNanos) / 1e9, text);
        timeline.add(line);
        out.println("  " + line);
    }

    /** Prints an explanation (not part of the timeline). */
    public void say(String text) {
        out.println("  " + text);
    }

    /** Closes the resource (a controller, an agent) when the demo ends, before the test bed goes. */
    public <T extends AutoCloseable> T closeAtEnd(T resource) {
        resources.add(resource);
        return resource;
    }

    public TestBed bed() {
        return bed;
    }

    public OvsHost host() {
        return host;
    }

    public Vm vmA() {
        return vmA;
    }

    public Vm vmB() {
        return vmB;
    }

    List<String> timeline() {
        return List.copyOf(timeline);
    }

    @Override
    public void close() {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                out.println("  (cleanup of " + resources.get(i) + " failed: " + e.getMessage() + ")");
            }
        }
        if (bed != null) {
            bed.close();
        }
    }
}
