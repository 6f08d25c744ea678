package io.flowkeeper.cli.snapshot;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code flowkeeper snapshot}: the command group. */
@Command(
        name = "snapshot",
        mixinStandardHelpOptions = true,
        description = "Inspect, verify, export or restore a host agent's flow snapshot (one directory per bridge).",
        subcommands = {SnapshotInspectCommand.class, SnapshotVerifyCommand.class, SnapshotExportCommand.class, SnapshotRestoreCommand.class})
public final class SnapshotCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
