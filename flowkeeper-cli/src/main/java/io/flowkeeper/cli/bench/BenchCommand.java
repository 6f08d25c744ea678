package io.flowkeeper.cli.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code flowkeeper bench ...}: benchmarks that run the baseline in the same run and print a ratio. Every benchmark
 * has {@code --small} (the version CI runs so it cannot rot) and {@code --json}.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Run a benchmark against real OVS and print a table (or --json).",
        subcommands = {TestbedBench.class, RestoreBench.class, SouthboundBench.class, DatastoreBench.class,
                FailoverBench.class, FlowsBench.class, ApiBench.class, ScaleBench.class, NetworkBench.class,
                RoutingBench.class, SecurityGroupsBench.class, GatewayBench.class})
public final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
