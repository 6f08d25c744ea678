package io.flowkeeper.cli.switches;

import io.flowkeeper.cli.TextTable;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code flowkeeper ownership}: the ownership shard's entities and node leases. */
@Command(name = "ownership", mixinStandardHelpOptions = true,
        description = {"Show entity ownership and node leases.",
            "First per entity (a switch is openflow:DPID): its OWNER node, GENERATION and",
            "CANDIDATES; then per node its lease: ALIVE and RENEWALS.",
            "Exit codes: 0 done, 1 the server refused, 2 bad usage, 3 node unreachable."})
public final class OwnershipCommand extends RestCommand {
    @Override
    public Integer call() throws IOException {
        JsonNode body = get("/v1/ownership");
        if (json()) {
            printJson(body);
            return 0;
        }
        List<List<String>> entities = new ArrayList<>();
        for (JsonNode e : body.path("entities")) {
            entities.add(List.of(text(e, "entity"), text(e, "owner"), text(e, "generation"),
                    joined(e.path("candidates"))));
        }
        List<List<String>> nodes = new ArrayList<>();
        for (JsonNode n : body.path("nodes")) {
            nodes.add(List.of(text(n, "node"), n.path("alive").asBoolean() ? "yes" : "no", text(n, "renewals")));
        }
        StringBuilder sb = new StringBuilder();
        sb.append(entities.isEmpty() ? "no entities: no switch has connected yet\n"
                : TextTable.render(List.of("ENTITY", "OWNER", "GENERATION", "CANDIDATES"), entities));
        sb.append('\n');
        sb.append(nodes.isEmpty() ? "no node leases\n" : TextTable.render(List.of("NODE", "ALIVE", "RENEWALS"), nodes));
        System.out.print(sb);
        return 0;
    }
}
