package io.flowkeeper.cli.switches;

import io.flowkeeper.cli.TextTable;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code flowkeeper switches}: every switch the cluster knows, one line each. */
@Command(name = "switches", mixinStandardHelpOptions = true,
        description = {"List every switch with its master and flow counts.",
            "Columns: DPID; MASTER, the node that owns the switch; GENERATION, its",
            "mastership generation; CONNECTED-TO, the nodes the switch is connected to",
            "(the mastership candidates); DESIRED, flows pushed through the API; FLOWS,",
            "flows on the switch at the master's last statistics poll; STATS AGE, how",
            "long ago that poll was.",
            "Exit codes: 0 done, 1 the server refused, 2 bad usage, 3 node unreachable."})
public final class SwitchesCommand extends RestCommand {
    @Override
    public Integer call() throws IOException {
        JsonNode body = get("/v1/switches");
        if (json()) {
            printJson(body);
            return 0;
        }
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode s : body.path("switches")) {
            rows.add(List.of(text(s, "dpid"), text(s, "master"), text(s, "generation"), joined(s.path("connected-to")),
                    text(s, "desired-flows"), text(s, "flows"), age(s.path("stats-updated-ms"))));
        }
        if (rows.isEmpty()) {
            System.out.println("no switches: none has connected to a controller node yet");
            return 0;
        }
        System.out.print(TextTable.render(List.of("DPID", "MASTER", "GENERATION", "CONNECTED-TO", "DESIRED", "FLOWS",
                "STATS AGE"), rows));
        return 0;
    }
}
