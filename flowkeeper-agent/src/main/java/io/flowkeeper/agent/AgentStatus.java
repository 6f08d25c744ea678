package io.flowkeeper.agent;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;

/**
 * One bridge's agent state, as the agent last wrote it to {@code <snapshot-dir>/<bridge>/STATUS}: what
 * {@code flowkeeper snapshot inspect} and {@code flowkeeper agent status} show. Written atomically (temporary file
 * and rename) at every state change; not fsynced, since it describes the running agent only.
 *
 * @param state {@code connecting}, {@code restoring}, {@code journaling}, {@code disconnected} or
 *     {@code degraded}
 * @param lastRestore null until the agent restored this bridge once
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AgentStatus(String bridge, String state, Instant since, long agentPid, Long vswitchdPid,
        Integer snapshotFlows, long journaledChanges, Restore lastRestore, String degradedReason) {

    static final String FILE = "STATUS";
    private static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).enable(SerializationFeature.INDENT_OUTPUT);

    /** The last restore: when, how many flows, how long, and why. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Restore(Instant at, int flows, long bundleMillis, Long sinceVswitchdStartMillis, String reason) {
    }

    void write(Path snapshotDir) throws IOException {
        if (!Files.isDirectory(snapshotDir)) {
            io.flowkeeper.api.io.PrivateFiles.createPrivateDirectories(snapshotDir);
        }
        Path tmp = snapshotDir.resolve(FILE + ".tmp");
        io.flowkeeper.api.io.PrivateFiles.writePrivate(tmp, JSON.writeValueAsBytes(this));
        try {
            Files.move(tmp, snapshotDir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, snapshotDir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Reads the status file of a bridge's snapshot directory, or null if the agent never ran there. */
    public static AgentStatus read(Path snapshotDir) throws IOException {
        Path file = snapshotDir.resolve(FILE);
        return Files.exists(file) ? JSON.readValue(file.toFile(), AgentStatus.class) : null;
    }

    /** One line for operators. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        sb.append("agent pid ").append(agentPid).append(": ").append(bridge).append(' ').append(state)
                .append(" since ").append(since);
        if (ProcessHandle.of(agentPid).isEmpty()) {
            sb.append(" (agent not running)");
        }
        if (snapshotFlows != null) {
            sb.append(", snapshot ").append(snapshotFlows).append(" flows");
        }
        sb.append(", ").append(journaledChanges).append(" changes journaled");
        if (lastRestore != null) {
            sb.append("; last restore ").append(lastRestore.at()).append(": ").append(lastRestore.flows())
                    .append(" flows, bundle ").append(lastRestore.bundleMillis()).append(" ms")
                    .append(lastRestore.sinceVswitchdStartMillis() == null ? ""
                            : ", " + lastRestore.sinceVswitchdStartMillis() + " ms after ovs-vswitchd started")
                    .append(" (").append(lastRestore.reason()).append(')');
        }
        if (degradedReason != null) {
            sb.append("; DEGRADED: ").append(degradedReason);
        }
        return sb.toString();
    }
}
