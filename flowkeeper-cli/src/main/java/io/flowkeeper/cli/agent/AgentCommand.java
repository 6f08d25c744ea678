package io.flowkeeper.cli.agent;

import io.flowkeeper.agent.AgentConfig;
import io.flowkeeper.agent.AgentListener;
import io.flowkeeper.agent.HostAgent;
import io.flowkeeper.agent.cluster.ClusterAgent;
import io.flowkeeper.agent.cluster.ClusterSettings;
import io.flowkeeper.agent.cluster.GatewayAgent;
import io.flowkeeper.agent.cluster.GatewaySettings;
import io.flowkeeper.agent.cluster.HostTls;
import io.flowkeeper.agent.snapshot.FsyncPolicy;
import io.flowkeeper.api.gateway.HaState;
import io.flowkeeper.cli.UserException;
import io.flowkeeper.controller.Secrets;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flowkeeper agent}: one per host. Prints one line per state change (restored, journaling, disconnected,
 * degraded, forwarding released) on stdout, and runs until SIGTERM.
 */
@Command(
        name = "agent",
        mixinStandardHelpOptions = true,
        subcommands = AgentStatusCommand.class,
        description = {
            "Run the host agent beside Open vSwitch. It journals every flow of each",
            "bridge into a crash-safe snapshot (OpenFlow 1.4 flow monitor on the",
            "bridge's management socket) and, when ovs-vswitchd restarts or the host",
            "boots, restores the snapshot in one bundle and clears flow-restore-wait.",
            "It needs no controller.",
            "",
            "With --api it also joins the cluster: it creates the integration bridge",
            "(controllers from --controller, set at creation) and the provider bridges",
            "of --bridge-mapping with patch ports int-<br>/phy-<br>, registers the host",
            "(heartbeat every 10 s), reports VM interfaces (external_ids:iface-id,",
            "attached-mac, ofport) in batches and keeps one VXLAN port per remote host",
            "that shares a network with this one. The API token comes from --token-file",
            "or $FLOWKEEPER_TOKEN, never from the command line.",
            "",
            "A cluster with tls: needs https:// --api URLs and --ca-file, --cert-file,",
            "--key-file (ca.pem, hosts/H.pem, hosts/H.key of flowkeeper certs init):",
            "the agent calls the API over HTTPS trusting that CA only, sets them as",
            "Open vSwitch's SSL files (ovs-vsctl set-ssl) and creates the integration",
            "bridge with ssl: controller targets and the datapath id its certificate",
            "binds.",
            "",
            "--config FILE (Java properties): ovs-rundir=, bridges=br-int,br-ex,",
            "snapshot-dir=, fsync-interval-ms=, api=URL,URL, controllers=H:P,H:P,",
            "token-file=, host=, tunnel-ip=, bridge-mappings=physnet1:br-vlan,...,",
            "integration-bridge=, ca-file=, cert-file=, key-file=, gateway=true,",
            "state-dir=, notify-active=, notify-standby=, notify-fault=,",
            "notify-timeout-ms=. Flags win over the file.",
            "",
            "With --gateway the host carries HA router gateways (keepalived's",
            "semantics, elected by the cluster): the active answers ARP and ping for",
            "the router's external IP on the provider bridge and sends 5 gratuitous",
            "ARPs; a host cut off from the cluster stops answering within 900 ms,",
            "before the cluster may elect another (1.5 s lease).",
            ""
        })
public final class AgentCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "Properties file with the settings below.")
    Path config;

    @Option(names = "--ovs-rundir", paramLabel = "DIR",
            description = "Where db.sock, <bridge>.mgmt and ovs-vswitchd.pid live (default /var/run/openvswitch).")
    Path ovsRundir;

    @Option(names = "--bridge", paramLabel = "NAME", description = "A bridge to journal and restore (repeatable; "
            + "default with --api: the integration bridge).")
    List<String> bridges = new ArrayList<>();

    @Option(names = "--snapshot-dir", paramLabel = "DIR",
            description = "Snapshot directory, one sub-directory per bridge, on the host's own disk "
                    + "(default /var/lib/flowkeeper/snapshots).")
    Path snapshotDir;

    @Option(names = "--fsync-interval-ms", paramLabel = "MS",
            description = "Force journal appends to disk at most this long after they happen: a power failure "
                    + "loses at most this window (default 100; 0 = every batch).")
    Long fsyncIntervalMs;

    @Option(names = "--api", paramLabel = "URL",
            description = "A cluster node's REST address, e.g. http://10.0.0.1:8181 (repeatable: the agent moves to "
                    + "the next when one does not answer). Without it the agent only journals and restores.")
    List<String> apiUrls = new ArrayList<>();

    @Option(names = "--controller", paramLabel = "HOST:PORT",
            description = "A node's OpenFlow address (repeatable), set as the integration bridge's controller "
                    + "targets when the agent creates the bridge.")
    List<String> controllers = new ArrayList<>();

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "File holding the API token (default: $FLOWKEEPER_TOKEN).")
    Path tokenFile;

    @Option(names = "--host", paramLabel = "NAME",
            description = "This host's name as ports' binding:host_id names it (default: the kernel's hostname, "
                    + "as Nova's).")
    String host;

    @Option(names = "--tunnel-ip", paramLabel = "IP", description = "This host's VXLAN tunnel endpoint address.")
    String tunnelIp;

    @Option(names = "--bridge-mapping", paramLabel = "PHYSNET:BRIDGE",
            description = "A provider network's bridge (repeatable), for VLAN and flat networks.")
    List<String> bridgeMappings = new ArrayList<>();

    @Option(names = "--integration-bridge", paramLabel = "NAME",
            description = "The bridge VM interfaces plug into (default br-int).")
    String integrationBridge;

    @Option(names = "--ca-file", paramLabel = "FILE",
            description = "With https:// --api URLs: the cluster's CA (ca.pem of flowkeeper certs init), the only one "
                    + "the agent and the host's Open vSwitch trust.")
    Path caFile;

    @Option(names = "--cert-file", paramLabel = "FILE",
            description = "This host's certificate (hosts/<host>.pem), presented by Open vSwitch to the OpenFlow port "
                    + "and by the agent to the API; it must name --host and bind a datapath id.")
    Path certFile;

    @Option(names = "--key-file", paramLabel = "FILE",
            description = "Its private key (hosts/<host>.key, 0600, readable by ovs-vswitchd).")
    Path keyFile;

    @Option(names = "--metrics-address", paramLabel = "HOST:PORT",
            description = "Serve this agent's Prometheus metrics at http://HOST:PORT/metrics, behind the API token "
                    + "(--token-file or FLOWKEEPER_TOKEN); port 0 picks a free one (printed).")
    String metricsAddress;

    @Option(names = "--gateway",
            description = "This host carries HA router gateways on the provider networks it maps: it renews a "
                    + "gateway lease every 200 ms, and answers ARP and ping for a router's external IP on the "
                    + "provider bridge while the cluster has it active (needs --api and --bridge-mapping).")
    boolean gateway;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "With --gateway: where ha_confs/<router id>/state (active|standby|fault) is written "
                    + "(default /var/lib/flowkeeper).")
    Path stateDir;

    @Option(names = "--notify-active", paramLabel = "PATH",
            description = "With --gateway: run PATH ROUTER_ID active when this host becomes a router's active.")
    Path notifyActive;

    @Option(names = "--notify-standby", paramLabel = "PATH",
            description = "With --gateway: run PATH ROUTER_ID standby when this host becomes a router's standby.")
    Path notifyStandby;

    @Option(names = "--notify-fault", paramLabel = "PATH",
            description = "With --gateway: run PATH ROUTER_ID fault when this host loses the cluster and stops "
                    + "answering for its routers.")
    Path notifyFault;

    @Option(names = "--notify-timeout-ms", paramLabel = "MS",
            description = "With --gateway: a notify script still running after MS is killed (default 10000).")
    Long notifyTimeoutMs;

    @Option(names = "--no-local-dhcp",
            description = "With --api: leave DHCP to the switch's master. By default the agent also answers its VMs' "
                    + "DHCP itself, from bindings the cluster computes and kept in <snapshot-dir>/dhcp-bindings.json, "
                    + "so leases come and renew with every controller down.")
    boolean noLocalDhcp;

    @Option(names = "--report-journal", hidden = true,
            description = "Print a 'journaled' line with the running total of journaled changes (benchmarks).")
    boolean reportJournal;

    @Override
    public Integer call() throws Exception {
        Properties file = new Properties();
        if (config != null) {
            try (InputStream in = Files.newInputStream(config)) {
                file.load(in);
            } catch (IOException e) {
                throw new UserException("cannot read --config " + config + ": " + e.getMessage(), 2);
            }
        }
        Path rundir = ovsRundir != null ? ovsRundir : Path.of(file.getProperty("ovs-rundir", "/var/run/openvswitch"));
        List<String> names = !bridges.isEmpty() ? bridges : list(file, "bridges");
        ClusterSettings cluster = clusterSettings(file);
        GatewaySettings gatewaySettings = gateway || Boolean.parseBoolean(file.getProperty("gateway", "false"))
                ? gatewaySettings(file, cluster) : null;
        if (names.isEmpty() && cluster != null) {
            names = List.of(cluster.integrationBridge());
        }
        Path snapshots = snapshotDir != null ? snapshotDir
                : Path.of(file.getProperty("snapshot-dir", "/var/lib/flowkeeper/snapshots"));
        long fsyncMs = fsyncIntervalMs != null ? fsyncIntervalMs
                : Long.parseLong(file.getProperty("fsync-interval-ms", "100"));
        if (names.isEmpty()) {
            throw new UserException("no bridge given: use --bridge NAME (or bridges= in --config)", 2);
        }
        if (!Files.isDirectory(rundir)) {
            throw new UserException("--ovs-rundir " + rundir + " is not a directory", 2);
        }
        if (fsyncMs < 0) {
            throw new UserException("--fsync-interval-ms must be 0 or more", 2);
        }
        AgentConfig cfg;
        try {
            cfg = new AgentConfig(rundir, names, snapshots,
                    fsyncMs == 0 ? FsyncPolicy.EVERY_FLUSH : new FsyncPolicy(Duration.ofMillis(fsyncMs)),
                    AgentConfig.DEFAULT_RECONNECT_INTERVAL);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage(), 2);
        }
        PrintStream out = System.out;
        CountDownLatch stop = new CountDownLatch(1);
        AgentListener printer = new StatusPrinter(out, reportJournal);
        io.flowkeeper.agent.metrics.MetricsEndpoint metrics = null;
        if (metricsAddress != null || file.getProperty("metrics-address") != null) {
            String address = metricsAddress != null ? metricsAddress : file.getProperty("metrics-address");
            String token = cluster != null ? cluster.token() : metricsToken(file);
            io.flowkeeper.agent.metrics.AgentMetrics meters = new io.flowkeeper.agent.metrics.AgentMetrics(
                    cluster != null ? cluster.host() : file.getProperty("host", kernelHostname()), names, snapshots,
                    printer);
            printer = meters;
            try {
                metrics = new io.flowkeeper.agent.metrics.MetricsEndpoint(address, token, meters::scrape,
                        cluster != null && cluster.tls() != null ? cluster.tls().serverContext() : null).start();
            } catch (IOException | IllegalArgumentException e) {
                throw new UserException("--metrics-address " + address + ": " + e.getMessage(), 2);
            }
            out.println("agent: metrics on " + metrics.scheme() + "://"
                    + address.substring(0, address.lastIndexOf(':')) + ":" + metrics.port() + "/metrics (token required)");
        }
        io.flowkeeper.agent.metrics.MetricsEndpoint metricsEndpoint = metrics;
        HostAgent agent = new HostAgent(cfg, printer).start();
        out.println("agent: journaling " + names + " from " + rundir + " into " + snapshots);
        ClusterAgent clusterAgent = cluster == null ? null
                : new ClusterAgent(cluster, rundir.resolve("db.sock"), printer,
                        () -> agent.snapshotReport(cluster.integrationBridge()));
        if (clusterAgent != null) {
            if (!noLocalDhcp && !Boolean.parseBoolean(file.getProperty("no-local-dhcp", "false"))) {
                clusterAgent.localDhcp(snapshots.resolve("dhcp-bindings.json"));
            }
            clusterAgent.start();
        }
        GatewayAgent gatewayAgent = null;
        if (gatewaySettings != null) {
            gatewayAgent = new GatewayAgent(cluster, gatewaySettings, rundir, printer).start();
            out.println("agent: gateway host for " + cluster.bridgeMappings().keySet() + ", state in "
                    + gatewaySettings.stateDir().resolve("ha_confs"));
        }
        GatewayAgent gatewayToClose = gatewayAgent;
        if (cluster != null) {
            out.println("agent: host " + cluster.host() + " joins the cluster at " + cluster.apiUrls()
                    + (cluster.tls() == null ? "" : String.format(" over TLS (%s; %s's datapath id if the agent creates"
                    + " it: %016x)", cluster.tls().files().certificate(), cluster.integrationBridge(),
                    cluster.tls().integrationDatapathId())));
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (metricsEndpoint != null) {
                metricsEndpoint.close();
            }
            if (gatewayToClose != null) {
                gatewayToClose.close();
            }
            if (clusterAgent != null) {
                clusterAgent.close();
            }
            try {
                agent.close();
            } catch (IOException e) {
                System.err.println("agent: closing snapshots failed: " + e.getMessage());
            }
            stop.countDown();
        }, "agent-shutdown"));
        stop.await();
        return 0;
    }

    private static List<String> list(Properties file, String key) {
        return Arrays.stream(file.getProperty(key, "").split(",")).map(String::strip).filter(s -> !s.isEmpty())
                .toList();
    }

    /** The token /metrics asks for when the agent has no cluster side (whose token it uses otherwise). */
    private String metricsToken(Properties file) {
        Path tokens = tokenFile != null ? tokenFile
                : file.getProperty("token-file") == null ? null : Path.of(file.getProperty("token-file"));
        try {
            String token = tokens != null ? Secrets.readTokenFile("--token-file", tokens).get(0)
                    : System.getenv("FLOWKEEPER_TOKEN");
            if (token == null || token.isBlank()) {
                throw new UserException("--metrics-address needs a token: pass --token-file or set FLOWKEEPER_TOKEN", 2);
            }
            return token;
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage(), 2);
        }
    }

    /** The cluster side's settings, or null without --api (journal and restore only). */
    private ClusterSettings clusterSettings(Properties file) {
        List<String> api = !apiUrls.isEmpty() ? apiUrls : list(file, "api");
        if (api.isEmpty()) {
            return null;
        }
        Path tokens = tokenFile != null ? tokenFile
                : file.getProperty("token-file") == null ? null : Path.of(file.getProperty("token-file"));
        String token;
        try {
            token = tokens != null ? Secrets.readTokenFile("--token-file", tokens).get(0)
                    : System.getenv("FLOWKEEPER_TOKEN");
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage(), 2);
        }
        if (token == null || token.isBlank()) {
            throw new UserException("no token: pass --token-file or set FLOWKEEPER_TOKEN", 2);
        }
        Map<String, String> mappings = new LinkedHashMap<>();
        for (String m : !bridgeMappings.isEmpty() ? bridgeMappings : list(file, "bridge-mappings")) {
            int colon = m.indexOf(':');
            if (colon <= 0 || colon == m.length() - 1 || mappings.put(m.substring(0, colon), m.substring(colon + 1))
                    != null) {
                throw new UserException("--bridge-mapping must be PHYSNET:BRIDGE, one per physnet: " + m, 2);
            }
        }
        String hostName = host != null ? host : file.getProperty("host", kernelHostname());
        try {
            return new ClusterSettings(!controllers.isEmpty() ? controllers : list(file, "controllers"), api, token,
                    hostName, tunnelIp != null ? tunnelIp : file.getProperty("tunnel-ip"), mappings,
                    integrationBridge != null ? integrationBridge : file.getProperty("integration-bridge", "br-int"),
                    ClusterSettings.DEFAULT_HEARTBEAT, ClusterSettings.DEFAULT_PEER_POLL, hostTls(file, hostName));
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage(), 2);
        }
    }

    /** The gateway side's settings; --gateway needs the cluster side and a provider network to carry. */
    private GatewaySettings gatewaySettings(Properties file, ClusterSettings cluster) {
        if (cluster == null) {
            throw new UserException("--gateway needs --api (the cluster elects the active gateway)", 2);
        }
        if (cluster.bridgeMappings().isEmpty()) {
            throw new UserException("--gateway needs --bridge-mapping PHYSNET:BRIDGE for the external network", 2);
        }
        Map<HaState, Path> hooks = new EnumMap<>(HaState.class);
        Path[] given = {path(notifyActive, file, "notify-active"), path(notifyStandby, file, "notify-standby"),
            path(notifyFault, file, "notify-fault")};
        HaState[] states = {HaState.ACTIVE, HaState.STANDBY, HaState.FAULT};
        for (int i = 0; i < states.length; i++) {
            if (given[i] != null) {
                if (!Files.isExecutable(given[i])) {
                    throw new UserException("--notify-" + states[i].text() + " " + given[i] + " is not an "
                            + "executable file", 2);
                }
                hooks.put(states[i], given[i]);
            }
        }
        long timeout = notifyTimeoutMs != null ? notifyTimeoutMs : Long.parseLong(file.getProperty(
                "notify-timeout-ms", String.valueOf(GatewaySettings.DEFAULT_HOOK_TIMEOUT.toMillis())));
        Path dir = stateDir != null ? stateDir : Path.of(file.getProperty("state-dir", "/var/lib/flowkeeper"));
        try {
            return new GatewaySettings(dir, hooks, Duration.ofMillis(timeout), GatewaySettings.DEFAULT_RENEW,
                    "ovs-ofctl");
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage(), 2);
        }
    }

    /** The host's TLS files, checked, or null when none is given; all three or none. */
    private HostTls hostTls(Properties file, String hostName) {
        Path ca = path(caFile, file, "ca-file");
        Path cert = path(certFile, file, "cert-file");
        Path key = path(keyFile, file, "key-file");
        if (ca == null && cert == null && key == null) {
            return null;
        }
        if (ca == null || cert == null || key == null) {
            throw new UserException(HostTls.CA_OPTION + ", " + HostTls.CERT_OPTION + " and " + HostTls.KEY_OPTION
                    + " go together (the cluster's CA, this host's certificate and its key)", 2);
        }
        return HostTls.load(ca, cert, key, hostName);
    }

    private static Path path(Path option, Properties file, String key) {
        return option != null ? option : file.getProperty(key) == null ? null : Path.of(file.getProperty(key));
    }

    /** What gethostname() says, as Nova's {@code host} (not a reverse DNS lookup, which may give the FQDN). */
    private static String kernelHostname() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (IOException e) {
            throw new UserException("cannot read the hostname: pass --host", 2);
        }
    }

    /** One line per state change, parseable by benchmarks ({@code key=value} pairs after the event). */
    static final class StatusPrinter implements AgentListener {
        private final PrintStream out;
        private final boolean reportJournal;
        private long journaledTotal;

        StatusPrinter(PrintStream out, boolean reportJournal) {
            this.out = out;
            this.reportJournal = reportJournal;
        }

        @Override
        public synchronized void journaled(String bridge, int changes) {
            journaledTotal += changes;
            if (reportJournal) {
                out.println("journaled bridge=" + bridge + " total=" + journaledTotal);
            }
        }

        private static long heapMiB() {
            return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20;
        }

        @Override
        public void restored(String bridge, int flows, Duration bundle, Duration sinceSwitchStart) {
            out.println("restored bridge=" + bridge + " flows=" + flows + " bundle_ms=" + bundle.toMillis()
                    + (sinceSwitchStart == null ? "" : " since_vswitchd_start_ms=" + sinceSwitchStart.toMillis())
                    + " heap_mib=" + heapMiB());
        }

        @Override
        public void journaling(String bridge, int flows) {
            out.println("journaling bridge=" + bridge + " flows=" + flows + " heap_mib=" + heapMiB());
        }

        @Override
        public void disconnected(String bridge) {
            out.println("disconnected bridge=" + bridge);
        }

        @Override
        public void degraded(String bridge, String reason) {
            out.println("degraded bridge=" + bridge + " reason=" + reason.replace('\n', ' '));
        }

        @Override
        public void forwardingReleased() {
            out.println("released flow-restore-wait");
        }

        @Override
        public void registered(String host) {
            out.println("registered host=" + host);
        }

        @Override
        public void reported(int plugged, int unplugged, List<String> errors) {
            out.println("reported plugged=" + plugged + " unplugged=" + unplugged + " refused=" + errors.size());
        }

        @Override
        public void tunnelsChanged(Map<String, String> added, List<String> removed) {
            out.println("tunnels added=" + added + " removed=" + removed);
        }

        @Override
        public void clusterCallFailed(String reason) {
            out.println("cluster-call-failed reason=" + reason.replace('\n', ' '));
        }

        @Override
        public void dhcpServing(String bridge, int bindings) {
            out.println("dhcp-serving bridge=" + bridge + " ports=" + bindings);
        }

        @Override
        public void gatewayState(String router, String from, String to, long generation, String why) {
            out.println("gateway router=" + router + " from=" + from + " to=" + to + " generation=" + generation
                    + " why=" + why.replace(' ', '_'));
        }

        @Override
        public void gatewayHook(String router, String state, String script, int exitCode) {
            out.println("gateway-hook router=" + router + " state=" + state + " script=" + script + " exit="
                    + exitCode);
        }
    }
}
