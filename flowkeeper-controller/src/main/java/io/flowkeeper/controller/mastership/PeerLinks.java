package io.flowkeeper.controller.mastership;

import io.flowkeeper.api.ownership.NodeLease;
import io.flowkeeper.api.util.Threads;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Peer links: every node accepts connections on a port of its own (published with its lease) and keeps one open to
 * every other live node. A link carries nothing but one line each way, sent once: the accepting process'
 * incarnation, and the linking node's name and incarnation (so a restarted node is known to its peers as soon as it
 * links to them, {@link Listener#peerLinkedFrom}). It exists so that the death of a process is seen at once: when a process dies, even by kill -9, its kernel closes its sockets,
 * so the link ends within milliseconds, and a new connection to the same port is refused.
 *
 * <p>Only that pair of facts is reported as {@link Listener#peerGone}: the link ended <em>and</em> an immediate
 * reconnect was refused (a port nobody listens on), or was accepted but closed without the incarnation line every
 * live process sends at once (the link's end can arrive while the dying process' listening socket still takes
 * connections into its backlog; that connection is reset when the socket closes). A link broken by the network, a
 * frozen process or a lost packet gives a timeout instead, and is left to the lease's missed renewals. Why acting on the report is
 * safe even if it were wrong is {@link LeaseKeeper}'s to say.
 */
final class PeerLinks implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PeerLinks.class);
    /** How often the live peers are compared with the links held (a restarted peer publishes a new address). */
    private static final long SCAN_MS = 200;
    /** A link that connects more slowly than this is tried again at the next scan. */
    private static final int CONNECT_TIMEOUT_MS = 500;
    /** The reconnect that tells a dead process (refused at once) from a network fault (no answer). */
    private static final int PROBE_TIMEOUT_MS = 200;

    /** Told that a peer's process is gone, on a link's thread. */
    interface Listener {
        void peerGone(String node, String incarnation);

        /**
         * A peer linked to this node and named itself, on a link's thread: a process just started links to every
         * live peer at once, so this is how the others learn a restart before any Raft commit shows it. Unverified
         * (anyone reaching the port can send it): only worth acting on in ways a wrong claim costs nothing.
         */
        default void peerLinkedFrom(String node, String incarnation) {
        }
    }

    /** The longest hello line read from a linking peer ({@code node incarnation}); a longer one is ignored. */
    private static final int MAX_HELLO = 256;

    private final String nodeId;
    private final String incarnation;
    private final Supplier<List<NodeLease>> leases;
    private final Listener listener;
    private final ServerSocket server;
    /** Links held, by node and address: at most one per peer process. */
    private final Set<String> links = ConcurrentHashMap.newKeySet();
    /** The peers a link is established to now (their incarnation read). */
    private final Set<String> established = ConcurrentHashMap.newKeySet();
    private final Map<Socket, Boolean> sockets = new ConcurrentHashMap<>();
    private final ScheduledExecutorService scanner =
            Executors.newSingleThreadScheduledExecutor(Threads.daemon("peer-links"));
    private volatile boolean closed;

    /**
     * Binds the link port (any free port) on {@code host}; nothing connects until {@link #start()}.
     *
     * @param leases every node's lease, as this node's replica knows them
     */
    PeerLinks(String nodeId, String incarnation, String host, Supplier<List<NodeLease>> leases, Listener listener)
            throws IOException {
        this(nodeId, incarnation, host, 0, leases, listener);
    }

    /** Binds the link port {@code port} on {@code host} (0: any free port). */
    PeerLinks(String nodeId, String incarnation, String host, int port, Supplier<List<NodeLease>> leases,
              Listener listener)
            throws IOException {
        this.nodeId = nodeId;
        this.incarnation = incarnation;
        this.leases = leases;
        this.listener = listener;
        this.server = new ServerSocket(port, 16, InetAddress.getByName(host));
    }

    /** Where the other nodes connect: {@code host:port}. */
    String address() {
        return server.getInetAddress().getHostAddress() + ":" + server.getLocalPort();
    }

    void start() {
        Threads.startDaemon("peer-link-accept", this::accept);
        scanner.scheduleWithFixedDelay(this::scan, 0, SCAN_MS, TimeUnit.MILLISECONDS);
    }

    private void accept() {
        while (!closed) {
            try {
                Socket s = server.accept();
                sockets.put(s, true);
                if (closed) { // close() may have gone over the sockets already
                    s.close();
                    continue;
                }
                OutputStream out = s.getOutputStream();
                out.write((incarnation + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                // Read the linking peer's hello, then until the other end goes, so that its socket is released.
                Threads.startDaemon("peer-link-in", () -> drain(s));
            } catch (IOException e) {
                if (!closed) {
                    LOG.debug("peer link accept failed: {}", e.getMessage());
                }
            }
        }
    }

    private void drain(Socket s) {
        try (s) {
            java.io.InputStream in = s.getInputStream();
            StringBuilder hello = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0 && c != '\n') { // a probe or an older node sends none: EOF ends it
                if (hello.length() < MAX_HELLO) {
                    hello.append((char) c);
                }
            }
            String[] words = hello.toString().split(" ");
            if (c == '\n' && hello.length() < MAX_HELLO && words.length == 2 && !words[0].equals(nodeId)) {
                listener.peerLinkedFrom(words[0], words[1]);
            }
            while (in.read() >= 0) {
                // nothing is sent after the hello
            }
        } catch (IOException e) {
            // the peer went
        } finally {
            sockets.remove(s);
        }
    }

    private void scan() {
        if (closed) {
            return;
        }
        try {
            for (NodeLease l : leases.get()) {
                if (l.alive() && !l.node().equals(nodeId) && !l.peerLink().isEmpty()
                        && links.add(l.node() + "@" + l.peerLink())) {
                    Threads.startDaemon("peer-link-" + l.node(), () -> hold(l.node(), l.peerLink()));
                }
            }
        } catch (RuntimeException e) {
            LOG.debug("peer link scan failed: {}", e.getMessage());
        }
    }

    /** Holds one link until it ends; reports the peer gone if its port then refuses a connection. */
    private void hold(String node, String address) {
        String key = node + "@" + address;
        try {
            InetSocketAddress target = socketAddress(address);
            String peerIncarnation = null;
            try (Socket s = new Socket()) {
                sockets.put(s, true);
                s.connect(target, CONNECT_TIMEOUT_MS);
                OutputStream out = s.getOutputStream();
                out.write((nodeId + " " + incarnation + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                        StandardCharsets.UTF_8));
                peerIncarnation = in.readLine();
                if (peerIncarnation != null) {
                    established.add(node);
                }
                while (in.read() >= 0) {
                    // nothing is ever sent after the incarnation
                }
            } catch (IOException e) {
                LOG.debug("peer link to {} at {} ended: {}", node, address, e.getMessage());
            } finally {
                established.remove(node);
                sockets.keySet().removeIf(Socket::isClosed);
            }
            if (closed || peerIncarnation == null) {
                return; // never linked: nothing learned
            }
            if (isGone(target, peerIncarnation)) {
                LOG.info("peer link to {} (incarnation {}) closed and a reconnect found no live process there: it is "
                        + "gone", node, peerIncarnation);
                listener.peerGone(node, peerIncarnation);
            }
        } finally {
            links.remove(key);
        }
    }

    /**
     * Connects once more: refused, or accepted and closed without an incarnation line, or another incarnation
     * answering, means the process is gone; the same incarnation answering means it lives (the next scan links
     * again); no answer within the probe timeout proves nothing.
     */
    private static boolean isGone(InetSocketAddress target, String incarnation) {
        try (Socket probe = new Socket()) {
            probe.connect(target, PROBE_TIMEOUT_MS);
            probe.setSoTimeout(PROBE_TIMEOUT_MS);
            String line = new BufferedReader(new InputStreamReader(probe.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
            return line == null || !line.equals(incarnation);
        } catch (ConnectException refused) {
            return true;
        } catch (java.net.SocketTimeoutException silent) {
            return false;
        } catch (java.net.SocketException reset) {
            return "Connection reset".equals(reset.getMessage());
        } catch (IOException other) {
            return false;
        }
    }

    /** Whether this node holds an established link to that peer now. */
    boolean linkedTo(String node) {
        return established.contains(node);
    }

    /**
     * Fault injection for tests: resets the links other nodes hold to this one while this process goes on
     * listening, as a network fault or a middlebox would.
     */
    void resetIncomingLinks() {
        for (Socket s : sockets.keySet()) {
            if (!s.isClosed() && s.getLocalPort() == server.getLocalPort()) {
                try {
                    s.setSoLinger(true, 0); // RST, not FIN
                    s.close();
                } catch (IOException e) {
                    // closed anyway
                }
            }
        }
    }

    private static InetSocketAddress socketAddress(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    @Override
    public void close() {
        closed = true;
        scanner.shutdownNow();
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        for (Socket s : sockets.keySet()) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
