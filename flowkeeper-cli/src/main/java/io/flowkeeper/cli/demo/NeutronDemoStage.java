package io.flowkeeper.cli.demo;

import io.flowkeeper.controller.local.LocalCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Virtual networks through the OpenStack API: the unmodified {@code openstack} client (Debian's
 * python3-openstackclient) logs in to one node's Keystone v3 and creates a network, a subnet and a port, each
 * through a different node of a 3-node cluster; then {@code flowkeeper ports list} shows the port.
 */
final class NeutronDemoStage implements DemoStage {
    private static final String OPENSTACK = "/usr/bin/openstack";

    @Override
    public String title() {
        return "Virtual networks: the openstack client against any node (Neutron v2.0, Keystone v3)";
    }

    @Override
    public void run(DemoContext ctx) throws Exception {
        if (!Files.isExecutable(Path.of(OPENSTACK))) {
            throw new IllegalStateException(OPENSTACK + " not found: apt-get install -y python3-openstackclient"
                    + " (./quickstart demo installs it)");
        }
        Path dir = Files.createTempDirectory("flowkeeper-demo-neutron-");
        String password = "demo-" + Long.toHexString(System.nanoTime());
        Files.writeString(dir.resolve("admin.password"), password);
        try (LocalCluster cluster = new LocalCluster(3, dir, List.of("identity:",
                "  admin-password-file: " + dir.resolve("admin.password"),
                "network:",
                "  vxlan-vni-ranges: [\"1000:1999\"]"), true)) {
            cluster.startAll();
            cluster.awaitAllReady(120_000);
            ctx.event("3 controller JVMs up, each serving Neutron v2.0 and Keystone v3 on its REST port");
            String network = openstack(ctx, cluster, 0, password, "network", "create", "demo-net",
                    "-c", "id", "-c", "name", "-c", "provider:network_type", "-c", "provider:segmentation_id",
                    "-c", "mtu", "-c", "status");
            String subnet = openstack(ctx, cluster, 1, password, "subnet", "create", "demo-subnet",
                    "--network", "demo-net", "--subnet-range", "10.10.0.0/24",
                    "--dns-nameserver", "10.10.0.53", "-c", "id", "-c", "cidr", "-c", "gateway_ip",
                    "-c", "allocation_pools", "-c", "network_id");
            String port = openstack(ctx, cluster, 2, password, "port", "create", "vm1-port", "--network", "demo-net",
                    "-c", "id", "-c", "mac_address", "-c", "fixed_ips", "-c", "status");
            ctx.event("openstack network, subnet and port create answered through n1, n2 and n3 in turn ("
                    + firstId(network) + ", " + firstId(subnet) + ", " + firstId(port) + ")");
            ctx.say("$ flowkeeper ports list --network <demo-net>   (any node, the node's API token)");
            int code = io.flowkeeper.cli.Main.run("ports", "list", "--url", cluster.restUrl(0), "--token",
                    LocalCluster.TOKEN, "--network", firstId(network));
            if (code != 0) {
                throw new IllegalStateException("flowkeeper ports list exited " + code);
            }
        }
    }

    /**
     * Runs {@code openstack ARGS} logged in (Keystone v3 password) at node {@code node}, prints the command and its
     * table, and returns the table. The Neutron endpoint comes from that node's service catalog.
     */
    private static String openstack(DemoContext ctx, LocalCluster cluster, int node, String password, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(OPENSTACK));
        command.addAll(List.of(args));
        ctx.say("$ openstack " + String.join(" ", List.of(args).subList(0, commandWords(args))) + "   (OS_AUTH_URL "
                + cluster.restUrl(node) + "/identity/v3)");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("OS_"));
        env.putAll(Map.of("OS_AUTH_URL", cluster.restUrl(node) + "/identity/v3", "OS_USERNAME", "admin",
                "OS_PASSWORD", password, "OS_PROJECT_NAME", "admin", "OS_USER_DOMAIN_NAME", "Default",
                "OS_PROJECT_DOMAIN_NAME", "Default", "OS_IDENTITY_API_VERSION", "3", "OS_REGION_NAME", "RegionOne"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("openstack " + args[0] + " " + args[1] + " did not finish in 60 s");
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("openstack " + args[0] + " " + args[1] + " failed: " + out.strip());
        }
        out.lines().forEach(line -> ctx.say("  " + line));
        return out;
    }

    /** The words of the command before its first column option ("-c"), for the echoed command line. */
    private static int commandWords(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("-c")) {
                return i;
            }
        }
        return args.length;
    }

    /** The value of the "id" row of an openstack show table ("| id | 4e8e... |"). */
    private static String firstId(String table) {
        for (String line : table.lines().toList()) {
            String[] cells = line.split("\\|");
            if (cells.length >= 3 && cells[1].strip().equals("id")) {
                return cells[2].strip();
            }
        }
        throw new IllegalStateException("no id in the openstack output: " + table);
    }
}
