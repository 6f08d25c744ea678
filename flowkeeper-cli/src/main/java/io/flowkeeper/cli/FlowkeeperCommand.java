package io.flowkeeper.cli;

import io.flowkeeper.cli.agent.AgentCommand;
import io.flowkeeper.cli.bench.BenchCommand;
import io.flowkeeper.cli.certs.CertsCommand;
import io.flowkeeper.cli.cluster.ClusterCommand;
import io.flowkeeper.cli.cluster.ControllerCommand;
import io.flowkeeper.cli.demo.DemoCommand;
import io.flowkeeper.cli.network.FloatingIpsCommand;
import io.flowkeeper.cli.network.NetworksCommand;
import io.flowkeeper.cli.network.PortsCommand;
import io.flowkeeper.cli.network.RoutersCommand;
import io.flowkeeper.cli.network.SubnetsCommand;
import io.flowkeeper.cli.snapshot.SnapshotCommand;
import io.flowkeeper.cli.switches.FlowsCommand;
import io.flowkeeper.cli.switches.HostsCommand;
import io.flowkeeper.cli.switches.OwnershipCommand;
import io.flowkeeper.cli.switches.SwitchCommand;
import io.flowkeeper.cli.switches.SwitchesCommand;
import picocli.CommandLine.Command;

/**
 * The top-level {@code flowkeeper} command. Each capability registers its subcommand here, once.
 */
@Command(
        name = "flowkeeper",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Flowkeeper: a highly available SDN control plane for Open vSwitch."
        },
        subcommands = {
            AgentCommand.class,
            DemoCommand.class,
            BenchCommand.class,
            SnapshotCommand.class,
            TestbedCommand.class,
            ControllerCommand.class,
            ClusterCommand.class,
            CertsCommand.class,
            SwitchesCommand.class,
            SwitchCommand.class,
            FlowsCommand.class,
            OwnershipCommand.class,
            HostsCommand.class,
            NetworksCommand.class,
            SubnetsCommand.class,
            PortsCommand.class,
            RoutersCommand.class,
            FloatingIpsCommand.class,
        })
public final class FlowkeeperCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
