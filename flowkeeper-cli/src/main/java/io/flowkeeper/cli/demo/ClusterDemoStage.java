package io.flowkeeper.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowkeeper.controller.RestClient;
import io.flowkeeper.controller.local.LocalCluster;
import java.util.List;

/**
 * The controller cluster: three controller processes, one Raft group per shard, each shard led by a different node;
 * then the leader of the network shard is killed with -9 and a write goes on through another node.
 */
final class ClusterDemoStage implements DemoStage {
    @Override
    public String title() {
        return "The controller cluster: 3 nodes, a Raft group per shard, leaders spread";
    }

    @Override
    public void run(DemoContext ctx) throws Exception {
        // Closed at the end of this stage, not of the demo: the next stage starts a cluster of its own.
        try (LocalCluster cluster = LocalCluster.inTempDir(3, List.of("rebalance-settle: 1s",
                "rebalance-interval: 1s"))) {
            show(ctx, cluster);
        }
    }

    private static void show(DemoContext ctx, LocalCluster cluster) throws Exception {
        cluster.startAll();
        cluster.awaitAllReady(120_000);
        ctx.event("3 controller JVMs up (" + cluster.id(0) + ", " + cluster.id(1) + ", " + cluster.id(2) + ")");
        RestClient api = cluster.client(0);
        long deadline = System.currentTimeMillis() + 30_000;
        JsonNode view = api.get("/v1/cluster").body();
        while (System.currentTimeMillis() < deadline && distinctLeaders(view) < 3) {
            Thread.sleep(500);
            view = api.get("/v1/cluster").body();
        }
        for (JsonNode s : view.get("shards")) {
            ctx.say(String.format("shard %-22s leader %-3s term %-3d commit %d", s.get("name").asText(),
                    s.path("leader").asText("-"), s.get("term").asLong(), s.get("commitIndex").asLong()));
        }
        ctx.event("shard leaders spread over " + distinctLeaders(view) + " nodes");
        String leader = null;
        for (JsonNode s : view.get("shards")) {
            if (s.get("name").asText().equals("network-config")) {
                leader = s.path("leader").asText(null);
            }
        }
        if (leader == null) {
            throw new IllegalStateException("network-config has no leader");
        }
        int victim = cluster.indexOf(leader);
        int other = (victim + 1) % 3;
        cluster.kill(victim);
        long t0 = System.nanoTime();
        RestClient.Response r = cluster.client(other).put("/v1/datastore/network-config/demo/after-kill",
                "{\"written-through\":\"" + cluster.id(other) + "\"}");
        ctx.event("kill -9 of " + leader + " (network-config leader); a write through " + cluster.id(other) + ": HTTP "
                + r.status() + " after " + (System.nanoTime() - t0) / 1_000_000 + " ms");
    }

    private static long distinctLeaders(JsonNode view) {
        return java.util.stream.StreamSupport.stream(view.get("shards").spliterator(), false)
                .map(s -> s.path("leader").asText("")).filter(s -> !s.isEmpty()).distinct().count();
    }
}
