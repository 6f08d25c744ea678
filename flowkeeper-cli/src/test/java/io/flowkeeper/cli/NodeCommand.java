package io.flowkeeper.cli;

import java.nio.file.Path;
import java.util.Arrays;

/** Runs a {@code flowkeeper} command against one node, its token read from a file as an operator would pass it. */
public final class NodeCommand {
    private NodeCommand() {
    }

    /** {@code Main.run(args..., --url URL, --token-file FILE)}: the command's exit code. */
    public static int run(String url, Path tokenFile, String... args) {
        String[] all = Arrays.copyOf(args, args.length + 4);
        all[args.length] = "--url";
        all[args.length + 1] = url;
        all[args.length + 2] = "--token-file";
        all[args.length + 3] = tokenFile.toString();
        return Main.run(all);
    }
}
