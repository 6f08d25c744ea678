package io.flowkeeper.cli.demo;

import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flowkeeper demo}: builds a small test bed with real OVS and walks through what Flowkeeper can do so far,
 * one stage per capability, ending with a timeline. Everything it creates is removed when it ends.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Show Flowkeeper at work on real Open vSwitch: builds a test bed (needs root and OVS),",
            "runs each capability's stage, prints a timeline, and removes everything it made."
        })
public final class DemoCommand implements Callable<Integer> {

    /** The stages, in order. Each capability adds its stage here, once. */
    static List<DemoStage> stages() {
        return List.of(
                new TestbedDemoStage(),
                new AgentDemoStage(),
                new ReconcileDemoStage(),
                new ClusterDemoStage(),
                new MastershipDemoStage(),
                new NeutronDemoStage(),
                new TenantNetworkDemoStage());
    }

    @Option(names = "--list", description = "List the stages and exit.")
    boolean list;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        List<DemoStage> stages = stages();
        if (list) {
            for (int i = 0; i < stages.size(); i++) {
                out.println((i + 1) + ". " + stages.get(i).title());
            }
            return 0;
        }
        out.println("Flowkeeper demo: " + stages.size() + " stage(s)");
        try (DemoContext context = new DemoContext(out)) {
            out.println();
            out.println("== Building the test bed");
            context.build();
            for (int i = 0; i < stages.size(); i++) {
                DemoStage stage = stages.get(i);
                out.println();
                out.println("== " + (i + 1) + ". " + stage.title());
                stage.run(context);
            }
            out.println();
            out.println("== Timeline");
            context.timeline().forEach(line -> out.println("  " + line));
        }
        out.println();
        out.println("Demo finished; the test bed was removed.");
        return 0;
    }
}
