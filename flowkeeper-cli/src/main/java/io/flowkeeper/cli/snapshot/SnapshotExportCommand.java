package io.flowkeeper.cli.snapshot;

import io.flowkeeper.agent.snapshot.SnapshotDamage;
import io.flowkeeper.agent.snapshot.SnapshotInspector;
import io.flowkeeper.cli.ProgressBar;
import io.flowkeeper.cli.UserException;
import io.flowkeeper.openflow.wire.OfpParseText;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code flowkeeper snapshot export DIR}: every stored flow as {@code ovs-ofctl} flow text, so an operator can
 * restore without Flowkeeper: {@code ovs-ofctl -O OpenFlow14 --bundle add-flows br-int flows.txt}. The stored
 * FLOW_MODs are decoded by OVS's own parser ({@code ovs-ofctl ofp-parse}), which prints matches and actions in
 * exactly the syntax {@code add-flows} reads back; so this needs {@code ovs-ofctl}, as any OVS host has.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Print the snapshot's flows as ovs-ofctl flow text (one flow per line), which",
            "'ovs-ofctl -O OpenFlow14 --bundle add-flows BRIDGE FILE' accepts. Needs ovs-ofctl."})
public final class SnapshotExportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "A bridge's snapshot directory.")
    Path dir;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write to FILE instead of stdout.")
    Path output;

    @Override
    public Integer call() throws Exception {
        int partitions;
        int flows;
        try {
            partitions = SnapshotInspector.partitionCount(dir);
            flows = SnapshotInspector.inspect(dir, p -> { }).flows();
        } catch (IOException e) {
            throw new UserException(e.getMessage(), 2);
        }
        List<SnapshotDamage> damage = new ArrayList<>();
        Path scratch = Files.createTempFile("flowkeeper-export", ".of");
        int written = 0;
        try (OutputStream sink = output == null ? new PrintStream(System.out) : Files.newOutputStream(output);
                BufferedWriter out = new BufferedWriter(new OutputStreamWriter(sink, StandardCharsets.UTF_8));
                ProgressBar bar = new ProgressBar("exporting " + dir, flows, output != null && flows > 10_000)) {
            for (int p = 0; p < partitions; p++) {
                List<byte[]> mods = new ArrayList<>(SnapshotInspector.flows(dir, p, damage).values());
                if (mods.isEmpty()) {
                    continue;
                }
                try (OutputStream bin = Files.newOutputStream(scratch)) {
                    for (byte[] m : mods) {
                        bin.write(m);
                    }
                }
                for (String line : ofpParse(scratch)) {
                    out.write(OfpParseText.toAddFlowsLine(line));
                    out.newLine();
                    written++;
                }
                bar.step(mods.size());
            }
        } finally {
            Files.deleteIfExists(scratch);
        }
        if (output != null) {
            System.out.println("exported " + written + " flows to " + output + (damage.isEmpty() ? ""
                    : "; " + damage.size() + " unreadable records skipped (see 'snapshot verify')"));
        }
        return 0;
    }

    private static List<String> ofpParse(Path file) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder("ovs-ofctl", "ofp-parse", file.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new UserException("export needs ovs-ofctl (package openvswitch-common): " + e.getMessage(), 1);
        }
        List<String> lines = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("OFPT_FLOW_MOD")) {
                    lines.add(line);
                } else if (!line.isBlank()) {
                    throw new IOException("ovs-ofctl ofp-parse: " + line);
                }
            }
        }
        if (p.waitFor() != 0) {
            throw new IOException("ovs-ofctl ofp-parse exited " + p.exitValue());
        }
        return lines;
    }
}
