package io.flowkeeper.cli.switches;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowkeeper.cli.UserException;
import java.io.IOException;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flowkeeper flows DPID [--view desired|actual|diff|live] [--diff]}. */
@Command(name = "flows", mixinStandardHelpOptions = true,
        description = {"Print a switch's flows, one per line, in ovs-ofctl syntax.",
            "Views (--view):",
            "  desired  flows pushed through the API, as 'ID  FLOW' (the default)",
            "  actual   flows on the switch at the master's last statistics poll,",
            "           as 'FLOW  packets=N bytes=N'",
            "  live     the same, dumped from the switch now by its master",
            "  diff     desired vs actual: sections 'missing', 'changed', 'extra', then",
            "           'in sync' or 'N differences'. Exit code 0 when in sync, 1 when",
            "           not (with --output json too).",
            "Exit codes otherwise: 0 done, 1 the server refused (e.g. no statistics yet),",
            "2 bad usage, 3 node unreachable."})
public final class FlowsCommand extends RestCommand {
    private static final List<String> VIEWS = List.of("desired", "actual", "diff", "live");

    @Parameters(index = "0", paramLabel = "DPID",
            description = "Datapath id: 16 hex digits, or shorter, 0x-prefixed or with colons.")
    String dpid;

    @Option(names = "--view", paramLabel = "VIEW", description = "desired (default), actual, diff or live.")
    String view;

    @Option(names = "--diff", description = "Same as --view diff.")
    boolean diff;

    @Override
    public Integer call() throws IOException {
        String v = view();
        String id = dpid(dpid);
        JsonNode body = get("/v1/switches/" + id + "/flows?view=" + v);
        boolean inSync = body.path("in-sync").asBoolean();
        if (json()) {
            printJson(body);
        } else {
            switch (v) {
                case "desired" -> printDesired(id, body);
                case "diff" -> printDiff(body);
                default -> printCounted(id, v, body);
            }
        }
        return v.equals("diff") && !inSync ? 1 : 0;
    }

    private String view() {
        if (view != null && !VIEWS.contains(view)) {
            throw new UserException("--view must be desired, actual, diff or live, not '" + view + "'", 2);
        }
        if (diff && view != null && !view.equals("diff")) {
            throw new UserException("--diff is --view diff: it cannot be combined with --view " + view, 2);
        }
        return diff ? "diff" : view == null ? "desired" : view;
    }

    private static void printDesired(String dpid, JsonNode body) {
        int width = 0;
        for (JsonNode f : body.path("flows")) {
            width = Math.max(width, text(f, "id").length());
        }
        StringBuilder sb = new StringBuilder();
        for (JsonNode f : body.path("flows")) {
            sb.append(String.format("%-" + width + "s  %s%n", text(f, "id"), text(f, "flow")));
        }
        System.out.print(sb);
        if (sb.length() == 0) {
            // On stderr, so that a script reading stdout sees zero flows and nothing else.
            System.err.println("no desired flows for switch " + dpid);
        }
    }

    private static void printCounted(String dpid, String view, JsonNode body) {
        StringBuilder sb = new StringBuilder();
        int listed = 0;
        for (JsonNode f : body.path("flows")) {
            sb.append(text(f, "flow")).append("  packets=").append(text(f, "packets")).append(" bytes=")
                    .append(text(f, "bytes")).append('\n');
            listed++;
        }
        System.out.print(sb);
        if (body.path("truncated").asBoolean()) {
            System.err.println("listed " + listed + " of " + text(body, "total") + " flows: the master stores a"
                    + " capped list; --view live lists all");
        } else if (listed == 0) {
            System.err.println("no flows on switch " + dpid + " (" + view + ")");
        }
    }

    private static void printDiff(JsonNode body) {
        StringBuilder sb = new StringBuilder();
        int differences = 0;
        for (String section : List.of("missing", "changed", "extra")) {
            JsonNode flows = body.path(section);
            if (flows.isEmpty()) {
                continue;
            }
            sb.append(section).append(" (").append(flows.size()).append("):\n");
            for (JsonNode f : flows) {
                sb.append("  ");
                if (!section.equals("extra")) {
                    sb.append(text(f, "id")).append("  ");
                }
                sb.append(text(f, "flow")).append('\n');
            }
            differences += flows.size();
        }
        if (body.path("in-sync").asBoolean()) {
            sb.append("in sync\n");
        } else if (differences == 0) {
            // The server says not in sync with nothing listed when the actual flows it compared were capped.
            sb.append("not in sync: the actual flow list is truncated, so the differences cannot be listed\n");
        } else {
            sb.append(differences).append(differences == 1 ? " difference\n" : " differences\n");
        }
        System.out.print(sb);
    }
}
