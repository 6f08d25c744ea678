package io.flowkeeper.cli.snapshot;

import io.flowkeeper.agent.snapshot.SnapshotDamage;
import io.flowkeeper.agent.snapshot.SnapshotInspector.SnapshotInfo;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code flowkeeper snapshot verify DIR}: checks every record's checksum and names the damaged ones. Exit 0: all
 * good (a torn last record from a crash is normal and only noted); 3: damaged records found.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Check every record's checksum; name damaged records (file and byte offset).",
            "Exit code 0: intact (a torn last record left by a crash is normal); 3: damaged records."})
public final class SnapshotVerifyCommand implements Callable<Integer> {
    /** Exit code when damaged records were found. */
    static final int EXIT_DAMAGED = 3;

    @Parameters(index = "0", paramLabel = "DIR", description = "A bridge's snapshot directory.")
    Path dir;

    @Override
    public Integer call() {
        SnapshotInfo info = SnapshotInspectCommand.load(dir, true);
        for (SnapshotDamage d : info.damage()) {
            System.out.println((d.tornTail() ? "torn tail (dropped on load): " : "DAMAGED: ") + d);
        }
        int damaged = info.corruption().size();
        System.out.println(damaged == 0
                ? "OK: " + info.flows() + " flows in " + info.partitionCount() + " partitions, all checksums valid"
                : "FAILED: " + damaged + " damaged record(s); those flows are lost from the snapshot, the rest load");
        return damaged == 0 ? 0 : EXIT_DAMAGED;
    }
}
