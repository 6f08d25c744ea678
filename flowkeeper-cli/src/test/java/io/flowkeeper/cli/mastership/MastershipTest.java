package io.flowkeeper.cli.mastership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flowkeeper.cli.bench.MastershipBed;
import io.flowkeeper.cli.bench.MastershipBed.Ownership;
import io.flowkeeper.controller.RestClient;
import io.flowkeeper.controller.local.LocalCluster;
import io.flowkeeper.testbed.PingMonitor;
import io.flowkeeper.testbed.PingResult;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Switch mastership against real OVS: 3 controller JVMs, 2 OVS hosts whose bridges connect to all 3 nodes, VMs
 * pinging each other. Each test leaves every node running for the next.
 */
@Tag("integration")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(300)
class MastershipTest {
    private static final Duration LONG = Duration.ofSeconds(60);
    private static MastershipBed bed;

    @BeforeAll
    static void start() throws Exception {
        bed = MastershipBed.create(2, List.of("stats-interval: 1s"));
        bed.awaitMasters(LONG);
        bed.pushBaseline();
    }

    @AfterAll
    static void stop() {
        if (bed != null) {
            bed.close();
        }
    }

    @BeforeEach
    void everyNodeRuns() throws Exception {
        LocalCluster c = bed.cluster();
        for (int i = 0; i < c.size(); i++) {
            if (!c.isRunning(i)) {
                c.start(i);
            }
        }
        c.awaitAllReady(180_000);
        bed.awaitMasters(LONG);
        await().atMost(LONG).until(() -> bed.switchHas(0, "actions=NORMAL") && bed.switchHas(1, "actions=NORMAL"));
    }

    private static int indexOf(String node) {
        return bed.cluster().indexOf(node);
    }

    @Test
    @Order(1)
    void mastersAreSpreadAndApiFlowsReachTheSwitches() throws Exception {
        List<Ownership> owners = bed.awaitMasters(LONG);
        assertThat(owners.get(0).owner()).isNotEqualTo(owners.get(1).owner());
        assertThat(bed.vm(0, 0).reachable(bed.vm(0, 1).ip(), Duration.ofSeconds(20))).isTrue();
        assertThat(bed.vm(1, 0).reachable(bed.vm(1, 1).ip(), Duration.ofSeconds(20))).isTrue();

        // A batch through a node that does not master switch 0, then a delete: the switch follows.
        RestClient client = bed.anyLiveClient(indexOf(owners.get(0).owner()));
        RestClient.Response r = client.post("/v1/switches/" + MastershipBed.dpidHex(0) + "/flows",
                "{\"flows\": [{\"id\": \"drop-9\", \"flow\": \"table=0,priority=50,ip,nw_dst=10.9.9.9,actions=drop\"},"
                        + "{\"id\": \"drop-8\", \"flow\": \"table=0,priority=50,ip,nw_dst=10.9.9.8,actions=drop\"}]}");
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        await().atMost(LONG).until(() -> bed.switchHas(0, "nw_dst=10.9.9.9") && bed.switchHas(0, "nw_dst=10.9.9.8"));
        assertThat(client.delete("/v1/switches/" + MastershipBed.dpidHex(0) + "/flows/drop-8").status()).isEqualTo(200);
        await().atMost(LONG).until(() -> !bed.switchHas(0, "nw_dst=10.9.9.8"));
        assertThat(bed.switchHas(1, "nw_dst=10.9.9.9")).isFalse();

        // The master's statistics manager publishes what the switch holds; the diff view agrees.
        await().atMost(LONG).until(() -> client.get("/v1/switches/" + MastershipBed.dpidHex(0)
                + "/flows?view=diff").body().path("in-sync").asBoolean());
        // Remote call: the role query is answered by the master whichever node is asked.
        for (int i = 0; i < 3; i++) {
            RestClient.Response role = bed.cluster().client(i).get("/v1/switches/" + MastershipBed.dpidHex(0)
                    + "/role");
            assertThat(role.status()).as(role.body().toString()).isEqualTo(200);
            assertThat(role.body().path("role").asText()).isEqualTo("MASTER");
            assertThat(role.body().path("generation").asLong()).isEqualTo(owners.get(0).generation());
        }
        // A live dump through a node that is not the master comes from the switch itself.
        RestClient.Response live = client.get("/v1/switches/" + MastershipBed.dpidHex(0) + "/flows?view=live");
        assertThat(live.status()).as(live.body().toString()).isEqualTo(200);
        assertThat(live.body().toString()).contains("nw_dst=10.9.9.9").doesNotContain("nw_dst=10.9.9.8");
        // A packet-out through a node that is not the master leaves the switch on the port it names.
        int port = bed.vm(0, 1).ofport();
        long txBefore = txPackets(0, port);
        // A broadcast frame of the local experimental EtherType, sent as if from the controller port (0xfffffffd).
        String frame = "ffffffffffff" + "020000000099" + "88b5" + "00".repeat(46);
        RestClient.Response out = client.post("/v1/switches/" + MastershipBed.dpidHex(0) + "/packet-out",
                "{\"in-port\": 4294967293, \"actions\": \"output:" + port + "\", \"packet\": \"" + frame + "\"}");
        assertThat(out.status()).as(out.body().toString()).isEqualTo(200);
        await().atMost(LONG).until(() -> txPackets(0, port) > txBefore);
        // The node-to-node route takes the node token only: an API token is refused there.
        RestClient.Response internal = bed.cluster().client(0).get("/v1/internal/switches/"
                + MastershipBed.dpidHex(0) + "/role");
        assertThat(internal.status()).isEqualTo(403);
        // Bad input: a clear 4xx, nothing written.
        RestClient.Response bad = client.put("/v1/switches/" + MastershipBed.dpidHex(0) + "/flows/bad",
                "table=0,priority=5,nw_dst=10.1.1.1,actions=frobnicate");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.error()).contains("bad");
        RestClient.Response clash = client.put("/v1/switches/" + MastershipBed.dpidHex(0) + "/flows/clash",
                "table=0,priority=50,ip,nw_dst=10.9.9.9,actions=NORMAL");
        assertThat(clash.status()).isEqualTo(409);
        assertThat(clash.error()).contains("drop-9");
    }

    @Test
    @Order(2)
    void killingAMasterMovesItsSwitchAndLosesNoPacket() throws Exception {
        // Written right after the kill, through a surviving node: the new master programs it.
        MastershipBed.Failover f = bed.killMasterUnderPing(0, "after-kill",
                "table=0,priority=60,ip,nw_dst=10.9.9.7,actions=drop", "nw_dst=10.9.9.7");
        assertThat(f.after().owner()).isNotEqualTo(f.before().owner());
        assertThat(f.after().generation()).isGreaterThan(f.before().generation());
        assertThat(f.ping().received()).isGreaterThan(50);
        assertThat(f.ping().lost()).as(f.ping().toString()).isZero();
    }

    @Test
    @Order(3)
    void aFrozenMasterNeverWritesToTheSwitchAgain() throws Exception {
        Ownership before = bed.awaitMasters(LONG).get(1);
        int frozen = indexOf(before.owner());
        long pid = bed.cluster().pid(frozen);
        String dp = MastershipBed.dpidHex(1);
        RestClient survivor = bed.anyLiveClient(frozen);
        assertThat(survivor.put("/v1/switches/" + dp + "/flows/doomed", "table=0,priority=70,ip,nw_dst=10.9.9.6,"
                + "actions=drop").ok()).isTrue();
        await().atMost(LONG).until(() -> bed.switchHas(1, "nw_dst=10.9.9.6"));
        new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor();
        try {
            await().atMost(LONG).until(() -> bed.ownership(1, frozen).map(o -> !o.owner().equals(before.owner()))
                    .orElse(false));
            // While it sleeps, the flow it programmed is deleted through the new master.
            await().atMost(LONG).until(() -> survivor.delete("/v1/switches/" + dp + "/flows/doomed").ok());
            await().atMost(LONG).until(() -> !bed.switchHas(1, "nw_dst=10.9.9.6"));
        } finally {
            new ProcessBuilder("kill", "-CONT", Long.toString(pid)).start().waitFor();
        }
        List<String> table = bed.host(1).dumpFlowsWithoutCounters(MastershipBed.BRIDGE);
        Thread.sleep(4_000); // the resumed node's timers, watches and stale views all fire in here
        assertThat(bed.host(1).dumpFlowsWithoutCounters(MastershipBed.BRIDGE)).isEqualTo(table);
        assertThat(Files.readString(bed.cluster().logFile(frozen))).contains("lease of " + before.owner() + " lost");
    }

    @Test
    @Order(4)
    void losingQuorumKeepsForwardingAnswers503AndResumes() throws Exception {
        bed.awaitMasters(LONG);
        PingMonitor ping = bed.vm(1, 0).startPing(bed.vm(1, 1).ip(), Duration.ofMillis(10));
        bed.cluster().kill(0);
        bed.cluster().kill(1);
        RestClient last = bed.cluster().client(2);
        RestClient.Response r = last.put("/v1/switches/" + MastershipBed.dpidHex(1) + "/flows/no-quorum",
                "table=0,priority=80,ip,nw_dst=10.9.9.5,actions=drop");
        assertThat(r.status()).as(r.body().toString()).isEqualTo(503);
        assertThat(r.error()).contains("inventory-config");
        Thread.sleep(1_000);
        bed.cluster().start(0);
        bed.cluster().awaitReady(0, 180_000);
        await().atMost(LONG).until(() -> last.put("/v1/switches/" + MastershipBed.dpidHex(1) + "/flows/no-quorum",
                "table=0,priority=80,ip,nw_dst=10.9.9.5,actions=drop").ok());
        await().atMost(LONG).until(() -> bed.switchHas(1, "nw_dst=10.9.9.5"));
        PingResult result = ping.stop();
        assertThat(result.lost()).as(result.toString()).isZero();
    }

    @Test
    @Order(5)
    void theOwnershipLeaderDyingWithAMasterStillConverges() throws Exception {
        Ownership before = bed.awaitMasters(LONG).get(0);
        int victim = indexOf(before.owner());
        // Make the switch's master also lead the ownership shard, then kill that node.
        RestClient c = bed.cluster().client(victim);
        await().atMost(LONG).until(() -> c.post("/v1/cluster/shards/ownership/transfer-leader",
                "{\"node\": \"" + before.owner() + "\"}").ok()
                && before.owner().equals(leaderOf(c, "ownership")));
        bed.cluster().kill(victim);
        RestClient survivor = bed.anyLiveClient(victim);
        await().atMost(LONG).until(() -> survivor.put("/v1/switches/" + MastershipBed.dpidHex(0)
                + "/flows/both-died", "table=0,priority=90,ip,nw_dst=10.9.9.4,actions=drop").ok());
        await().atMost(LONG).until(() -> bed.switchHas(0, "nw_dst=10.9.9.4"));
        assertThat(bed.ownership(0, victim).orElseThrow().owner()).isNotEqualTo(before.owner());
    }

    /** tx_pkts of one switch port, from ovs-ofctl dump-ports. */
    private static long txPackets(int h, int port) {
        String dump = bed.host(h).ofctl("-O", "OpenFlow14", "dump-ports", MastershipBed.BRIDGE, Integer.toString(port));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("tx pkts=(\\d+)").matcher(dump);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private static String leaderOf(RestClient c, String shard) throws Exception {
        for (var s : c.get("/v1/cluster").body().path("shards")) {
            if (s.path("name").asText().equals(shard)) {
                return s.path("leader").asText();
            }
        }
        return null;
    }

    @Test
    @Order(6)
    void aFlowTheSwitchRefusesIsShownInItsStateAndTheRestOfItsBatchIsInstalled() throws Exception {
        String dp = MastershipBed.dpidHex(1);
        RestClient client = bed.anyLiveClient();
        // a goto_table backwards: OVS refuses the flow when it is added to the bundle, and discards the bundle
        RestClient.Response r = client.post("/v1/switches/" + dp + "/flows",
                "{\"flows\": [{\"id\": \"backwards\", \"flow\": \"table=3,priority=40,ip,nw_dst=10.9.8.1,"
                        + "actions=goto_table:1\"}, {\"id\": \"fine\", \"flow\": \"table=0,priority=40,ip,"
                        + "nw_dst=10.9.8.2,actions=drop\"}]}");
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        await().atMost(LONG).until(() -> bed.switchHas(1, "nw_dst=10.9.8.2"));
        await().atMost(LONG).until(() -> client.get("/v1/switches/" + dp).body().path("refused").size() == 1);
        RestClient.Response sw = client.get("/v1/switches/" + dp);
        assertThat(sw.body().path("refused").get(0).path("id").asText()).isEqualTo("backwards");
        assertThat(sw.body().path("refused").get(0).path("flow").asText()).contains("goto_table:1");
        assertThat(sw.body().path("refused").get(0).path("error").asText()).isNotBlank();
        assertThat(sw.body().path("refused-flows").asInt()).isEqualTo(1);
        assertThat(bed.switchHas(1, "nw_dst=10.9.8.1")).isFalse();
        // still desired: rewriting it with actions the switch accepts installs it and clears the refusal
        assertThat(client.put("/v1/switches/" + dp + "/flows/backwards",
                "table=3,priority=40,ip,nw_dst=10.9.8.1,actions=drop").status()).isEqualTo(200);
        await().atMost(LONG).until(() -> bed.switchHas(1, "nw_dst=10.9.8.1"));
        await().atMost(LONG).until(() -> client.get("/v1/switches/" + dp).body().path("refused").isEmpty());
        assertThat(client.post("/v1/switches/" + dp + "/flows", "{\"delete\": [\"backwards\", \"fine\"]}")
                .status()).isEqualTo(200);
        await().atMost(LONG).until(() -> !bed.switchHas(1, "nw_dst=10.9.8.1") && !bed.switchHas(1, "nw_dst=10.9.8.2"));
    }
}
