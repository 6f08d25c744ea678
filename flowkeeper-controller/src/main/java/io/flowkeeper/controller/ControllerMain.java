package io.flowkeeper.controller;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * Entry point of one controller process: {@code flowkeeper controller} delegates here, and the multi-process tests
 * and the bench start it directly with {@code java -cp ... io.flowkeeper.controller.ControllerMain}.
 * Flags override the YAML file's keys:
 * <pre>
 * --config FILE  --node-id ID  --peer ID=HOST:PORT (repeat)  --rest-address HOST:PORT
 * --openflow-address HOST:PORT  --data-dir DIR  --token-file FILE (repeat)  --node-token-file FILE
 * --request-timeout 5s
 * </pre>
 * The environment's {@code FLOWKEEPER_TOKEN} is accepted as one more API token. {@code --token TOKEN} still works
 * but warns: its value is visible to every local user in {@code ps}.
 * Exit codes: 0 after a clean stop (SIGTERM), 2 for bad configuration (one line on stderr), 1 if start-up fails.
 */
public final class ControllerMain {
    public static final String USAGE = "usage: controller [--config FILE] [--node-id ID] [--peer ID=HOST:PORT]..."
            + " [--rest-address HOST:PORT] [--openflow-address HOST:PORT] [--data-dir DIR] [--token-file FILE]..."
            + " [--node-token-file FILE] [--request-timeout DURATION] (API token also from $FLOWKEEPER_TOKEN)";

    private ControllerMain() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs a node until the JVM is asked to stop; returns the exit code on failure. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        quietLibraries();
        if (java.util.Arrays.asList(args).contains("--token")) {
            err.println("warning: --token is visible to every local user in ps; use --token-file or FLOWKEEPER_TOKEN");
        }
        ControllerConfig config;
        try {
            config = parse(args);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 2;
        } catch (java.io.IOException e) {
            err.println("error: " + e.getMessage());
            return 2;
        }
        ControllerNode node;
        try {
            node = new ControllerNode(config);
        } catch (Exception e) {
            err.println("error: cannot create the node: " + e.getMessage());
            return 1;
        }
        Thread hook = new Thread(() -> {
            try {
                node.close();
            } catch (Exception e) {
                // stopping anyway
            }
        }, "controller-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            node.start(out);
        } catch (Exception e) {
            err.println("error: start-up failed: " + e.getMessage());
            return 1;
        }
        try {
            Thread.currentThread().join(); // runs until SIGTERM / SIGINT; the hook closes the node
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    static ControllerConfig parse(String[] args) throws java.io.IOException {
        Path file = null;
        Map<String, Object> overrides = new LinkedHashMap<>();
        Map<String, String> peers = new LinkedHashMap<>();
        List<String> tokens = new ArrayList<>();
        List<String> tokenFiles = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (flag.equals("-h") || flag.equals("--help")) {
                throw new IllegalArgumentException(USAGE);
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("missing value after " + flag + "; " + USAGE);
            }
            String value = args[++i];
            switch (flag) {
                case "--config" -> file = Path.of(value);
                case "--peer" -> {
                    int eq = value.indexOf('=');
                    if (eq <= 0) {
                        throw new IllegalArgumentException("--peer expects ID=HOST:PORT, got '" + value + "'");
                    }
                    peers.put(value.substring(0, eq), value.substring(eq + 1));
                }
                case "--token" -> tokens.add(value);
                case "--token-file" -> tokenFiles.add(value);
                case "--node-token-file" -> overrides.put("node-token-file", value);
                case "--node-id", "--rest-address", "--openflow-address", "--data-dir", "--request-timeout" ->
                        overrides.put(flag.substring(2), value);
                default -> throw new IllegalArgumentException("unknown flag " + flag + "; " + USAGE);
            }
        }
        if (!peers.isEmpty()) {
            overrides.put("peers", peers);
        }
        if (!tokens.isEmpty()) {
            overrides.put("api-tokens", tokens);
        }
        if (!tokenFiles.isEmpty()) {
            overrides.put("api-token-files", tokenFiles);
        }
        String envToken = System.getenv(ControllerConfig.ENV_TOKEN);
        if (envToken != null) {
            overrides.put(ControllerConfig.ENV_TOKEN, envToken);
        }
        return ControllerConfig.load(file, overrides);
    }

    /**
     * Ratis logs a line per election and append at INFO: keep libraries at WARN whatever the logback file says. Our
     * own INFO lines are the node's state changes (roles, leases, reconciles), one line each: a controller logs
     * them unless FLOWKEEPER_LOG_LEVEL says otherwise (the CLI's default is WARN).
     */
    static void quietLibraries() {
        if (System.getenv("FLOWKEEPER_LOG_LEVEL") == null
                && LoggerFactory.getLogger("io.flowkeeper") instanceof ch.qos.logback.classic.Logger own) {
            own.setLevel(ch.qos.logback.classic.Level.INFO);
        }
        for (String name : List.of("org.apache.ratis", "io.grpc", "org.apache.ratis.thirdparty")) {
            if (LoggerFactory.getLogger(name) instanceof ch.qos.logback.classic.Logger l) {
                l.setLevel(ch.qos.logback.classic.Level.WARN);
            }
        }
    }
}
