package io.flowkeeper.cli.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowkeeper.cli.bench.MastershipBed;
import io.flowkeeper.controller.local.LocalCluster;
import io.flowkeeper.testbed.Exposition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * /metrics during a failover: 3 controller JVMs and one OVS switch connected to all of them. The switch's master
 * is made the Raft leader of a shard too, then killed with kill -9. Scraped from the survivors (the real exposition
 * parsed), the series must show the move: a survivor's master gauge goes from 0 to 1 at a higher generation, the
 * shard gets a new leader at a higher term, and the leader-change, ownership-move, takeover and reconcile
 * counters grow.
 */
@Tag("integration")
class FailoverMetricsTest {
    private static final String SHARD = "inventory-config";

    @Test
    @Timeout(240)
    void theMastershipMoveAndTheLeaderChangeShowInTheSurvivorsSeries() throws Exception {
        try (MastershipBed bed = MastershipBed.create(1, List.of())) {
            LocalCluster c = bed.cluster();
            String dpid = MastershipBed.dpidHex(0);
            MastershipBed.Ownership before = bed.awaitMasters(Duration.ofSeconds(60)).get(0);
            bed.pushBaseline();
            int victim = c.indexOf(before.owner());
            // The victim leads the shard too, so one kill moves both.
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (scrape(c, victim).valueOr0("flowkeeper_raft_leader", "shard", SHARD) != 1) {
                bed.anyLiveClient().post("/v1/cluster/shards/" + SHARD + "/transfer-leader",
                        "{\"node\": \"" + before.owner() + "\"}");
                assertThat(System.nanoTime()).as("the victim never led " + SHARD).isLessThan(deadline);
                Thread.sleep(300);
            }
            // Every node publishes the master gauge of the switch it is connected to.
            deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (scrape(c, victim).valueOr0("flowkeeper_openflow_master", "dpid", dpid) != 1) {
                assertThat(System.nanoTime()).as("the master never showed as master").isLessThan(deadline);
                Thread.sleep(200);
            }
            String url = c.restUrl(victim) + "/metrics";
            assertThat(Exposition.statusWith(url, null)).as("no token").isEqualTo(401);
            assertThat(Exposition.statusWith(url, "wrong")).as("wrong token").isEqualTo(403);

            List<Integer> survivors = new ArrayList<>();
            List<Exposition> beforeKill = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                if (i != victim) {
                    survivors.add(i);
                    Exposition e = scrape(c, i);
                    beforeKill.add(e);
                    assertThat(e.value("flowkeeper_openflow_master", "dpid", dpid)).as("survivor " + i).isEqualTo(0);
                    assertThat(e.value("flowkeeper_raft_leader", "shard", SHARD)).as("survivor " + i).isEqualTo(0);
                }
            }
            double termBefore = beforeKill.get(0).value("flowkeeper_raft_term", "shard", SHARD);

            c.kill(victim);
            long killed = System.nanoTime();
            Exposition[] after = new Exposition[2];
            int newMaster = -1;
            int newLeader = -1;
            while (newMaster < 0 || newLeader < 0) {
                assertThat(System.nanoTime() - killed).as("no survivor took over within 30 s")
                        .isLessThan(Duration.ofSeconds(30).toNanos());
                Thread.sleep(100);
                for (int k = 0; k < 2; k++) {
                    after[k] = scrape(c, survivors.get(k));
                    if (after[k].valueOr0("flowkeeper_openflow_master", "dpid", dpid) == 1) {
                        newMaster = k;
                    }
                    if (after[k].valueOr0("flowkeeper_raft_leader", "shard", SHARD) == 1) {
                        newLeader = k;
                    }
                }
            }
            double tookMs = (System.nanoTime() - killed) / 1e6;
            System.out.printf("metrics showed the new master and leader %.0f ms after the kill%n", tookMs);
            Exposition m = after[newMaster];
            assertThat(m.value("flowkeeper_openflow_generation", "dpid", dpid)).as("the new master's generation")
                    .isGreaterThan((double) before.generation());
            assertThat(after[1 - newMaster].valueOr0("flowkeeper_openflow_master", "dpid", dpid))
                    .as("only one master").isEqualTo(0);
            assertThat(m.valueOr0("flowkeeper_openflow_takeover_seconds_count"))
                    .as("the takeover timed").isGreaterThan(beforeKill.get(newMaster)
                            .valueOr0("flowkeeper_openflow_takeover_seconds_count"));
            assertThat(m.valueOr0("flowkeeper_openflow_reconcile_seconds_count"))
                    .as("the takeover's reconcile timed").isGreaterThan(beforeKill.get(newMaster)
                            .valueOr0("flowkeeper_openflow_reconcile_seconds_count"));
            assertThat(m.valueOr0("flowkeeper_openflow_connections")).isEqualTo(1);
            assertThat(m.valueOr0("flowkeeper_openflow_messages_sent_total")).isPositive();
            for (int k = 0; k < 2; k++) {
                Exposition e = after[k];
                assertThat(e.value("flowkeeper_raft_term", "shard", SHARD)).as("term on survivor " + k)
                        .isGreaterThan(termBefore);
                assertThat(e.valueOr0("flowkeeper_raft_leader_changes_total", "shard", SHARD))
                        .as("leader changes seen by survivor " + k)
                        .isGreaterThan(beforeKill.get(k).valueOr0("flowkeeper_raft_leader_changes_total", "shard",
                                SHARD));
                // The move is committed before the new master asks the switch; every replica sees it soon after.
                long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                while (e.valueOr0("flowkeeper_ownership_moves_total", "kind", "openflow")
                        <= beforeKill.get(k).valueOr0("flowkeeper_ownership_moves_total", "kind", "openflow")
                        && System.nanoTime() < until) {
                    Thread.sleep(100);
                    e = scrape(c, survivors.get(k));
                }
                assertThat(e.valueOr0("flowkeeper_ownership_moves_total", "kind", "openflow"))
                        .as("ownership moves seen by survivor " + k)
                        .isGreaterThan(beforeKill.get(k).valueOr0("flowkeeper_ownership_moves_total", "kind",
                                "openflow"));
                assertThat(e.valueOr0("flowkeeper_raft_commit_seconds_count", "shard", "ownership"))
                        .as("lease renewals are commits").isPositive();
                assertThat(e.valueOr0("flowkeeper_ownership_lease_renewals_total")).isPositive();
                assertThat(e.valueOr0("flowkeeper_rest_requests_total", "route", "/metrics", "status", "200"))
                        .isPositive();
            }
            assertThat(after[newMaster].valueOr0("flowkeeper_ownership_owned_entities")).isGreaterThanOrEqualTo(1);
        }
    }

    private static Exposition scrape(LocalCluster c, int i) throws Exception {
        return Exposition.scrape(c.restUrl(i) + "/metrics", LocalCluster.TOKEN);
    }
}
