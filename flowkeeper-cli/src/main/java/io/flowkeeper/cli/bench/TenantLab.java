package io.flowkeeper.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.api.network.Host;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.controller.ControllerNode;
import io.flowkeeper.controller.RestClient;
import io.flowkeeper.controller.local.LocalCluster;
import io.flowkeeper.testbed.BridgeSpec;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.TestBed;
import io.flowkeeper.testbed.Vm;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A tenant network lab on real OVS, shared by the benches and tests that need VMs on several hosts: a three-node
 * cluster (two JVMs of their own, the third in this JVM, so a test can kill either of the others and still talk to
 * the API and the datastore), and test-bed hosts, each with an integration bridge {@value #BRIDGE} whose controllers
 * are the three nodes, joined to every other host by a VXLAN port under {@link Host#tunnelPortName}.
 *
 * <p>The lab plays the host agent: it writes the host documents and each VM's binding straight into the
 * {@code network-config} shard through the node in this JVM (the datastore API refuses writes there). Networks,
 * subnets, ports and routers go through the Neutron API, as a user's would. {@link #close} stops everything it
 * started, VMs and their DHCP clients included, also after a failed start.
 */
public final class TenantLab implements AutoCloseable {
    /** Every host's integration bridge. */
    public static final String BRIDGE = "br-int";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A VM and its Neutron port. */
    public record Plugged(Vm vm, String portId, String ip) {
    }

    private final TestBed bed;
    private final LocalCluster cluster;
    private final List<OvsHost> hosts = new ArrayList<>();
    private ControllerNode inProcess;
    private RestClient api;

    private TenantLab(TestBed bed, LocalCluster cluster) {
        this.bed = bed;
        this.cluster = cluster;
    }

    /**
     * Starts the cluster with {@code config} (lines of every node's configuration file) and {@code hostCount} hosts
     * named h1, h2, ..., their bridges' datapath ids {@code dpidBase}, {@code dpidBase + 1}, ... (distinct per lab,
     * so a switch left over by another run is never mistaken for one of these).
     */
    public static TenantLab start(int hostCount, long dpidBase, List<String> config) throws Exception {
        TestBed bed = TestBed.create();
        TenantLab lab = null;
        try {
            lab = new TenantLab(bed, LocalCluster.inTempDir(3, config, bed.controllerIp()));
            lab.startNodes();
            lab.addHosts(hostCount, dpidBase);
            return lab;
        } catch (Exception | Error e) {
            if (lab != null) {
                lab.close();
            } else {
                bed.close();
            }
            throw e;
        }
    }

    private void startNodes() throws Exception {
        inProcess = NetworkBench.startTwoJvmsAndOneHere(cluster);
        api = cluster.client(2); // the node in this JVM: never the one a test kills
    }

    private void addHosts(int count, long dpidBase) throws Exception {
        for (int h = 0; h < count; h++) {
            OvsHost host = bed.addHost("h" + (h + 1)).attachUnderlay();
            host.addBridge(BridgeSpec.named(BRIDGE));
            host.vsctl("set", "bridge", BRIDGE, "other-config:datapath-id=" + String.format("%016x", dpidBase + h));
            hosts.add(host);
        }
        // The agent's part: one VXLAN port per remote host, named after its tunnel address; the host documents.
        for (OvsHost host : hosts) {
            for (OvsHost remote : hosts) {
                if (remote != host) {
                    host.addTunnel(BRIDGE, Host.tunnelPortName(remote.underlayIp()), "vxlan", remote);
                }
            }
        }
        List<String> targets = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            targets.add("tcp:" + cluster.openflowAddress(i));
        }
        for (int h = 0; h < count; h++) {
            OvsHost host = hosts.get(h);
            putConfig("/neutron/hosts/" + host.name(), JSON.createObjectNode().put("name", host.name())
                    .put("tunnel_ip", host.underlayIp()).put("integration_bridge", BRIDGE)
                    .put("datapath_id", dpidBase + h).put("agent_version", "lab")
                    .put("heartbeat_millis", System.currentTimeMillis()).toString());
            host.setControllers(BRIDGE, targets.toArray(String[]::new));
        }
    }

    public TestBed bed() {
        return bed;
    }

    public LocalCluster cluster() {
        return cluster;
    }

    /** The node in this JVM (node index 2). */
    public ControllerNode inProcess() {
        return inProcess;
    }

    /** The datastore through the node in this JVM. */
    public DatastoreService store() {
        return inProcess.cluster();
    }

    /** The REST API of the node in this JVM. */
    public RestClient api() {
        return api;
    }

    public List<OvsHost> hosts() {
        return List.copyOf(hosts);
    }

    /** Host {@code i}, counted from 0 (named h{i+1}). */
    public OvsHost host(int i) {
        return hosts.get(i);
    }

    /** Writes one document of the {@code network-config} shard, as the agent's routes would. */
    public void putConfig(String path, String json) {
        if (!store().commit("network-config", Transaction.builder().put(path, json).build()).succeeded()) {
            throw new IllegalStateException("cannot write " + path);
        }
    }

    /** POSTs {@code body} to {@code /v2.0/{collection}}; the new resource's id. Anything but 201 throws. */
    public String create(String collection, String body) throws Exception {
        RestClient.Response r = api.post("/v2.0/" + collection, body);
        if (r.status() != 201) {
            throw new IllegalStateException("POST /v2.0/" + collection + ": " + r.status() + " " + r.body());
        }
        return r.body().elements().next().path("id").asText();
    }

    /**
     * A VM without an address on {@code host}, its port created through the API with its MAC and fixed address
     * ({@code extraPortJson}: more of the port's fields, each starting with a comma, or empty), and its binding.
     */
    public Plugged plug(OvsHost host, String name, String network, String subnet, String project, String mac,
                        String ip, String extraPortJson) throws Exception {
        Vm vm = host.addVm(name, BRIDGE, mac, null);
        String port = create("ports", "{\"port\": {\"network_id\": \"" + network + "\", \"project_id\": \"" + project
                + "\", \"mac_address\": \"" + mac + "\", \"fixed_ips\": [{\"subnet_id\": \"" + subnet
                + "\", \"ip_address\": \"" + ip + "\"}], \"binding:host_id\": \"" + host.name() + "\""
                + extraPortJson + "}}");
        putConfig("/neutron/bindings/" + port, JSON.createObjectNode().put("port_id", port).put("host", host.name())
                .put("ofport", vm.ofport()).put("attached_mac", mac).put("state", "PLUGGED").toString());
        return new Plugged(vm, port, ip);
    }

    /** The port's {@code status} as the API shows it. */
    public String portStatus(String portId) throws Exception {
        return api.get("/v2.0/ports/" + portId).body().path("port").path("status").asText();
    }

    /** Adds each subnet to the router as an interface; anything but 200 throws. */
    public void addRouterInterfaces(String router, String... subnets) throws Exception {
        for (String s : subnets) {
            RestClient.Response r = api.put("/v2.0/routers/" + router + "/add_router_interface",
                    "{\"subnet_id\": \"" + s + "\"}");
            if (r.status() != 200) {
                throw new IllegalStateException("add_router_interface " + s + ": " + r.status() + " " + r.body());
            }
        }
    }

    /** The value of {@code option NAME ...;} in a dhclient lease, or null. */
    public static String leaseOption(String lease, String name) {
        Matcher m = Pattern.compile("option " + Pattern.quote(name) + " ([^;]*);").matcher(lease);
        return m.find() ? m.group(1) : null;
    }

    /**
     * Asks for the VM's address with the real {@code dhclient}, then does what a guest's full DHCP client script
     * would and the test bed's does not: the lease's router as the default route, and the lease's MTU (VXLAN's
     * overhead, so full-size TCP segments fit the underlay). TX checksum offload goes off, as TCP through the
     * userspace datapath needs. The lease.
     */
    public static String configureFromDhcp(Vm vm, Duration timeout) {
        String lease = vm.dhclient(timeout);
        String router = leaseOption(lease, "routers");
        if (router == null) {
            throw new IllegalStateException("no router in " + vm + "'s lease: " + lease);
        }
        vm.exec("ip", "route", "replace", "default", "via", router);
        vm.exec("ethtool", "-K", "eth0", "tx", "off");
        String mtu = leaseOption(lease, "interface-mtu");
        if (mtu != null) {
            vm.exec("ip", "link", "set", "eth0", "mtu", mtu);
        }
        return lease;
    }

    @Override
    public void close() throws IOException {
        try {
            if (inProcess != null) {
                inProcess.close();
            }
        } finally {
            try {
                cluster.close();
            } finally {
                bed.close(); // and with the VMs' namespaces, their DHCP clients
            }
        }
    }
}
