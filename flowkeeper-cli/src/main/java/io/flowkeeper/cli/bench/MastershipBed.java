package io.flowkeeper.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowkeeper.controller.RestClient;
import io.flowkeeper.controller.local.LocalCluster;
import io.flowkeeper.controller.pki.LabPki;
import io.flowkeeper.testbed.BridgeSpec;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.PingMonitor;
import io.flowkeeper.testbed.PingResult;
import io.flowkeeper.testbed.TestBed;
import io.flowkeeper.testbed.Vm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A 3-node controller cluster (separate JVMs) and OVS hosts whose bridge {@code br-int} connects to all 3 nodes,
 * each host with two VMs on that bridge. The switches get datapath ids 0xa1, 0xa2, ...; nothing is programmed until
 * {@link #pushBaseline()} writes one NORMAL flow per switch through the API. Used by {@code bench failover}, the
 * demo and the mastership tests. Closing stops every JVM, OVS and namespace it made.
 */
public final class MastershipBed implements AutoCloseable {
    public static final String BRIDGE = "br-int";

    private final TestBed bed;
    private final LocalCluster cluster;
    private final List<OvsHost> hosts = new ArrayList<>();
    private final List<Vm[]> vms = new ArrayList<>();

    private MastershipBed(TestBed bed, LocalCluster cluster) {
        this.bed = bed;
        this.cluster = cluster;
    }

    /** Starts everything; on failure, stops what it started. */
    public static MastershipBed create(int hostCount, List<String> extraYaml) throws IOException, InterruptedException {
        return create(hostCount, extraYaml, false);
    }

    /**
     * @param tls every node with {@code tls:} from a lab CA, and every host's OVS with {@code ovs-vsctl set-ssl} and
     *     a certificate of that CA binding its switch's datapath id, connecting to {@code ssl:} targets
     */
    public static MastershipBed create(int hostCount, List<String> extraYaml, boolean tls)
            throws IOException, InterruptedException {
        return create(hostCount, extraYaml, tls, BridgeSpec.named(BRIDGE).protocols());
    }

    /**
     * @param protocols the OpenFlow versions every host's bridge speaks ({@code OpenFlow10} alone: a switch without
     *     roles or bundles, mastered by the lease alone)
     */
    public static MastershipBed create(int hostCount, List<String> extraYaml, boolean tls, List<String> protocols)
            throws IOException, InterruptedException {
        TestBed bed = TestBed.create();
        MastershipBed m = null;
        try {
            LocalCluster cluster = tls ? LocalCluster.inTempDirWithTls(3, extraYaml, bed.controllerIp())
                    : LocalCluster.inTempDir(3, extraYaml, bed.controllerIp());
            m = new MastershipBed(bed, cluster);
            cluster.startAll();
            cluster.awaitAllReady(180_000);
            List<String> targets = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                targets.add((tls ? "ssl:" : "tcp:") + cluster.openflowAddress(i));
            }
            for (int h = 0; h < hostCount; h++) {
                OvsHost host = bed.addHost("h" + (h + 1));
                if (tls) {
                    String name = "h" + (h + 1);
                    LabPki pki = cluster.pki();
                    pki.init(List.of(), List.of(new LabPki.HostSpec(name, List.of(0xa1L + h))));
                    host.vsctl("set-ssl", pki.hostKey(name).toString(), pki.hostCertificate(name).toString(),
                            pki.caCertificate().toString());
                }
                // The datapath id first, controllers last: a bridge flushes its flows when it first gets one.
                host.addBridge(BridgeSpec.named(BRIDGE).protocols(protocols.toArray(String[]::new)));
                host.vsctl("set", "bridge", BRIDGE, "other-config:datapath-id=" + dpidHex(h));
                Vm a = host.addVm("a", BRIDGE, String.format("02:00:00:00:%02x:01", h + 1),
                        "10.0." + (h + 1) + ".1/24");
                Vm b = host.addVm("b", BRIDGE, String.format("02:00:00:00:%02x:02", h + 1),
                        "10.0." + (h + 1) + ".2/24");
                host.setControllers(BRIDGE, targets.toArray(String[]::new));
                m.hosts.add(host);
                m.vms.add(new Vm[] {a, b});
            }
            return m;
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (m != null) {
                m.close();
            } else {
                bed.close();
            }
            throw e;
        }
    }

    public static String dpidHex(int hostIndex) {
        return String.format("%016x", 0xa1 + hostIndex);
    }

    public LocalCluster cluster() {
        return cluster;
    }

    public OvsHost host(int h) {
        return hosts.get(h);
    }

    public Vm vm(int h, int v) {
        return vms.get(h)[v];
    }

    /** Another OVS host in the same test bed, without bridges or VMs (for benches that bring their own). */
    public OvsHost addBareHost(String name) {
        return bed.addHost(name);
    }

    public int hostCount() {
        return hosts.size();
    }

    /** A REST client of some running node, preferring {@code avoid}'s others. */
    public RestClient anyLiveClient(int... avoid) {
        outer:
        for (int i = 0; i < cluster.size(); i++) {
            for (int a : avoid) {
                if (a == i) {
                    continue outer;
                }
            }
            if (cluster.isRunning(i)) {
                return cluster.client(i);
            }
        }
        throw new IllegalStateException("no running controller node");
    }

    /** One NORMAL flow per switch, through the API: the VMs of each host can then talk. */
    public void pushBaseline() throws IOException {
        for (int h = 0; h < hosts.size(); h++) {
            RestClient.Response r = anyLiveClient().put("/v1/switches/" + dpidHex(h) + "/flows/normal",
                    "{\"flow\": \"table=0,priority=1,actions=NORMAL\"}");
            if (!r.ok()) {
                throw new IOException("pushing the baseline flow failed: " + r.status() + " " + r.error());
            }
        }
    }

    /** The committed owner of a switch's entity as a live node sees it, if any. */
    public Optional<Ownership> ownership(int h, int... avoid) throws IOException {
        RestClient.Response r = anyLiveClient(avoid).get("/v1/ownership");
        if (!r.ok()) {
            return Optional.empty();
        }
        for (JsonNode e : r.body().path("entities")) {
            if (e.path("entity").asText().equals("openflow:" + dpidHex(h)) && e.path("owner").isTextual()) {
                return Optional.of(new Ownership(e.get("owner").asText(), e.path("generation").asLong(),
                        e.path("candidates").size()));
            }
        }
        return Optional.empty();
    }

    /** What {@link #killMasterUnderPing} saw: the owner before and after, and the ping across the kill. */
    public record Failover(Ownership before, Ownership after, PingResult ping) {}

    /**
     * Kills the master of host h's switch (kill -9) while its two VMs ping each other every 10 ms, writes
     * {@code flow} as {@code flowId} through a surviving node right after, and waits until the switch holds a flow
     * containing {@code marker}; the killed node stays down.
     */
    public Failover killMasterUnderPing(int h, String flowId, String flow, String marker) throws Exception {
        Duration wait = Duration.ofSeconds(60);
        Ownership before = awaitMasters(wait).get(h);
        int victim = cluster.indexOf(before.owner());
        PingMonitor ping = vm(h, 0).startPing(vm(h, 1).ip(), Duration.ofMillis(10));
        Thread.sleep(500);
        cluster.kill(victim);
        RestClient survivor = anyLiveClient(victim);
        long deadline = System.nanoTime() + wait.toNanos();
        boolean written = false;
        while (!(written = written || survivor.put("/v1/switches/" + dpidHex(h) + "/flows/" + flowId, flow).ok())
                || !switchHas(h, marker)) {
            if (System.nanoTime() > deadline) {
                ping.stop();
                throw new IOException((written ? "the flow written after the kill never reached switch "
                        : "no surviving node accepted a flow for switch ") + dpidHex(h) + " within 60 s");
            }
            Thread.sleep(20);
        }
        Thread.sleep(500);
        PingResult result = ping.stop();
        return new Failover(before, ownership(h, victim).orElseThrow(), result);
    }

    /** Owner and generation of a switch, and how many nodes are candidates. */
    public record Ownership(String owner, long generation, int candidates) {}

    /** Waits until every switch has an owner with all 3 nodes as candidates; returns the owners by host. */
    public List<Ownership> awaitMasters(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<Ownership> all = new ArrayList<>();
            for (int h = 0; h < hosts.size(); h++) {
                ownership(h).filter(o -> o.candidates() == 3).ifPresent(all::add);
            }
            if (all.size() == hosts.size()) {
                return all;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("switches without a master after " + timeout.toSeconds() + " s: " + all);
            }
            Thread.sleep(100);
        }
    }

    private static final Pattern MASTER_LINE = Pattern.compile(
            "^(\\d\\d:\\d\\d:\\d\\d\\.\\d{3}) .*switch (\\p{XDigit}{16}): MASTER on node (\\S+) at generation (\\d+)",
            Pattern.MULTILINE);

    /**
     * For each switch (dpid in hex) of {@code generationsBefore}: milliseconds from {@code since} to the first line
     * a node logged when the switch granted it MASTER at a higher generation (the node logs, same clock, ms
     * resolution). Switches without such a line yet are absent.
     */
    public Map<String, Double> mastersGrantedSince(LocalTime since, Map<String, Long> generationsBefore)
            throws IOException {
        Map<String, Double> first = new HashMap<>();
        for (int i = 0; i < cluster.size(); i++) {
            Path log = cluster.logFile(i);
            if (!Files.exists(log)) {
                continue;
            }
            Matcher m = MASTER_LINE.matcher(Files.readString(log, StandardCharsets.UTF_8));
            while (m.find()) {
                Long before = generationsBefore.get(m.group(2));
                if (before != null && Long.parseLong(m.group(4)) > before) {
                    double ms = ChronoUnit.MICROS.between(since, LocalTime.parse(m.group(1))) / 1000.0;
                    if (ms >= -5) { // a line of the same millisecond as the kill, rounded down
                        first.merge(m.group(2), Math.max(0, ms), Math::min);
                    }
                }
            }
        }
        return first;
    }

    /** True when the switch of host h holds a flow whose dump line contains {@code text}. */
    public boolean switchHas(int h, String text) {
        return hosts.get(h).dumpFlowsWithoutCounters(BRIDGE).stream().anyMatch(l -> l.contains(text));
    }

    @Override
    public void close() {
        try {
            cluster.close();
        } finally {
            bed.close();
        }
    }
}
