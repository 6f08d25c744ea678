package io.flowkeeper.cli.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.flowkeeper.agent.AgentStatus;
import io.flowkeeper.cli.UserException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code flowkeeper agent status}: each bridge's agent state, one line per bridge (or JSON). */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Show the agent's state per bridge: journaling, restoring, disconnected or degraded,",
            "snapshot size, changes journaled, and the last restore (when, how many flows, how long, why)."})
public final class AgentStatusCommand implements Callable<Integer> {
    @Option(names = "--snapshot-dir", paramLabel = "DIR", defaultValue = "/var/lib/flowkeeper/snapshots",
            description = "The agent's --snapshot-dir (default: ${DEFAULT-VALUE}).")
    Path snapshotDir;

    @Option(names = "--output", description = "table (default) or json", defaultValue = "table")
    String output;

    @Override
    public Integer call() throws IOException {
        if (!output.equals("table") && !output.equals("json")) {
            throw new UserException("--output must be table or json, not '" + output + "'", 2);
        }
        if (!Files.isDirectory(snapshotDir)) {
            throw new UserException(snapshotDir + " is not a directory (is --snapshot-dir right?)", 2);
        }
        List<AgentStatus> all = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(snapshotDir)) {
            for (Path d : dirs.sorted().toList()) {
                AgentStatus s = AgentStatus.read(d);
                if (s != null) {
                    all.add(s);
                }
            }
        }
        if (output.equals("json")) {
            System.out.println(new ObjectMapper().registerModule(new JavaTimeModule())
                    .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(all));
        } else if (all.isEmpty()) {
            System.out.println("no agent status under " + snapshotDir);
        } else {
            all.forEach(s -> System.out.println(s.summary()));
        }
        return 0;
    }
}
