package io.flowkeeper.cli;

import io.flowkeeper.testbed.Sweeper;
import io.flowkeeper.testbed.TestBed;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code flowkeeper testbed sweep}: removes what killed test or demo runs left behind. */
@Command(
        name = "testbed",
        mixinStandardHelpOptions = true,
        description = "Manage the real-OVS test bed used by tests, benchmarks and the demo.",
        subcommands = {TestbedCommand.Sweep.class})
public final class TestbedCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Sweeps dead runs. */
    @Command(name = "sweep", mixinStandardHelpOptions = true,
            description = "Remove namespaces, links, OVS processes and run directories of test-bed runs whose "
                    + "process is gone (live runs are left alone).")
    static final class Sweep implements Callable<Integer> {
        @Override
        public Integer call() {
            List<String> swept = Sweeper.sweepDeadRuns(TestBed.ROOT);
            System.out.println(swept.isEmpty() ? "nothing to sweep" : "swept " + swept.size() + " run(s): " + swept);
            return 0;
        }
    }
}
