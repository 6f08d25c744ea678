package io.flowkeeper.cli.bench;

import io.flowkeeper.controller.local.LocalCluster;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.PingMonitor;
import io.flowkeeper.testbed.PingResult;
import io.flowkeeper.testbed.Vm;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A host's reboot as its boot script does it, observed end to end: kill -9 of {@code ovs-vswitchd}, something done
 * while it is down, {@code flow-restore-wait} set, {@code ovs-vswitchd} started again; meanwhile a VM pings another
 * address. Collects, timed from the start of {@code ovs-vswitchd}: the agent's restore and release (its status
 * lines), the ping, and the switch master's role and reconcile (the nodes' log lines). The demo prints it and
 * {@code bench network} reports it; both read the same facts this way.
 */
public final class HostReboot {
    /** Node log lines about one switch (time, datapath id, then the event's fields), as SwitchMaster writes them. */
    private static final String LOGGED_FOR_SWITCH = "^(\\d\\d:\\d\\d:\\d\\d\\.\\d{3}) .*switch (\\p{XDigit}{16}): ";
    /** Groups: 3 the desired flow count, 4 the plan ("already in sync" or the counts of each kind of change). */
    private static final Pattern RECONCILED = Pattern.compile(LOGGED_FOR_SWITCH
            + "reconciled to (\\d+) desired flows at revision \\d+ \\(([^;]*);");
    /** Groups: 3 the node, 4 the generation. */
    private static final Pattern MASTER = Pattern.compile(LOGGED_FOR_SWITCH
            + "MASTER on node (\\S+) at generation (\\d+)");
    /**
     * The end of the master's wait for the host agent's restore of a switch that connected empty. Groups: 3 the
     * milliseconds it waited until the agent restored the flows (absent when the agent restored nothing in time).
     */
    private static final Pattern AGENT_RESTORE_AWAITED = Pattern.compile(LOGGED_FOR_SWITCH
            + "its host agent restored (?:its flows after (\\d+) ms of waiting|nothing within)");
    /** The plan's counts, as {@code ReconcilePlan} prints them. */
    private static final Pattern PLAN = Pattern.compile(
            "(\\d+) to add, (\\d+) to modify, (\\d+) to replace, (\\d+) to delete");

    private HostReboot() {
    }

    /** A node's log line that matched, and when it was written (the log's wall clock, this machine's). */
    public record LogLine(Matcher match, LocalTime at) {
        public long millisAfter(LocalTime t) {
            return Duration.between(t, at).toMillis();
        }
    }

    /**
     * What was seen.
     *
     * @param start when {@code ovs-vswitchd} was started again (after what ran while it was down)
     * @param flowsBefore the bridge's flow count before the kill
     * @param agent the agent's first {@code restored} and {@code released} status lines
     * @param laterAgentLines the agent's other status lines until the ping ended (a second restore, journaling)
     * @param master the first node line saying it is the switch's MASTER after the start
     * @param reconciled the first node line saying it reconciled the switch after the start
     * @param restoreAwaited the first node line saying how its wait for the agent's restore ended (none: it found
     *     the switch holding flows, or its host not restoring, and did not wait)
     */
    public record Result(Instant start, LocalTime startClock, int flowsBefore, Map<String, AgentProcess.Event> agent,
                         List<AgentProcess.Event> laterAgentLines, PingResult ping, Optional<LogLine> master,
                         Optional<LogLine> reconciled, Optional<LogLine> restoreAwaited) {
        public AgentProcess.Event restored() {
            return agent.get("restored");
        }

        public AgentProcess.Event released() {
            return agent.get("released");
        }

        public long since(Instant t) {
            return Duration.between(start, t).toMillis();
        }

        public Optional<Instant> firstReply() {
            return ping.firstReplyAfter(start);
        }

        /** Echo requests lost once the host forwarded again (the outage itself is not counted). */
        public List<Integer> lostAfterResuming() {
            return ping.lostAfterFirstReplyAfter(start);
        }

        /** Whether the master's reconcile found the restored table equal to the desired flows. */
        public boolean inSync() {
            return reconciled.map(r -> r.match().group(4).equals("already in sync")).orElse(false);
        }

        /** The reconcile's changes: add, modify, replace, delete (all 0 when in sync; empty if not logged). */
        public Optional<int[]> changes() {
            if (reconciled.isEmpty()) {
                return Optional.empty();
            }
            if (inSync()) {
                return Optional.of(new int[4]);
            }
            Matcher m = PLAN.matcher(reconciled.get().match().group(4));
            return m.find() ? Optional.of(new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                    Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4))}) : Optional.empty();
        }
    }

    /**
     * Reboots {@code host}'s {@code ovs-vswitchd} under a ping from {@code pinger} to {@code target} every
     * {@code interval}, running {@code whileDown} between the kill and the start, and waits for the agent's restore
     * and release and a node's reconcile of the switch, then runs {@code afterReconcile} (e.g. waits for more
     * changes) before the ping ends.
     */
    public static Result run(LocalCluster cluster, OvsHost host, String bridge, AgentProcess agent, Vm pinger,
                             String target, Duration interval, Runnable whileDown, Duration wait,
                             Runnable afterReconcile) throws Exception {
        String dpid = host.vsctl("get", "bridge", bridge, "datapath_id").strip().replace("\"", "");
        int flows = host.flowCount(bridge);
        Map<Integer, Long> logOffsets = new HashMap<>();
        for (int i = 0; i < cluster.size(); i++) {
            if (Files.exists(cluster.logFile(i))) { // a node running in this JVM has no log file of its own
                logOffsets.put(i, Files.size(cluster.logFile(i)));
            }
        }
        PingMonitor ping = pinger.startPing(target, interval);
        PingResult result;
        Instant start;
        LocalTime startClock;
        Map<String, AgentProcess.Event> agentEvents;
        try {
            Thread.sleep(500);
            agent.clearEvents();
            host.killVswitchd();
            whileDown.run();
            host.setFlowRestoreWait(true);
            startClock = LocalTime.now();
            start = Instant.now();
            host.startVswitchdAgain();
            agentEvents = agent.awaitKinds(wait, "restored", "released");
            awaitLogLine(cluster, logOffsets, RECONCILED, dpid, startClock, wait);
            afterReconcile.run();
            Thread.sleep(500);
        } finally {
            result = ping.stop();
        }
        return new Result(start, startClock, flows, agentEvents, agent.drainEvents(), result,
                firstLogLine(cluster, logOffsets, MASTER, dpid, startClock),
                firstLogLine(cluster, logOffsets, RECONCILED, dpid, startClock),
                firstLogLine(cluster, logOffsets, AGENT_RESTORE_AWAITED, dpid, startClock));
    }

    private static void awaitLogLine(LocalCluster cluster, Map<Integer, Long> offsets, Pattern pattern, String dpid,
                                     LocalTime notBefore, Duration wait) throws Exception {
        long deadline = System.nanoTime() + wait.toNanos();
        while (firstLogLine(cluster, offsets, pattern, dpid, notBefore).isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no node logged a reconcile of switch " + dpid + " within "
                        + wait.toSeconds() + " s (FLOWKEEPER_LOG_LEVEL above INFO hides it)");
            }
            Thread.sleep(100);
        }
    }

    /**
     * The first line any node wrote after its offset, stamped at or after {@code notBefore}, that matches {@code
     * pattern} for switch {@code dpid}. The offsets are taken before the kill, so lines of the time the switch was
     * down (a node taking mastership while the host's ports were made) are not the restart's.
     */
    private static Optional<LogLine> firstLogLine(LocalCluster cluster, Map<Integer, Long> offsets, Pattern pattern,
                                                 String dpid, LocalTime notBefore) throws IOException {
        LogLine first = null;
        for (Map.Entry<Integer, Long> log : offsets.entrySet()) {
            for (String line : linesAfter(cluster.logFile(log.getKey()).toFile(), log.getValue())) {
                Matcher m = pattern.matcher(line);
                if (m.find() && m.group(2).equals(dpid)) {
                    LocalTime at = LocalTime.parse(m.group(1));
                    if (at.isBefore(notBefore.truncatedTo(java.time.temporal.ChronoUnit.MILLIS))) {
                        continue;
                    }
                    if (first == null || at.isBefore(first.at())) {
                        first = new LogLine(m, at);
                    }
                    break;
                }
            }
        }
        return Optional.ofNullable(first);
    }

    private static List<String> linesAfter(java.io.File log, long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(log, "r")) {
            f.seek(offset);
            byte[] rest = new byte[(int) (f.length() - offset)];
            f.readFully(rest);
            return new String(rest, StandardCharsets.UTF_8).lines().toList();
        }
    }
}
