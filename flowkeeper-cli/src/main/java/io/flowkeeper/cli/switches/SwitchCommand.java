package io.flowkeeper.cli.switches;

import io.flowkeeper.cli.TextTable;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code flowkeeper switch show DPID}. */
@Command(name = "switch", mixinStandardHelpOptions = true, description = "Show one switch.",
        subcommands = SwitchCommand.Show.class)
public final class SwitchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = {"Show one switch: master, connections, flow counts, role and ports.",
                "Prints the master and its generation, the nodes the switch is connected to,",
                "its address and OpenFlow version, flow counts, the role the master holds on",
                "the switch right now",
                "(GET /v1/switches/DPID/role, answered by the master), and a table of ports",
                "with their counters from the master's last statistics poll. Desired flows the",
                "switch refused (its error for each) are listed after the flow counts; they",
                "stay desired, and are not on the switch until rewritten or deleted.",
                "--output json: the GET /v1/switches/DPID body, with the role answer added",
                "as \"live-role\" (or {\"error\": \"...\"} when the master could not answer).",
                "Exit codes: 0 done, 1 the server refused (e.g. unknown switch), 2 bad usage,",
                "3 node unreachable."})
    static final class Show extends RestCommand {
        @Parameters(index = "0", paramLabel = "DPID",
                description = "Datapath id: 16 hex digits, or shorter, 0x-prefixed or with colons.")
        String dpid;

        @Override
        public Integer call() throws IOException {
            String id = dpid(dpid);
            JsonNode sw = get("/v1/switches/" + id);
            // The role comes from the master itself, so a switch without a reachable master still gets shown.
            Answer role = tryGet("/v1/switches/" + id + "/role");
            if (json()) {
                ObjectNode out = (ObjectNode) sw;
                out.set("live-role", role.body() != null ? role.body()
                        : mapper().createObjectNode().put("error", role.error()));
                printJson(out);
                return 0;
            }
            StringBuilder sb = new StringBuilder();
            sb.append("switch        ").append(text(sw, "dpid")).append('\n');
            sb.append("master        ").append(text(sw, "master")).append(" (generation ")
                    .append(text(sw, "generation")).append(")\n");
            sb.append("role          ").append(role.body() != null
                    ? text(role.body(), "role") + " (generation " + text(role.body(), "generation")
                            + ", as the master holds it now)"
                    : "unknown: " + role.error()).append('\n');
            sb.append("connected to  ").append(joined(sw.path("connected-to"))).append('\n');
            sb.append("address       ").append(text(sw, "address")).append('\n');
            int version = sw.path("openflow-version").asInt();
            if (version > 0) {
                // 1.0 is mastered without roles or bundles (docs/operations.md, "OpenFlow 1.0 switches")
                sb.append("openflow      ").append(switch (version) {
                    case 1 -> "1.0 (no roles: the lease alone fences; no bundles)";
                    case 4 -> "1.3";
                    case 5 -> "1.4";
                    default -> "wire version " + version;
                }).append('\n');
            }
            sb.append("flows         ").append(text(sw, "flows")).append(" on the switch, ")
                    .append(text(sw, "desired-flows")).append(" desired\n");
            sb.append("stats age     ").append(age(sw.path("stats-updated-ms"))).append('\n');
            JsonNode refused = sw.path("refused");
            if (!refused.isEmpty()) {
                sb.append("refused       ").append(refused.size()).append(refused.size() == 1 ? " desired flow" :
                        " desired flows").append(" refused by the switch, not installed:\n");
                for (JsonNode r : refused) {
                    sb.append("  ").append(text(r, "id")).append("  ").append(text(r, "flow")).append("\n    ")
                            .append(text(r, "error")).append('\n');
                }
            }
            List<List<String>> ports = new ArrayList<>();
            for (JsonNode p : sw.path("ports")) {
                ports.add(List.of(text(p, "number"), text(p, "name"), text(p, "mac"),
                        p.path("up").asBoolean() ? "yes" : "no", text(p, "rx-packets"), text(p, "tx-packets"),
                        text(p, "rx-bytes"), text(p, "tx-bytes"), text(p, "rx-dropped")));
            }
            sb.append('\n');
            if (ports.isEmpty()) {
                sb.append("no ports reported yet (the master has not polled this switch)\n");
            } else {
                sb.append(TextTable.render(List.of("PORT", "NAME", "MAC", "UP", "RX-PACKETS", "TX-PACKETS", "RX-BYTES",
                        "TX-BYTES", "RX-DROPPED"), ports));
            }
            System.out.print(sb);
            return 0;
        }
    }
}
