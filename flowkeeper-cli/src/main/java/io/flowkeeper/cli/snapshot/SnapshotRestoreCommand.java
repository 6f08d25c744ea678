package io.flowkeeper.cli.snapshot;

import io.flowkeeper.agent.SnapshotRestorer;
import io.flowkeeper.agent.ovsdb.OvsdbClient;
import io.flowkeeper.agent.snapshot.SnapshotInspector;
import io.flowkeeper.cli.ProgressBar;
import io.flowkeeper.cli.UserException;
import io.flowkeeper.openflow.unix.UnixSwitchConnection;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code flowkeeper snapshot restore DIR --ovs-rundir R --bridge B}: what the agent does after a restart, by hand.
 * The bridge's table becomes exactly the snapshot, in one bundle.
 */
@Command(name = "restore", mixinStandardHelpOptions = true,
        description = {"Replace a bridge's flow table with a snapshot, atomically (one OpenFlow 1.4 bundle).",
            "Exit code 0: restored; 1: the switch refused some flows (the others are in); 2: bad input."})
public final class SnapshotRestoreCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "The bridge's snapshot directory.")
    Path dir;

    @Option(names = "--ovs-rundir", paramLabel = "DIR", required = true,
            description = "Where <bridge>.mgmt and db.sock live (e.g. /var/run/openvswitch).")
    Path ovsRundir;

    @Option(names = "--bridge", paramLabel = "NAME", required = true, description = "The bridge to restore.")
    String bridge;

    @Option(names = "--release", description = "Clear other_config:flow-restore-wait afterwards (OVS forwards).")
    boolean release;

    @Override
    public Integer call() throws IOException {
        int flows;
        try {
            flows = SnapshotInspector.inspect(dir, p -> { }).flows();
        } catch (IOException e) {
            throw new UserException(e.getMessage(), 2);
        }
        SnapshotRestorer.Result result;
        try (UnixSwitchConnection c = UnixSwitchConnection.connect(ovsRundir.resolve(bridge + ".mgmt"));
                ProgressBar bar = new ProgressBar("restoring " + bridge, flows, flows > 10_000)) {
            int[] last = {0};
            result = SnapshotRestorer.restore(dir, c, true, n -> {
                bar.step(n - last[0]);
                last[0] = n;
            });
        }
        System.out.println("restored " + result.bundle().messages() + " flows into " + bridge + " in "
                + result.bundle().elapsed().toMillis() + " ms (one bundle)"
                + (result.damage().isEmpty() ? "" : "; " + result.damage().size() + " unreadable snapshot records"));
        result.bundle().failures().stream().limit(10).forEach(f ->
                System.out.println("refused: flow #" + f.index() + ": " + f.error()));
        if (release) {
            try (OvsdbClient ovsdb = OvsdbClient.connect(ovsRundir.resolve("db.sock"))) {
                ovsdb.removeOtherConfig("flow-restore-wait");
            }
            System.out.println("flow-restore-wait cleared");
        }
        return result.bundle().failures().isEmpty() ? 0 : 1;
    }
}
