package io.flowkeeper.cli;

import picocli.CommandLine;

/** Entry point of {@code bin/flowkeeper}. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (tests call this instead of {@link #main}). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new FlowkeeperCommand());
        cli.setExecutionExceptionHandler(new OneLineErrorHandler());
        return cli.execute(args);
    }
}
