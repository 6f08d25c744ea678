package io.flowkeeper.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowkeeper.api.network.Host;
import io.flowkeeper.api.util.Threads;
import io.flowkeeper.controller.RestClient;
import io.flowkeeper.testbed.Cmd;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.Vm;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * An HA gateway router on real OVS with real agents, shared by {@code bench gateway}, its CI test and whatever else
 * needs a router whose active gateway host can be killed: a three-node cluster ({@link TenantLab}, with one compute
 * host h1), two gateway hosts gw1 and gw2 each running {@code flowkeeper agent --gateway --bridge-mapping
 * extnet:br-ex} in its own namespace, and an "external" host ext whose VM {@code out} (172.24.4.1, the external
 * subnet's upstream router) sits on a standalone bridge {@code br-phys} cabled to both gateway hosts' {@code br-ex}:
 * the provider network. A router with an external gateway on that flat network and an interface on a tenant subnet
 * (10.9.0.0/24) with a VM on h1 behind it. gw1 is placed first, so it is active and gw2 standby (nopreempt, as
 * Neutron's default).
 *
 * <p>Each agent runs one notify hook for all three transitions, appending "ROUTER STATE" to {@code
 * hooks-HOST.log} in {@link #dir}, and keeps its state files under {@code state-HOST}. {@link #close} stops the
 * agents, the relays and the lab, also after a failed start.
 */
public final class GatewayLab implements AutoCloseable {
    /** How long any one step may take on a loaded shared machine before the lab gives up with an error. */
    public static final Duration LONG = Duration.ofSeconds(60);
    /** The upstream router's address on the external network (the VM {@code out} on ext). */
    public static final String UPSTREAM_IP = "172.24.4.1";
    private static final String VM_IP = "10.9.0.10";

    private final TenantLab lab;
    private final Path dir;
    private final Map<String, AgentProcess> agents = new HashMap<>();
    /** The nodes' REST ports as the gateway hosts reach them (see {@link #relay}). */
    private final List<String> apiUrls = new ArrayList<>();
    private final List<ServerSocket> relays = new ArrayList<>();
    private OvsHost gw1;
    private OvsHost gw2;
    private OvsHost ext;
    private Vm outside;
    private String network;
    private String router;
    private String externalIp;
    private TenantLab.Plugged vm;
    private String floatingIp;

    private GatewayLab(TenantLab lab, Path dir) {
        this.lab = lab;
        this.dir = dir;
    }

    /**
     * Builds the lab and waits until gw1 is active and gw2 standby. {@code dpidBase}: h1's datapath id, distinct per
     * user of this class (see {@link TenantLab#start}).
     */
    public static GatewayLab start(long dpidBase) throws Exception {
        TenantLab tenantLab = TenantLab.start(1, dpidBase, List.of("request-timeout: 5s",
                "election-timeout-min: 1s", "election-timeout-max: 2s", "stats-interval: 1s", "network:",
                "  flat-networks: [extnet]"));
        GatewayLab g = null;
        try {
            g = new GatewayLab(tenantLab, Files.createTempDirectory("gateway-lab"));
            g.build();
            return g;
        } catch (Exception | Error e) {
            if (g != null) {
                g.close();
            } else {
                tenantLab.close();
            }
            throw e;
        }
    }

    private void build() throws Exception {
        gw1 = lab.bed().addHost("gw1").attachUnderlay();
        gw2 = lab.bed().addHost("gw2").attachUnderlay();
        for (OvsHost gw : List.of(gw1, gw2)) {
            // the lab plays h1's agent: its tunnels to the gateway hosts (their agents make theirs to h1), with BFD
            // as the agent runs it on a tunnel to a gateway host
            lab.host(0).addTunnel(TenantLab.BRIDGE, Host.tunnelPortName(gw.underlayIp()), "vxlan", gw);
            lab.host(0).enableBfd(Host.tunnelPortName(gw.underlayIp()), 100);
        }
        ext = lab.bed().addHost("ext");
        standaloneBridge(ext, "br-phys");
        int n = 0;
        for (OvsHost gw : List.of(gw1, gw2)) {
            n++;
            standaloneBridge(gw, "br-ex");
            // the provider network's cable: ext's end in br-phys, the gateway's in br-ex
            Cmd.run("ip", "-n", ext.netns(), "link", "add", "up" + n, "type", "veth", "peer", "name", "ext0",
                    "netns", gw.netns());
            Cmd.run("ip", "-n", ext.netns(), "link", "set", "up" + n, "up");
            Cmd.run("ip", "-n", gw.netns(), "link", "set", "ext0", "up");
            ext.vsctl("add-port", "br-phys", "up" + n);
            gw.vsctl("add-port", "br-ex", "ext0");
        }
        outside = ext.addVm("out", "br-phys", "02:00:00:00:99:01", UPSTREAM_IP + "/24");

        network = lab.create("networks", "{\"network\": {\"name\": \"public\", \"router:external\": true,"
                + " \"provider:network_type\": \"flat\", \"provider:physical_network\": \"extnet\"}}");
        lab.create("subnets", "{\"subnet\": {\"network_id\": \"" + network + "\", \"ip_version\": 4,"
                + " \"cidr\": \"172.24.4.0/24\", \"enable_dhcp\": false,"
                + " \"allocation_pools\": [{\"start\": \"172.24.4.10\", \"end\": \"172.24.4.50\"}]}}");
        router = lab.create("routers", "{\"router\": {\"name\": \"r\", \"project_id\": \"p\","
                + " \"external_gateway_info\": {\"network_id\": \"" + network + "\"}}}");
        externalIp = api().get("/v2.0/routers/" + router).body().path("router").path("external_gateway_info")
                .path("external_fixed_ips").get(0).path("ip_address").asText();
        String tenant = lab.create("networks", "{\"network\": {\"name\": \"private\", \"project_id\": \"p\"}}");
        String subnet = lab.create("subnets", "{\"subnet\": {\"network_id\": \"" + tenant + "\", \"project_id\":"
                + " \"p\", \"ip_version\": 4, \"cidr\": \"10.9.0.0/24\"}}");
        // port security on (the switch answers the VM's ARP for its gateway), and a group letting the outside in
        String open = lab.create("security-groups", "{\"security_group\": {\"name\": \"open\", \"project_id\":"
                + " \"p\"}}");
        lab.create("security-group-rules", "{\"security_group_rule\": {\"security_group_id\": \"" + open + "\","
                + " \"direction\": \"ingress\", \"ethertype\": \"IPv4\"}}");
        vm = lab.plug(lab.host(0), "vm", tenant, subnet, "p", "fa:16:3e:00:9a:01", VM_IP,
                ", \"security_groups\": [\"" + open + "\"]");
        lab.addRouterInterfaces(router, subnet);

        for (int i = 0; i < lab.cluster().size(); i++) {
            apiUrls.add(relay(lab.bed().controllerIp(), URI.create(lab.cluster().restUrl(i)).getPort()));
        }
        // gw1 first: placed first, it gets the higher priority and becomes active
        startAgent(gw1);
        agent(gw1).await(e -> e.kind().equals("gateway") && "active".equals(e.fields().get("to")), LONG,
                "gw1 active");
        startAgent(gw2);
        agent(gw2).await(e -> e.kind().equals("gateway") && "standby".equals(e.fields().get("to")), LONG,
                "gw2 standby");
    }

    private static void standaloneBridge(OvsHost host, String name) {
        host.vsctl("add-br", name, "--", "set", "bridge", name, "datapath_type=netdev", "fail_mode=standalone");
    }

    /**
     * A node's REST port, which listens on 127.0.0.1, relayed from the management network's address: the agents
     * run in their hosts' namespaces and reach the cluster through their own management link, so cutting that link
     * cuts them off, as a partition would. Returns the relayed URL.
     */
    private String relay(String address, int port) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getByName(address));
        relays.add(server);
        Threads.startDaemon("relay-" + port, () -> {
            while (!server.isClosed()) {
                try {
                    Socket in = server.accept();
                    Socket out = new Socket("127.0.0.1", port);
                    pump(in, out);
                    pump(out, in);
                } catch (IOException e) {
                    // closed at the end, or a node that is down: the agent tries the next
                }
            }
        });
        return "http://" + address + ":" + server.getLocalPort();
    }

    private static void pump(Socket from, Socket to) {
        Threads.startDaemon("relay-pump", () -> {
            try (from; to; InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                in.transferTo(out);
            } catch (IOException e) {
                // either end closed: both go
            }
        });
    }

    /**
     * Starts {@code flowkeeper agent --gateway} on a gateway host (again, after {@link #killHost}), with the notify
     * hook and state directory described above.
     */
    public void startAgent(OvsHost host) throws IOException, InterruptedException {
        Path hook = dir.resolve("hook-" + host.name() + ".sh");
        if (!Files.exists(hook)) {
            Files.writeString(hook, "#!/bin/sh\necho \"$1 $2\" >> " + hooksFile(host) + "\n");
            Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwx------"));
        }
        List<String> args = new ArrayList<>(AgentProcess.clusterArguments(lab.cluster(), host));
        int api = 0;
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).equals("--api")) {
                args.set(i + 1, apiUrls.get(api++));
            }
        }
        args.addAll(List.of("--bridge-mapping", "extnet:br-ex", "--gateway", "--state-dir",
                dir.resolve("state-" + host.name()).toString(), "--notify-active", hook.toString(),
                "--notify-standby", hook.toString(), "--notify-fault", hook.toString(), "--notify-timeout-ms",
                "2000"));
        AgentProcess previous = agents.put(host.name(), new AgentProcess("128m", args, host.netns()));
        if (previous != null) {
            previous.close(); // killed already (killHost): this only reaps it
        }
    }

    /** A gateway host's death: kill -9 of its agent and of its {@code ovs-vswitchd} (the datapath goes with it). */
    public void killHost(OvsHost host) throws InterruptedException {
        agent(host).kill();
        host.killVswitchd();
    }

    /** Brings a host killed by {@link #killHost} back: {@code ovs-vswitchd}, then its agent. */
    public void restoreHost(OvsHost host) throws IOException, InterruptedException {
        host.startVswitchdAgain();
        startAgent(host);
    }

    /**
     * A gateway host's death with no EOF to tell: every link of its namespace (management {@code mgmt0}, underlay
     * {@code ul0}, external {@code ext0}) down at once, its processes left running, as after a power cut seen from
     * outside. Its switch's connections only time out.
     */
    public void cutHost(OvsHost host) {
        setLinks(host, false);
    }

    /** Brings a host cut by {@link #cutHost} back: its links up (its agent renews again, as standby). */
    public void reconnectHost(OvsHost host) {
        setLinks(host, true);
    }

    /** Sets every link of a gateway host up or down: management, underlay and external, in one shell. */
    public static void setLinks(OvsHost host, boolean up) {
        String ip = "ip -n " + host.netns() + " link set ";
        String state = up ? " up" : " down";
        Cmd.run("sh", "-c", ip + "mgmt0" + state + " && " + ip + "ul0" + state + " && " + ip + "ext0" + state);
    }

    /** {@code bfd_status:state} of {@code host}'s agent tunnel to {@code peer} ("" before OVS reports one). */
    public static String bfdState(OvsHost host, OvsHost peer) {
        try {
            return host.vsctl("get", "interface", Host.tunnelPortName(peer.underlayIp()), "bfd_status:state").strip()
                    .replace("\"", "");
        } catch (RuntimeException noneYet) {
            return "";
        }
    }

    /** Waits until BFD is up at both ends of the tunnel between the two gateway hosts. */
    public void awaitGatewayBfdUp() throws InterruptedException {
        awaitTrue(() -> bfdState(gw1, gw2).equals("up") && bfdState(gw2, gw1).equals("up"),
                "BFD up between gw1 and gw2");
    }

    /**
     * Gives the tenant VM its address statically (DHCP is RouterTest's), its route to the router, VXLAN's MTU and
     * TX checksums off for TCP, and waits until it reaches the upstream router through SNAT.
     */
    public void addressVm() throws Exception {
        awaitTrue(() -> portActive(vm.portId()), "the VM's port ACTIVE");
        vm.vm().exec("ip", "addr", "add", vm.ip() + "/24", "dev", "eth0");
        vm.vm().exec("ip", "link", "set", "eth0", "mtu", "1450");
        vm.vm().exec("ip", "route", "replace", "default", "via", "10.9.0.1");
        vm.vm().exec("ethtool", "-K", "eth0", "tx", "off");
        if (!vm.vm().reachable(UPSTREAM_IP, LONG)) {
            throw new IllegalStateException("the VM does not reach " + UPSTREAM_IP + " through SNAT");
        }
    }

    /** Creates a floating IP on the external network for the VM and waits until the outside reaches it by it. */
    public String associateFloatingIp() throws Exception {
        RestClient.Response r = api().post("/v2.0/floatingips", "{\"floatingip\": {\"floating_network_id\": \""
                + network + "\", \"project_id\": \"p\", \"port_id\": \"" + vm.portId() + "\"}}");
        if (r.status() != 201) {
            throw new IllegalStateException("POST /v2.0/floatingips: " + r.status() + " " + r.body());
        }
        floatingIp = r.body().path("floatingip").path("floating_ip_address").asText();
        if (!outside.reachable(floatingIp, LONG)) {
            throw new IllegalStateException("the outside does not reach floating IP " + floatingIp);
        }
        return floatingIp;
    }

    private boolean portActive(String port) {
        try {
            return lab.portStatus(port).equals("ACTIVE");
        } catch (Exception e) {
            return false;
        }
    }

    /** The router's gateway document ({@code GET /v1/network/gateways/{router}}: active, generation, hosts...). */
    public JsonNode gateway() throws Exception {
        return api().get("/v1/network/gateways/" + router).body();
    }

    /** The active gateway host's name, as the cluster says ("" while none). */
    public String active() throws Exception {
        return gateway().path("active").asText();
    }

    /** Waits until the cluster names {@code host} the active gateway host. */
    public void awaitActive(OvsHost host) throws InterruptedException {
        awaitTrue(() -> {
            try {
                return host.name().equals(active());
            } catch (Exception e) {
                return false;
            }
        }, host.name() + " active");
    }

    /** Waits until the agent on {@code host} has written {@code state} ({@code active}, {@code standby}, ...). */
    public void awaitState(OvsHost host, String state) throws InterruptedException {
        awaitTrue(() -> state.equals(state(host)), host.name() + " " + state);
    }

    /** The state file the agent on {@code host} keeps for the router, as Neutron's L3 agent does; null if none. */
    public String state(OvsHost host) {
        Path f = dir.resolve("state-" + host.name()).resolve("ha_confs").resolve(router).resolve("state");
        try {
            return Files.exists(f) ? Files.readString(f) : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** What the notify hooks on {@code host} recorded so far, one "ROUTER STATE" line per run. */
    public String hooks(OvsHost host) throws IOException {
        Path f = hooksFile(host);
        return Files.exists(f) ? Files.readString(f) : "";
    }

    private Path hooksFile(OvsHost host) {
        return dir.resolve("hooks-" + host.name() + ".log");
    }

    /** Whether {@code host}'s br-ex holds the router's ARP responder ({@code false} when its switch is down). */
    public boolean answers(OvsHost host) {
        Cmd.Result r = Cmd.exec(List.of("ovs-ofctl", "dump-flows", "unix:" + host.managementSocket("br-ex"),
                "arp,arp_tpa=" + externalIp), Map.of(), Duration.ofSeconds(5));
        return r.exitCode() == 0 && r.stdout().contains("arp_tpa=" + externalIp);
    }

    /** Polls {@code condition} every 20 ms until it holds; {@link #LONG} without it throws, naming {@code what}. */
    public static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + LONG.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no " + what + " within " + LONG.toSeconds() + " s");
            }
            Thread.sleep(20);
        }
    }

    public TenantLab lab() {
        return lab;
    }

    public RestClient api() {
        return lab.api();
    }

    /** The gateway hosts, gw1 (placed first) and gw2. */
    public List<OvsHost> gateways() {
        return List.of(gw1, gw2);
    }

    /** The gateway host named {@code name}. */
    public OvsHost gateway(String name) {
        return gateways().stream().filter(h -> h.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no gateway host " + name));
    }

    /** The external host, whose {@code br-phys} is the provider network's switch. */
    public OvsHost external() {
        return ext;
    }

    /** The upstream router on the external network (172.24.4.1). */
    public Vm outside() {
        return outside;
    }

    public AgentProcess agent(OvsHost host) {
        return agents.get(host.name());
    }

    public String router() {
        return router;
    }

    public String network() {
        return network;
    }

    /** The router's address on the external network. */
    public String externalIp() {
        return externalIp;
    }

    /** The VM behind the router (10.9.0.10 on h1). */
    public TenantLab.Plugged vm() {
        return vm;
    }

    /** The floating IP of {@link #associateFloatingIp}, null before. */
    public String floatingIp() {
        return floatingIp;
    }

    /** The lab's own files: hooks, their logs, the agents' state directories. */
    public Path dir() {
        return dir;
    }

    @Override
    public void close() throws IOException {
        try {
            for (ServerSocket s : relays) {
                s.close();
            }
            for (AgentProcess a : agents.values()) {
                try {
                    a.close();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        } finally {
            try {
                lab.close();
            } finally {
                if (dir != null) {
                    Cmd.run("rm", "-rf", dir.toString());
                }
            }
        }
    }
}
