package io.flowkeeper.cli;

import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns a failure into one line on stderr and a non-zero exit code. The stack trace is printed only with
 * {@code FLOWKEEPER_DEBUG=1}, because operators need the message, developers the trace.
 */
final class OneLineErrorHandler implements IExecutionExceptionHandler {
    /** Exit code for a command that failed at run time (usage errors get picocli's 2). */
    static final int EXIT_FAILURE = 1;

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
        if (ex instanceof UserException user) {
            cmd.getErr().println(cmd.getCommandSpec().qualifiedName(" ") + ": " + user.getMessage());
            return user.exitCode();
        }
        String message = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
        cmd.getErr().println(cmd.getCommandSpec().qualifiedName(" ") + ": " + message.lines().findFirst().orElse(""));
        if ("1".equals(System.getenv("FLOWKEEPER_DEBUG"))) {
            ex.printStackTrace(cmd.getErr());
        }
        return EXIT_FAILURE;
    }
}
