package io.flowkeeper.cli.bench;

import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.PingMonitor;
import io.flowkeeper.testbed.PingResult;
import io.flowkeeper.testbed.Vm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * HA gateway failover against real keepalived, in the same run. Flowkeeper: {@link GatewayLab} (3 controller JVMs,
 * two gateway hosts with real agents, a VM behind a router with a floating IP); each failover kills the active
 * gateway host under a 10 ms ping from the external network to the floating IP, in one of two ways ({@link Death}:
 * kill -9 of its agent and {@code ovs-vswitchd}, which the controllers see as EOF; or every link of the host down,
 * which nothing sees but timeouts and BFD), and the host returns (as standby: nopreempt) before the next. keepalived: {@link KeepalivedPair} on the same
 * external host's OVS, each failover killing -9 the master's keepalived and taking its link down, once with
 * Neutron's settings and once with a sub-second advert interval. The table shows the longest ping gap per
 * failover (p50, p99, max), pings lost, transitions nobody caused, and Flowkeeper's gaps over each keepalived's.
 */
@Command(name = "gateway", mixinStandardHelpOptions = true,
        description = {"HA gateway failover under a 10 ms ping from outside, against real keepalived in the same run.",
            "Flowkeeper (3 controller JVMs, 2 gateway hosts, a VM with a floating IP): kill -9 of the active",
            "gateway host's agent and ovs-vswitchd, and/or every link of it down (--death). keepalived: two",
            "namespaces moving a VIP, kill -9 of",
            "the master and its link down, with Neutron's advert_int 2 and with --fast-advert-int.",
            "Prints p50/p99/max of the longest ping gap per failover and Flowkeeper's ratio to each."})
public final class GatewayBench implements Callable<Integer> {
    /** The target for Flowkeeper's p99 gap. */
    static final double TARGET_P99_MS = 500;
    private static final Duration PING_INTERVAL = Duration.ofMillis(10);

    @Spec
    CommandSpec spec;

    @Option(names = "--small", description = "CI size: 2 failovers per system.")
    boolean small;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Option(names = "--failovers", paramLabel = "N", description = "Failovers per system (default: 20, or 2 with --small).")
    Integer failoversOption;

    @Option(names = "--death", paramLabel = "KILL,LINKS", split = ",",
            description = "How Flowkeeper's active host dies, one row each: kill (kill -9 of its agent and "
                    + "ovs-vswitchd), links (every link down). Default: kill,links; links with --small.")
    List<String> deaths;

    @Option(names = "--fast-advert-int", paramLabel = "SECONDS", description = "keepalived's advert_int in seconds for the fast baseline, "
            + "VRRPv3 (default: ${DEFAULT-VALUE}).")
    String fastAdvertInt = "0.1";

    /** How Flowkeeper's active gateway host dies. */
    enum Death {
        KILL("kill -9 of agent and ovs-vswitchd"),
        LINKS("every link down");

        final String text;

        Death(String text) {
            this.text = text;
        }
    }

    /** What one system's failovers measured. */
    record Result(String system, List<Double> gapsMs, int lost, int sent, int spurious, String load) {
        double gap(double q) {
            return BenchReport.quantile(gapsMs, q);
        }
    }

    @Override
    public Integer call() throws Exception {
        int failovers = failoversOption != null ? failoversOption : small ? 2 : 20;
        if (failovers < 1) {
            throw new ParameterException(spec.commandLine(), "--failovers must be at least 1");
        }
        double advert;
        try {
            advert = Double.parseDouble(fastAdvertInt);
        } catch (NumberFormatException e) {
            advert = -1;
        }
        if (!(advert >= 0.01 && advert <= 255)) {
            throw new ParameterException(spec.commandLine(), "--fast-advert-int must be seconds from 0.01 to 255 "
                    + "(VRRPv3 counts centiseconds), got " + fastAdvertInt);
        }
        BenchReport report = new BenchReport("HA gateway failover: longest gap of a 10 ms ping from outside, "
                + failovers + " kills of the active host per system", "system", "failovers", "gap p50 ms",
                "gap p99 ms", "gap max ms", "pings lost", "spurious transitions", "flowkeeper/this p50",
                "flowkeeper/this p99", "load", "target", "met");
        report.environment("load_average_at_start", BenchReport.loadAverage());
        List<Death> ways = new ArrayList<>();
        for (String d : deaths != null ? deaths : small ? List.of("links") : List.of("kill", "links")) {
            Death way = switch (d.strip()) {
                case "kill" -> Death.KILL;
                case "links" -> Death.LINKS;
                default -> throw new ParameterException(spec.commandLine(), "--death takes kill and/or links, got '"
                        + d + "'");
            };
            if (!ways.contains(way)) {
                ways.add(way);
            }
        }
        List<Result> results = run(failovers, ways, KeepalivedPair.Setting.fast(fastAdvertInt));
        // keepalived's host death is its process killed and its link down: the like-for-like row is "links"
        Result flowkeeper = results.get(ways.indexOf(Death.LINKS) >= 0 ? ways.indexOf(Death.LINKS) : 0);
        for (Result r : results) {
            boolean self = r.system().startsWith("flowkeeper");
            report.row(r.system(), r.gapsMs().size(), round(r.gap(0.5)), round(r.gap(0.99)), round(r.gap(1.0)),
                    r.lost() + " of " + r.sent(), r.spurious(),
                    self ? null : round(flowkeeper.gap(0.5) / r.gap(0.5)),
                    self ? null : round(flowkeeper.gap(0.99) / r.gap(0.99)), r.load(),
                    self ? "p99 < " + (int) TARGET_P99_MS + " ms" : null,
                    self ? r.gap(0.99) < TARGET_P99_MS : null);
        }
        report.note("gap: the longest time between two consecutive echo replies around one failover (ping -i 0.01"
                + " from the external network: Flowkeeper's to the floating IP of a VM behind the router, keepalived's"
                + " to its VIP); nearest-rank quantiles over the failovers");
        report.note("Flowkeeper's host death: kill -9 of the active gateway host's agent and ovs-vswitchd (its"
                + " userspace datapath: the controllers see EOF), or every link of the host down at once (management,"
                + " underlay, external: only timeouts and BFD tell); keepalived's: kill -9 of the master's keepalived"
                + " and its link down, back to back (kill -9 alone leaves the VIP answered by the kernel). Each host"
                + " returns before the next kill, as standby/BACKUP (nopreempt), so the active alternates."
                + " flowkeeper/this compares the 'every link down' row when there is one");
        report.note("keepalived configured as Neutron's template (state BACKUP, priority 50, nopreempt,"
                + " garp_master_delay 60, track_interface), no max_auto_priority (Neutron sets none); spurious"
                + " transitions: MASTER entries (keepalived) or generations (Flowkeeper) beyond one per kill");
        report.environment("load_average_at_end", BenchReport.loadAverage());
        report.print(System.out, json);
        return 0;
    }

    private List<Result> run(int failovers, List<Death> ways, KeepalivedPair.Setting fast) throws Exception {
        progress("starting the gateway lab: 3 controller nodes (2 JVMs, 1 in this one), h1, gw1, gw2, ext");
        List<Result> results = new ArrayList<>();
        try (GatewayLab lab = GatewayLab.start(0x6b1)) {
            progress("lab up: " + lab.active() + " active; addressing the VM, SNAT to " + GatewayLab.UPSTREAM_IP);
            lab.addressVm();
            String fip = lab.associateFloatingIp();
            progress("floating IP " + fip + " answers from outside; " + lab.active() + " active");
            for (Death death : ways) {
                results.add(flowkeeper(lab, fip, failovers, death));
            }
            try (KeepalivedPair pair = KeepalivedPair.create(lab.external(), lab.dir().resolve("keepalived"))) {
                for (KeepalivedPair.Setting s : List.of(KeepalivedPair.Setting.neutron(), fast)) {
                    results.add(keepalived(pair, s, failovers));
                }
            }
        }
        return results;
    }

    private static Result flowkeeper(GatewayLab lab, String fip, int failovers, Death death) throws Exception {
        List<Double> gaps = new ArrayList<>();
        int lost = 0;
        int sent = 0;
        long generation = lab.gateway().path("generation").asLong();
        for (int k = 1; k <= failovers; k++) {
            OvsHost victim = lab.gateway(lab.active());
            OvsHost survivor = lab.gateways().stream().filter(h -> h != victim).findFirst().orElseThrow();
            if (death == Death.LINKS) {
                lab.awaitGatewayBfdUp(); // a cut before BFD is up would be seen as down from the start
            }
            PingResult r = underPing(lab.outside(), fip, () -> {
                if (death == Death.KILL) {
                    lab.killHost(victim);
                } else {
                    lab.cutHost(victim);
                }
            }, () -> {
                try {
                    return survivor.name().equals(lab.active());
                } catch (Exception e) {
                    return false; // the node is busy: asked again in 20 ms
                }
            });
            gaps.add(r.longestGap().toNanos() / 1e6);
            lost += r.lost();
            sent += r.sent();
            progress("flowkeeper (" + death.text + ") failover " + k + "/" + failovers + " " + victim.name() + " -> "
                    + survivor.name()
                    + ": longest gap " + r.longestGap().toMillis() + " ms, " + r.lost() + " of " + r.sent()
                    + " lost, load " + BenchReport.loadAverage());
            // back as standby, the last one too: the next row starts with both hosts up
            if (death == Death.KILL) {
                lab.restoreHost(victim);
            } else {
                lab.reconnectHost(victim);
            }
            lab.awaitState(victim, "standby");
        }
        int spurious = (int) (lab.gateway().path("generation").asLong() - generation - failovers);
        return new Result("flowkeeper (" + death.text + ")", gaps, lost, sent, spurious, BenchReport.loadAverage());
    }

    private static Result keepalived(KeepalivedPair pair, KeepalivedPair.Setting s, int failovers)
            throws Exception {
        progress("starting " + s.name());
        pair.start(s);
        List<Double> gaps = new ArrayList<>();
        int lost = 0;
        int sent = 0;
        for (int k = 1; k <= failovers; k++) {
            int victim = pair.master();
            if (victim != 0 && victim != 1) {
                throw new IllegalStateException("keepalived: " + (victim < 0 ? "no" : "two") + " masters before"
                        + " failover " + k);
            }
            int survivor = 1 - victim;
            PingResult r;
            try {
                // the survivor holds the VIP: the victim's copy sits behind its downed link
                r = underPing(pair.pinger(), KeepalivedPair.VIP, () -> pair.killHost(victim),
                        () -> pair.holds(survivor));
            } catch (IllegalStateException e) {
                throw new IllegalStateException(s.name() + ", failover " + k + ": " + e.getMessage()
                        + pair.logTails(), e);
            }
            gaps.add(r.longestGap().toNanos() / 1e6);
            lost += r.lost();
            sent += r.sent();
            progress(s.name() + " failover " + k + "/" + failovers + " ka" + (victim + 1) + " -> ka"
                    + (survivor + 1) + ": longest gap " + r.longestGap().toMillis() + " ms, " + r.lost() + " of "
                    + r.sent() + " lost, load " + BenchReport.loadAverage());
            if (k < failovers) {
                pair.restoreHost(victim);
            }
        }
        // one MASTER entry at the start, one per kill
        int spurious = pair.masterEntries() - 1 - failovers;
        pair.stop();
        return new Result(s.name(), gaps, lost, sent, spurious, BenchReport.loadAverage());
    }

    /** A step that may throw (a kill). */
    interface Step {
        void run() throws Exception;
    }

    /**
     * One failover under a 10 ms ping: replies flowing, then {@code kill}, then {@code tookOver} (the other side
     * names itself active), then 20 more replies; what the ping saw from its start to then.
     */
    static PingResult underPing(Vm pinger, String target, Step kill, BooleanSupplier tookOver) throws Exception {
        PingMonitor ping = pinger.startPing(target, PING_INTERVAL);
        try {
            GatewayLab.awaitTrue(() -> ping.receivedSoFar() > 20, "replies from " + target);
            kill.run();
            GatewayLab.awaitTrue(tookOver, "takeover");
            int before = ping.receivedSoFar();
            GatewayLab.awaitTrue(() -> ping.receivedSoFar() > before + 20, "replies from " + target + " again");
            return ping.stop();
        } finally {
            ping.abort();
        }
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    /** Progress with the seconds since the JVM started, so a run shows where its time went. */
    private static void progress(String what) {
        System.err.printf("bench gateway [+%.0f s]: %s%n",
                java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0, what);
    }
}
