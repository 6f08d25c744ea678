package io.flowkeeper.controller;

import io.flowkeeper.controller.local.FreePorts;
import java.io.IOException;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** A one-node cluster in this JVM (real Ratis, real Jetty on loopback) for fast tests; restartable on its data. */
final class SoloNode implements AutoCloseable {
    static final String TOKEN = "solo-test-token";
    final Path dir;
    final int restPort;
    private final Path config;
    private ControllerNode node;

    /** @param extraYaml extra config lines, e.g. {@code "rest-max-watches: 4\n"} */
    SoloNode(String extraYaml) throws IOException {
        dir = Files.createTempDirectory("flowkeeper-solo-");
        restPort = FreePorts.next();
        config = dir.resolve("c.yaml");
        Files.createFile(dir.resolve("api.token"), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        Files.writeString(dir.resolve("api.token"), TOKEN + "\n");
        Files.writeString(config, "node-id: solo\npeers:\n  solo: 127.0.0.1:" + FreePorts.next() + "\n"
                + "data-dir: " + dir.resolve("data") + "\nrest-address: 127.0.0.1:" + restPort + "\n"
                // Not the default 0.0.0.0:6653, which any other node or test on the machine may hold.
                + "openflow-address: 127.0.0.1:" + FreePorts.next() + "\n"
                + "api-token-files: [" + dir.resolve("api.token") + "]\nrequest-timeout: 3s\n" + extraYaml);
    }

    SoloNode start() throws Exception {
        node = new ControllerNode(ControllerMain.parse(new String[] {"--config", config.toString()}));
        node.start(new PrintStream(OutputStream.nullOutputStream()));
        return this;
    }

    ControllerNode node() {
        return node;
    }

    RestClient client() {
        return new RestClient("http://127.0.0.1:" + restPort, TOKEN);
    }

    /** A client of the node's HTTPS port, trusting what {@code tls} trusts. */
    RestClient httpsClient(javax.net.ssl.SSLContext tls) {
        return new RestClient("https://127.0.0.1:" + restPort, TOKEN, RestClient.DEFAULT_TIMEOUT, tls);
    }

    /** Stops the node, keeping its data. */
    void stop() throws IOException {
        if (node != null) {
            node.close();
            node = null;
        }
    }

    @Override
    public void close() throws IOException {
        stop();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
