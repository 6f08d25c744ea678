package io.flowkeeper.agent;

import io.flowkeeper.agent.snapshot.FsyncPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The host agent's settings.
 *
 * @param ovsRundir where {@code db.sock}, {@code <bridge>.mgmt} and {@code ovs-vswitchd.pid} live
 *     ({@code /var/run/openvswitch} on a Debian host)
 * @param bridges the bridges to journal and restore
 * @param snapshotDir one sub-directory per bridge is kept here; must be on the host's own disk
 * @param fsync how soon a journaled change is forced to disk (default 100 ms: a power failure loses at most that)
 * @param reconnectInterval how often to retry the management socket while {@code ovs-vswitchd} is down: it bounds
 *     how late a restore starts after {@code ovs-vswitchd} comes back
 */
public record AgentConfig(Path ovsRundir, List<String> bridges, Path snapshotDir, FsyncPolicy fsync,
        Duration reconnectInterval) {
    /** 5 ms: a connect attempt on a missing Unix socket costs microseconds, and restore time is the product. */
    public static final Duration DEFAULT_RECONNECT_INTERVAL = Duration.ofMillis(5);

    public AgentConfig {
        Objects.requireNonNull(ovsRundir, "ovsRundir");
        Objects.requireNonNull(snapshotDir, "snapshotDir");
        bridges = List.copyOf(bridges);
        if (bridges.isEmpty()) {
            throw new IllegalArgumentException("at least one bridge is needed");
        }
        for (String b : bridges) {
            if (!b.matches("[A-Za-z0-9_.-]{1,15}")) {
                throw new IllegalArgumentException("not a bridge name: " + b);
            }
        }
    }

    public AgentConfig(Path ovsRundir, List<String> bridges, Path snapshotDir) {
        this(ovsRundir, bridges, snapshotDir, FsyncPolicy.DEFAULT, DEFAULT_RECONNECT_INTERVAL);
    }

    Path managementSocket(String bridge) {
        return ovsRundir.resolve(bridge + ".mgmt");
    }

    Path dbSocket() {
        return ovsRundir.resolve("db.sock");
    }

    Path vswitchdPidfile() {
        return ovsRundir.resolve("ovs-vswitchd.pid");
    }

    Path snapshotOf(String bridge) {
        return snapshotDir.resolve(bridge);
    }
}
