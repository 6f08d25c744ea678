package io.flowkeeper.cli.cluster;

import io.flowkeeper.cli.RestConnection;
import io.flowkeeper.cli.TextTable;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.flowkeeper.cli.UserException;
import io.flowkeeper.controller.RestClient;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code flowkeeper cluster status|members|add-member|remove-member|transfer-leader}: talks to any node's REST API
 * ({@code --url}, token from {@code --token-file} or {@code FLOWKEEPER_TOKEN}). Exit codes: 0 done, 1 the cluster said
 * no (the server's message is printed), 2 bad usage, 3 node unreachable.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = "Show and change the controller cluster (nodes, shard leaders, membership).",
        subcommands = {ClusterCommand.Status.class, ClusterCommand.Members.class, ClusterCommand.AddMember.class,
            ClusterCommand.RemoveMember.class, ClusterCommand.TransferLeader.class})
public final class ClusterCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    static void print(RestConnection c, JsonNode body, String tableText) throws IOException {
        System.out.print(c.json() ? JSON.writeValueAsString(body) + "\n" : tableText);
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Nodes (up/down, shards led) and per shard: leader, term, commit index, follower lag.")
    static final class Status implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        RestConnection c = new RestConnection();

        @Override
        public Integer call() throws IOException {
            JsonNode v = c.call("GET", "/v1/cluster", null).body();
            List<List<String>> nodes = new ArrayList<>();
            for (JsonNode n : v.get("nodes")) {
                nodes.add(List.of(n.get("id").asText(), n.get("raftAddress").asText(),
                        n.get("up").asBoolean() ? "up" : "down", n.get("leaderOf").asText()));
            }
            List<List<String>> shards = new ArrayList<>();
            for (JsonNode s : v.get("shards")) {
                StringBuilder lag = new StringBuilder();
                s.path("followerLag").fields().forEachRemaining(e ->
                        lag.append(lag.length() == 0 ? "" : " ").append(e.getKey()).append('=').append(e.getValue()));
                shards.add(List.of(s.get("name").asText(), s.get("kind").asText(),
                        s.path("leader").isNull() ? "-" : s.path("leader").asText("-"), s.get("term").asText(),
                        s.get("commitIndex").asText(), s.get("revision").asText(),
                        lag.length() == 0 ? "-" : lag.toString()));
            }
            print(c, v, "observed from " + v.get("observer").asText() + "\n\n"
                    + TextTable.render(List.of("NODE", "RAFT ADDRESS", "STATE", "LEADS"), nodes) + "\n"
                    + TextTable.render(List.of("SHARD", "KIND", "LEADER", "TERM", "COMMIT", "REVISION", "FOLLOWER LAG"), shards));
            return 0;
        }
    }

    @Command(name = "members", mixinStandardHelpOptions = true, description = "List members and Raft addresses.")
    static final class Members implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        RestConnection c = new RestConnection();

        @Override
        public Integer call() throws IOException {
            JsonNode m = c.call("GET", "/v1/cluster/members", null).body();
            List<List<String>> rows = new ArrayList<>();
            m.get("members").fields().forEachRemaining(e -> rows.add(List.of(e.getKey(), e.getValue().asText())));
            print(c, m, TextTable.render(List.of("NODE", "RAFT ADDRESS"), rows));
            return 0;
        }
    }

    @Command(name = "add-member", mixinStandardHelpOptions = true,
            description = "Add a running node to every shard (start it first with all members as --peer).")
    static final class AddMember implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        RestConnection c = new RestConnection();

        @Parameters(index = "0", paramLabel = "NODE_ID")
        String id;

        @Parameters(index = "1", paramLabel = "HOST:PORT", description = "The node's Raft address.")
        String address;

        @Override
        public Integer call() throws IOException {
            JsonNode body = JSON.createObjectNode().put("id", id).put("address", address);
            JsonNode r = c.call("POST", "/v1/cluster/members", JSON.writeValueAsString(body)).body();
            print(c, r, "added " + id + " (" + address + ") to every shard\n");
            return 0;
        }
    }

    @Command(name = "remove-member", mixinStandardHelpOptions = true, description = "Remove a node from every shard.")
    static final class RemoveMember implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        RestConnection c = new RestConnection();

        @Parameters(index = "0", paramLabel = "NODE_ID")
        String id;

        @Override
        public Integer call() throws IOException {
            JsonNode r = c.call("DELETE", "/v1/cluster/members/" + id, null).body();
            print(c, r, "removed " + id + " from every shard\n");
            return 0;
        }
    }

    @Command(name = "transfer-leader", mixinStandardHelpOptions = true,
            description = "Hand a shard's leadership to a node.")
    static final class TransferLeader implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        RestConnection c = new RestConnection();

        @Parameters(index = "0", paramLabel = "SHARD")
        String shard;

        @Parameters(index = "1", paramLabel = "NODE_ID")
        String node;

        @Override
        public Integer call() throws IOException {
            JsonNode body = JSON.createObjectNode().put("node", node);
            JsonNode r = c.call("POST", "/v1/cluster/shards/" + shard + "/transfer-leader",
                    JSON.writeValueAsString(body)).body();
            print(c, r, "shard " + shard + ": leadership handed to " + node + "\n");
            return 0;
        }
    }
}
