package io.flowkeeper.controller.local;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for servers this JVM is about to start, in its own process or in a child.
 *
 * <p>Two ways a handed-out port is lost before the server binds it, both seen here:
 * <ul>
 *   <li>The kernel picks a free port on {@code bind(0)}, but once that probe is closed the port is free again and the
 *       next probe may get the same one: of 20,000 sets of 9 probes (one 3-node {@link LocalCluster}), 97 held a port
 *       twice. So no port is handed out twice in this JVM.</li>
 *   <li>A port from the kernel's ephemeral range ({@code net.ipv4.ip_local_port_range}) is also the local port of
 *       the next outgoing connection that happens to draw it: a gRPC channel, a switch connecting to a controller. A
 *       node restarted by {@code bench failover} in CI could not bind its own port again ("Failed to bind to
 *       /127.0.0.1:45581"). So ports are drawn from below that range, where the kernel never picks one by
 *       itself; only a server that names the port can take it.</li>
 * </ul>
 */
public final class FreePorts {
    /** The lowest port handed out: above the well-known and most registered service ports. */
    static final int LOWEST = 20_000;
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private FreePorts() {}

    /** A port nothing listens on now, outside the ephemeral range, that this JVM has not handed out before. */
    public static int next() throws IOException {
        int highest = ephemeralRangeStart() - 1;
        for (int attempt = 0; attempt < 1_000; attempt++) {
            int port = highest - LOWEST >= 1_000
                    ? ThreadLocalRandom.current().nextInt(LOWEST, highest + 1)
                    : kernelPicked(); // an unusual range leaves too little room below it
            if (HANDED_OUT.contains(port) || !bindable(port)) {
                continue;
            }
            if (HANDED_OUT.add(port)) {
                return port;
            }
        }
        throw new IOException("no free port that this JVM has not handed out already, after 1,000 tries");
    }

    /** The first port of the kernel's ephemeral range; Linux's default when it cannot be read. */
    static int ephemeralRangeStart() {
        // Read as a stream: Files.readString trusts the size /proc reports and returned "3" of "32768\t60999".
        try (InputStream in = Files.newInputStream(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
            String range = new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
            return Integer.parseInt(range.split("\\s+")[0]);
        } catch (IOException | RuntimeException unreadable) {
            return 32_768;
        }
    }

    private static boolean bindable(int port) {
        try (ServerSocket probe = new ServerSocket(port)) {
            probe.setReuseAddress(true);
            return true;
        } catch (IOException taken) {
            return false;
        }
    }

    private static int kernelPicked() throws IOException {
        try (ServerSocket probe = new ServerSocket(0)) {
            return probe.getLocalPort();
        }
    }
}
