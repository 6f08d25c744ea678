package io.flowkeeper.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.controller.RestClient;
import io.flowkeeper.controller.local.LocalCluster;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The cost of one flow write as a switch's desired state grows: sequential {@code PUT /v1/switches/{dpid}/flows/{id}}
 * through the REST API of a 3-node cluster, first on a switch with no desired flows, then on one holding many (20,000
 * by default). Only desired state is measured (no switch is connected, so no master programs anything): what a PUT
 * reads, checks and commits. With an identity index the two latencies are alike; a PUT that reads every desired
 * flow of its switch grows with the switch.
 */
@Command(name = "flows", mixinStandardHelpOptions = true,
        description = {"Time single-flow PUTs through the REST API of 3 controller JVMs: on an empty switch, then on",
            "a switch holding 20,000 desired flows (p50/p99 and their ratio). No switch is connected: this",
            "measures the desired-state write path (parse, identity check, Raft commit), not programming."})
public final class FlowsBench implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String EMPTY_SWITCH = "00000000000000e0";
    private static final String FULL_SWITCH = "00000000000000e1";
    private static final int BATCH = 500;

    @Option(names = "--small", description = "CI size: 2,000 desired flows and 50 timed PUTs.")
    boolean small;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Option(names = "--flows", description = "Desired flows on the full switch (default: 20000, or 2000 with --small).")
    Integer flowsOption;

    @Option(names = "--puts", description = "Timed PUTs per switch (default: 200, or 50 with --small).")
    Integer putsOption;

    @Override
    public Integer call() throws Exception {
        int flows = flowsOption != null ? flowsOption : small ? 2_000 : 20_000;
        int puts = putsOption != null ? putsOption : small ? 50 : 200;
        BenchReport report = new BenchReport("one flow PUT vs desired flows on the switch (3 controller JVMs)",
                "measure", "value", "unit", "target", "met");
        progress("starting 3 controller JVMs");
        try (LocalCluster cluster = LocalCluster.inTempDir(3, List.of())) {
            cluster.startAll();
            cluster.awaitAllReady(120_000);
            RestClient client = cluster.client(0);
            // Warm-up on a third switch, so both timed phases run compiled code.
            timePuts(client, "00000000000000e2", "warm", Math.max(puts, 200), new ArrayList<>());
            List<Double> empty = new ArrayList<>();
            progress(puts + " PUTs on a switch with no desired flows");
            timePuts(client, EMPTY_SWITCH, "t", puts, empty);
            progress("writing " + flows + " desired flows to switch " + FULL_SWITCH + " in batches of " + BATCH);
            fill(client, FULL_SWITCH, flows);
            List<Double> full = new ArrayList<>();
            progress(puts + " PUTs on a switch with " + flows + " desired flows");
            timePuts(client, FULL_SWITCH, "t", puts, full);
            double e50 = BenchReport.quantile(empty, 0.5);
            double f50 = BenchReport.quantile(full, 0.5);
            report.row("PUT, switch with no desired flows, p50", round(e50), "ms", null, null);
            report.row("PUT, switch with no desired flows, p99", round(BenchReport.quantile(empty, 0.99)), "ms",
                    null, null);
            report.row("PUT, switch with " + flows + " desired flows, p50", round(f50), "ms", null, null);
            report.row("PUT, switch with " + flows + " desired flows, p99", round(BenchReport.quantile(full, 0.99)),
                    "ms", null, null);
            report.row("p50 with " + flows + " flows / p50 with none", round(f50 / e50), "x", "< 2", f50 / e50 < 2);
            report.note(puts + " sequential PUTs per switch through node " + cluster.id(0) + "'s REST API, each a"
                    + " new flow id with a new match; no switch connected, so only desired state is written");
        }
        report.print(System.out, json);
        return 0;
    }

    private static void timePuts(RestClient client, String dpid, String prefix, int n, List<Double> millis)
            throws IOException {
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            RestClient.Response r = client.put("/v1/switches/" + dpid + "/flows/" + prefix + "-" + i,
                    "table=0,priority=200,tcp,nw_dst=10.200." + (i >> 8 & 255) + "." + (i & 255) + ",tp_dst=80,"
                            + "actions=NORMAL");
            millis.add((System.nanoTime() - t0) / 1e6);
            if (!r.ok()) {
                throw new IOException("PUT " + prefix + "-" + i + " on " + dpid + " refused: " + r.error());
            }
        }
    }

    private static void fill(RestClient client, String dpid, int n) throws IOException {
        for (int from = 0; from < n; from += BATCH) {
            ObjectNode body = JSON.createObjectNode();
            ArrayNode list = body.putArray("flows");
            for (int i = from; i < Math.min(n, from + BATCH); i++) {
                list.addObject().put("id", "f-" + i).put("flow", "table=0,priority=100,ip,nw_dst=10."
                        + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255) + ",actions=drop");
            }
            RestClient.Response r = client.post("/v1/switches/" + dpid + "/flows", body.toString());
            if (!r.ok()) {
                throw new IOException("batch from flow " + from + " refused: " + r.error());
            }
        }
    }

    private void progress(String line) {
        if (!json) {
            System.err.println(line);
        }
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
