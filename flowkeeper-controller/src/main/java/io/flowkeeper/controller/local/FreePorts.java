package io.flowkeeper.controller.local;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Ports for servers this JVM is about to start, in its own process or in a child.
 *
 * <p>The kernel picks a free port on {@code bind(0)}, but once that probe is closed the port is free again, and the
 * next probe may get the same one: of 20,000 sets of 9 probes (one 3-node {@link LocalCluster}: Raft, REST and
 * OpenFlow per node), 97 held a port twice. Two servers then bind one port and the second fails: the likely cause of
 * a node that exited at start-up in one {@code bench datastore} run. So no port is handed out twice in this JVM.
 */
public final class FreePorts {
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private FreePorts() {}

    /** A port nothing listens on now and that this JVM has not handed out before. */
    public static int next() throws IOException {
        for (int attempt = 0; attempt < 1_000; attempt++) {
            int port;
            try (ServerSocket probe = new ServerSocket(0)) {
                probe.setReuseAddress(true);
                port = probe.getLocalPort();
            }
            if (HANDED_OUT.add(port)) {
                return port;
            }
        }
        throw new IOException("no free port that this JVM has not handed out already, after 1,000 tries");
    }
}
