package io.flowkeeper.cli.cluster;

import io.flowkeeper.controller.ControllerMain;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * {@code flowkeeper controller}: runs one cluster node until SIGTERM. The flags are the controller's own (see
 * {@link ControllerMain#USAGE}); they are passed through unchanged so the tests, the bench and operators start the
 * node the same way.
 */
@Command(name = "controller", mixinStandardHelpOptions = false,
        description = {"Run one controller cluster node (3 or 5 form a cluster; 1 for development).",
            "Flags: --config FILE (YAML) --node-id ID --peer ID=HOST:PORT (repeat) --rest-address HOST:PORT",
            "       --openflow-address HOST:PORT --data-dir DIR --token-file FILE (repeat) --node-token-file FILE",
            "       --request-timeout 5s; the API token may also come from $FLOWKEEPER_TOKEN (never put one in ps)",
            "Prints one line per shard when it is ready. Exit code 2: bad configuration."})
public final class ControllerCommand implements Callable<Integer> {
    /** Every argument, unparsed: the controller parses its own flags (picocli would reject them as unknown). */
    @Unmatched
    List<String> flags = new java.util.ArrayList<>();

    @Override
    public Integer call() {
        if (flags.contains("--help") || flags.contains("-h")) {
            System.out.println(ControllerMain.USAGE);
            return 0;
        }
        return ControllerMain.run(flags.toArray(String[]::new), System.out, System.err);
    }
}
