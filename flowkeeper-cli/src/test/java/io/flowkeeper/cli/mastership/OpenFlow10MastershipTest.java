package io.flowkeeper.cli.mastership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowkeeper.cli.bench.MastershipBed;
import io.flowkeeper.controller.RestClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * An OpenFlow 1.0 bridge ({@code protocols=OpenFlow10}: no roles, no bundles) mastered by the cluster, against
 * real OVS: 3 controller JVMs, one OVS host whose bridge connects to all 3, two VMs on it. Flows through the API
 * reach it, a flow 1.0 cannot express is refused and shown; OVS's own log of every OpenFlow message it received
 * (vconn at debug level) shows that only the entity owner of the moment sent a FLOW_MOD or PACKET_OUT; kill -9
 * of the owner under a 10 ms ping loses no packet, and the survivor's reconcile (adds, barrier, deletes) leaves
 * the table equal to the desired flows, deleting an extra flow with our cookie that was put in by hand. Then the
 * weaker fencing: an owner frozen (SIGSTOP) past its lease, whose switch moved meanwhile, sends nothing once resumed.
 */
@Tag("integration")
@Timeout(300)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OpenFlow10MastershipTest {
    private static final Duration LONG = Duration.ofSeconds(60);
    private static final String DP = MastershipBed.dpidHex(0);
    /** A modifying message OVS logged as received, and from which controller connection. */
    private static final Pattern RECEIVED = Pattern.compile(
            "vconn\\|DBG\\|tcp:([0-9.]+:\\d+): received: (OFPT_FLOW_MOD|OFPT_PACKET_OUT|OFPT_PORT_MOD)");
    private static MastershipBed bed;

    @BeforeAll
    static void start() throws Exception {
        bed = MastershipBed.create(1, List.of("stats-interval: 1s"), false, List.of("OpenFlow10"));
        // every message each controller connection delivers, logged by OVS (the witness that is not us)
        bed.host(0).appctl("vlog/set", "vconn:file:dbg");
    }

    @AfterAll
    static void stop() {
        if (bed != null) {
            bed.close();
        }
    }

    @Test
    @Order(1)
    void theOwnerAloneWritesAndATakeoverUnderPingLosesNothingAndEndsInTheDesiredState() throws Exception {
        MastershipBed.Ownership first = bed.awaitMasters(LONG).get(0);
        bed.pushBaseline();
        await().atMost(LONG).until(() -> bed.switchHas(0, "actions=NORMAL"));
        RestClient client = bed.anyLiveClient(bed.cluster().indexOf(first.owner()));
        await().atMost(LONG).until(() -> client.get("/v1/switches/" + DP).body().path("openflow-version").asInt()
                == 1);
        assertThat(bed.vm(0, 0).reachable(bed.vm(0, 1).ip(), Duration.ofSeconds(20))).isTrue();

        // A batch through a node that is not the owner: the flow 1.0 can express lands, the other is refused, shown.
        RestClient.Response r = client.post("/v1/switches/" + DP + "/flows",
                "{\"flows\": [{\"id\": \"drop-9\", \"flow\": \"table=0,priority=50,ip,nw_dst=10.9.9.9,actions=drop\"},"
                        + "{\"id\": \"table-3\", \"flow\": \"table=3,priority=50,ip,nw_dst=10.9.9.3,actions=drop\"}]}");
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        await().atMost(LONG).until(() -> bed.switchHas(0, "nw_dst=10.9.9.9"));
        await().atMost(LONG).until(() -> client.get("/v1/switches/" + DP).body().path("refused").size() == 1);
        JsonNode refused = client.get("/v1/switches/" + DP).body().path("refused").get(0);
        assertThat(refused.path("id").asText()).isEqualTo("table-3");
        assertThat(refused.path("error").asText()).contains("OpenFlow 1.0").contains("table 0");
        assertThat(bed.switchHas(0, "nw_dst=10.9.9.3")).isFalse();
        assertThat(client.delete("/v1/switches/" + DP + "/flows/table-3").status()).isEqualTo(200);
        await().atMost(LONG).until(() -> client.get("/v1/switches/" + DP).body().path("refused").isEmpty());

        // An extra flow with our cookie, put in by hand: the owner does not look (no reconcile without a reason),
        // the next owner's reconcile deletes it after adding what is missing.
        bed.host(0).ofctl("-O", "OpenFlow10", "add-flow", MastershipBed.BRIDGE,
                "cookie=0xf100000000000abc,priority=70,ip,nw_dst=10.9.9.6,actions=drop");
        assertThat(bed.switchHas(0, "nw_dst=10.9.9.6")).isTrue();

        MastershipBed.Failover f = bed.killMasterUnderPing(0, "after-kill",
                "table=0,priority=60,ip,nw_dst=10.9.9.7,actions=drop", "nw_dst=10.9.9.7");
        assertThat(f.before().owner()).isEqualTo(first.owner());
        assertThat(f.after().owner()).isNotEqualTo(f.before().owner());
        assertThat(f.ping().received()).isGreaterThan(50);
        assertThat(f.ping().lost()).as(f.ping().toString()).isZero();
        System.out.printf("OpenFlow 1.0 takeover: %s -> %s (generation %d -> %d), ping %d sent, %d lost, longest gap "
                + "%d ms%n", f.before().owner(), f.after().owner(), f.before().generation(), f.after().generation(),
                f.ping().sent(), f.ping().lost(), f.ping().longestGap().toMillis());

        // The table ends equal to the desired flows: exactly these three, the hand-made extra gone.
        await().atMost(LONG).until(() -> !bed.switchHas(0, "nw_dst=10.9.9.6"));
        List<String> table = bed.host(0).dumpFlowsWithoutCounters(MastershipBed.BRIDGE);
        assertThat(table).as(table.toString()).hasSize(3);
        assertThat(table).anyMatch(l -> l.contains("priority=1") && l.contains("actions=NORMAL"))
                .anyMatch(l -> l.contains("nw_dst=10.9.9.9") && l.contains("actions=drop"))
                .anyMatch(l -> l.contains("nw_dst=10.9.9.7") && l.contains("actions=drop"));
        RestClient survivor = bed.anyLiveClient(bed.cluster().indexOf(f.before().owner()));
        await().atMost(LONG).until(() -> survivor.get("/v1/switches/" + DP + "/flows?view=diff").body()
                .path("in-sync").asBoolean());

        // Only the owner of the moment wrote: the first owner, then the survivor that took over; the third node
        // (connected all along, and SLAVE) sent nothing that modifies the switch.
        Map<String, Integer> writes = modifyingMessagesByNode(0);
        System.out.println("OpenFlow 1.0: modifying messages OVS received, by node: " + writes);
        String third = null;
        for (int i = 0; i < bed.cluster().size(); i++) {
            String node = bed.cluster().id(i);
            if (!node.equals(f.before().owner()) && !node.equals(f.after().owner())) {
                third = node;
            }
        }
        assertThat(writes).as("modifying messages by sending node: " + writes).containsOnlyKeys(
                f.before().owner(), f.after().owner());
        assertThat(writes.get(f.before().owner())).isPositive();
        assertThat(writes.get(f.after().owner())).isPositive();
        assertThat(writes).doesNotContainKey(third);
    }

    @Test
    @Order(2)
    void anOwnerFrozenPastItsLeaseSendsNothingOnceResumed() throws Exception {
        for (int i = 0; i < bed.cluster().size(); i++) {
            if (!bed.cluster().isRunning(i)) {
                bed.cluster().start(i);
            }
        }
        bed.cluster().awaitAllReady(180_000);
        MastershipBed.Ownership before = bed.awaitMasters(LONG).get(0);
        int frozen = bed.cluster().indexOf(before.owner());
        long pid = bed.cluster().pid(frozen);
        RestClient survivor = bed.anyLiveClient(frozen);
        assertThat(survivor.put("/v1/switches/" + DP + "/flows/doomed", "table=0,priority=70,ip,nw_dst=10.9.9.5,"
                + "actions=drop").ok()).isTrue();
        await().atMost(LONG).until(() -> bed.switchHas(0, "nw_dst=10.9.9.5"));
        long logBefore = Files.size(vswitchdLog());
        new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor();
        try {
            await().atMost(LONG).until(() -> bed.ownership(0, frozen).map(o -> !o.owner().equals(before.owner()))
                    .orElse(false));
            // While it sleeps, the flow it programmed is deleted and another written through the new owner.
            await().atMost(LONG).until(() -> survivor.delete("/v1/switches/" + DP + "/flows/doomed").ok());
            await().atMost(LONG).until(() -> survivor.put("/v1/switches/" + DP + "/flows/fresh",
                    "table=0,priority=70,ip,nw_dst=10.9.9.4,actions=drop").ok());
            await().atMost(LONG).until(() -> !bed.switchHas(0, "nw_dst=10.9.9.5") && bed.switchHas(0,
                    "nw_dst=10.9.9.4"));
        } finally {
            new ProcessBuilder("kill", "-CONT", Long.toString(pid)).start().waitFor();
        }
        List<String> table = bed.host(0).dumpFlowsWithoutCounters(MastershipBed.BRIDGE);
        Thread.sleep(4_000); // the resumed node's timers, watches and stale views all fire in here
        assertThat(bed.host(0).dumpFlowsWithoutCounters(MastershipBed.BRIDGE)).isEqualTo(table);
        Map<String, Integer> writes = modifyingMessagesByNode(logBefore);
        System.out.println("OpenFlow 1.0: modifying messages OVS received from the freeze on, by node: " + writes
                + " (frozen: " + before.owner() + ")");
        assertThat(writes).as("modifying messages since the freeze: " + writes).doesNotContainKey(before.owner());
        assertThat(writes).isNotEmpty(); // the new owner's writes are in the same log: the log is being read
        assertThat(Files.readString(bed.cluster().logFile(frozen))).contains("lease of " + before.owner() + " lost");
    }

    private static Path vswitchdLog() {
        return bed.host(0).runDir().resolve("ovs-vswitchd.log");
    }

    /**
     * FLOW_MOD, PACKET_OUT and PORT_MOD messages OVS received (logged from byte {@code from} of its log on), by the
     * node whose connection they came on.
     */
    private static Map<String, Integer> modifyingMessagesByNode(long from) throws Exception {
        Map<String, String> nodeByAddress = new HashMap<>();
        for (int i = 0; i < bed.cluster().size(); i++) {
            nodeByAddress.put(bed.cluster().openflowAddress(i), bed.cluster().id(i));
        }
        byte[] all = Files.readAllBytes(vswitchdLog());
        Matcher m = RECEIVED.matcher(new String(all, (int) from, all.length - (int) from, StandardCharsets.UTF_8));
        Map<String, Integer> byNode = new TreeMap<>();
        while (m.find()) {
            byNode.merge(nodeByAddress.getOrDefault(m.group(1), "unknown " + m.group(1)), 1, Integer::sum);
        }
        return byNode;
    }
}
