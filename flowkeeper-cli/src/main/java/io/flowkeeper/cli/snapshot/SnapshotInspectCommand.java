package io.flowkeeper.cli.snapshot;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.flowkeeper.agent.AgentStatus;
import io.flowkeeper.agent.snapshot.SnapshotInspector;
import io.flowkeeper.agent.snapshot.SnapshotInspector.PartitionInfo;
import io.flowkeeper.agent.snapshot.SnapshotInspector.SnapshotInfo;
import io.flowkeeper.cli.ProgressBar;
import io.flowkeeper.cli.UserException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flowkeeper snapshot inspect DIR}: partitions, flow counts, sizes, age and last change. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a snapshot's partitions: flows, bytes, files, and when each last changed.")
public final class SnapshotInspectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "A bridge's snapshot directory.")
    Path dir;

    @Option(names = "--output", description = "table (default) or json", defaultValue = "table")
    String output;

    @Override
    public Integer call() throws IOException {
        boolean json = Output.json(output);
        SnapshotInfo info = load(dir, !json);
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("directory", info.directory().toString());
            doc.put("partitions", info.partitionCount());
            doc.put("flows", info.flows());
            doc.put("bytes", info.bytes());
            doc.put("damagedRecords", info.corruption().size());
            doc.put("tornTails", info.damage().size() - info.corruption().size());
            doc.put("agent", AgentStatus.read(dir));
            doc.put("partitionDetails", info.partitions().stream().map(p -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("partition", p.partition());
                m.put("flows", p.flows());
                m.put("bytes", p.bytes());
                m.put("files", p.files());
                m.put("lastChange", p.lastChange().toString());
                m.put("damage", p.damage().stream().map(Object::toString).toList());
                return m;
            }).toList());
            System.out.println(new ObjectMapper().registerModule(new JavaTimeModule())
                    .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(doc));
            return 0;
        }
        Instant now = Instant.now();
        System.out.printf(Locale.ROOT, "snapshot %s: %d flows in %d partitions, %s%n", info.directory(),
                info.flows(), info.partitionCount(), bytes(info.bytes()));
        System.out.printf(Locale.ROOT, "%-9s  %8s  %9s  %-12s  %s%n", "partition", "flows", "bytes", "last change",
                "files");
        for (PartitionInfo p : info.partitions()) {
            System.out.printf(Locale.ROOT, "%-9d  %8d  %9s  %-12s  %s%n", p.partition(), p.flows(), bytes(p.bytes()),
                    age(p.lastChange(), now), String.join(" ", p.files()));
        }
        AgentStatus agent = AgentStatus.read(dir);
        System.out.println(agent == null ? "no agent status here (no agent has run on this snapshot)" : agent.summary());
        if (!info.damage().isEmpty()) {
            System.out.println(info.damage().size() + " unreadable record(s): run 'flowkeeper snapshot verify "
                    + dir + "'");
        }
        return 0;
    }

    static SnapshotInfo load(Path dir, boolean progress) {
        try {
            int count = SnapshotInspector.partitionCount(dir);
            try (ProgressBar bar = new ProgressBar("reading " + dir, count, progress && count > 4)) {
                return SnapshotInspector.inspect(dir, p -> bar.step(1));
            }
        } catch (IOException e) {
            throw new UserException(e.getMessage(), 2);
        }
    }

    static String bytes(long n) {
        if (n < 10 * 1024) {
            return n + " B";
        }
        if (n < 10L * 1024 * 1024) {
            return (n / 1024) + " KiB";
        }
        return (n / (1024 * 1024)) + " MiB";
    }

    static String age(Instant t, Instant now) {
        if (t.equals(Instant.EPOCH)) {
            return "-";
        }
        Duration d = Duration.between(t, now);
        if (d.toSeconds() < 120) {
            return d.toSeconds() + " s ago";
        }
        if (d.toMinutes() < 120) {
            return d.toMinutes() + " min ago";
        }
        return d.toHours() + " h ago";
    }

    /** Output format option shared by the snapshot commands. */
    static final class Output {
        private Output() {
        }

        static boolean json(String output) {
            return switch (output) {
                case "json" -> true;
                case "table" -> false;
                default -> throw new UserException("--output must be table or json, not '" + output + "'", 2);
            };
        }
    }

}
