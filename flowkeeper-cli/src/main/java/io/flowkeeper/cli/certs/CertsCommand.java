package io.flowkeeper.cli.certs;

import io.flowkeeper.cli.UserException;
import io.flowkeeper.controller.pki.LabPki;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flowkeeper certs init DIR --nodes n1,n2,n3 --hosts h1,h2}: a lab CA and its certificates. */
@Command(name = "certs", mixinStandardHelpOptions = true,
        description = "Certificates for TLS on every channel (REST, Raft, node-to-node, OpenFlow).",
        subcommands = {CertsCommand.Init.class})
public final class CertsCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = {"Create a lab CA in DIR (or reuse the one there) and issue the missing node and host"
                    + " certificates: PEM, keys 0600. A node's YAML then needs one setting:",
                "  tls: {ca: DIR/ca.pem, cert: DIR/nodes/N.pem, key: DIR/nodes/N.key}",
                "and each host: ovs-vsctl set-ssl DIR/hosts/H.key DIR/hosts/H.pem DIR/ca.pem, its bridge's"
                        + " datapath id one of DIR/hosts/H.dpid, and ssl: controller targets."})
    static final class Init implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "DIR", description = "where the CA and the certificates go")
        Path dir;

        @Option(names = "--nodes", split = ",", paramLabel = "ID",
                description = "controller node ids (as node-id in their YAML)")
        List<String> nodes = new ArrayList<>();

        @Option(names = "--hosts", split = ",", paramLabel = "NAME[=DPID[+DPID...]]",
                description = "hosts and the datapath ids (hex) their switches may claim; without ids, one is"
                        + " derived from the name")
        List<String> hosts = new ArrayList<>();

        @Option(names = "--address", paramLabel = "ID=ADDR[,ADDR...]",
                description = "extra addresses (IP or DNS) a node's certificate names, as other nodes and clients"
                        + " dial it (127.0.0.1, ::1, localhost and the id are always named); repeatable")
        Map<String, String> addresses = new LinkedHashMap<>();

        @Option(names = "--days", defaultValue = "825", description = "validity of node and host certificates"
                + " (the CA: twice this; default ${DEFAULT-VALUE})")
        int days;

        @Override
        public Integer call() throws Exception {
            if (nodes.isEmpty() && hosts.isEmpty()) {
                throw new UserException("nothing to issue: give --nodes and/or --hosts");
            }
            for (String id : addresses.keySet()) {
                if (!nodes.contains(id)) {
                    throw new UserException("--address " + id + "=...: " + id + " is not among --nodes");
                }
            }
            List<LabPki.NodeSpec> nodeSpecs = new ArrayList<>();
            List<LabPki.HostSpec> hostSpecs = new ArrayList<>();
            try {
                for (String n : nodes) {
                    String extra = addresses.get(n);
                    nodeSpecs.add(new LabPki.NodeSpec(n, extra == null ? List.of() : List.of(extra.split(","))));
                }
                for (String h : hosts) {
                    hostSpecs.add(host(h));
                }
            } catch (IllegalArgumentException e) {
                throw new UserException(e.getMessage());
            }
            LabPki pki = new LabPki(dir, Duration.ofDays(days));
            LabPki.Issued issued = pki.init(nodeSpecs, hostSpecs);
            System.out.println("CA: " + issued.ca() + " (key " + dir.resolve("ca.key")
                    + ": only needed to issue more; keep it off the nodes)");
            issued.nodes().forEach((id, cert) -> System.out.println("node " + id + ": " + cert + ", "
                    + pki.nodeKey(id)));
            issued.hosts().forEach((name, cert) -> System.out.println("host " + name + ": " + cert + ", "
                    + pki.hostKey(name) + ", datapath ids " + String.join(" ", issued.dpids().get(name).stream()
                    .map(d -> String.format("%016x", d)).toList())));
            issued.skipped().forEach(s -> System.out.println("kept (exists): " + s));
            return 0;
        }

        static LabPki.HostSpec host(String spec) {
            int eq = spec.indexOf('=');
            if (eq < 0) {
                return new LabPki.HostSpec(spec, List.of());
            }
            List<Long> dpids = new ArrayList<>();
            for (String d : spec.substring(eq + 1).split("\\+")) {
                String hex = d.strip().replaceFirst("^0[xX]", "");
                if (!hex.matches("[0-9a-fA-F]{1,16}")) {
                    throw new IllegalArgumentException("--hosts " + spec + ": '" + d + "' is not a datapath id (1-16"
                            + " hex digits)");
                }
                dpids.add(Long.parseUnsignedLong(hex, 16));
            }
            return new LabPki.HostSpec(spec.substring(0, eq), dpids);
        }
    }
}
