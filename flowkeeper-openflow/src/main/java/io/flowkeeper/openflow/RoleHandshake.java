package io.flowkeeper.openflow;

import io.flowkeeper.api.switches.ControllerRole;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The role handshake of one session, apart from the connection handshake ({@link SwitchChannelHandler}), as
 * Floodlight splits them. States: {@link State#NONE} (EQUAL, the switch's default, nothing asked),
 * {@link State#WAIT_ROLE_REPLY} (a ROLE_REQUEST is out: writers are held, queued on the gate, never dropped),
 * {@link State#CONFIRMED} (the switch answered; writes flow, and if we are SLAVE the switch refuses them with
 * IS_SLAVE, which the session turns into {@link io.flowkeeper.api.switches.SwitchException.NotMaster}), {@link State#REFUSED} (STALE or
 * another error: held writers go on and meet the switch's own verdict).
 *
 * <p>Role requests are serialized: a second request waits for the first's reply, so a gate is never replaced
 * while writers wait on it. The generation id is the caller's (from the cluster's ever-growing counter): OVS keeps
 * the highest one per bridge across reconnects, so a fresh session must not start at 1.
 */
final class RoleHandshake {
    private static final Logger LOG = LoggerFactory.getLogger(RoleHandshake.class);

    /** Where the role handshake stands. */
    enum State { NONE, WAIT_ROLE_REPLY, CONFIRMED, REFUSED }

    /** What the switch last said in a ROLE_STATUS: another controller took over, or the switch changed it. */
    record Status(ControllerRole role, String reason, long generationId) {
    }

    private final String switchName;
    private final Duration replyTimeout;
    /**
     * OpenFlow 1.0: the switch knows no roles, so the role is ours alone (no message is sent), and the switch
     * cannot refuse a write from a deposed master: {@link #awaitWritable} refuses every write unless the role is
     * MASTER, so a node that is not the owner sends nothing that modifies the switch.
     */
    private final boolean localOnly;
    /** See {@link io.flowkeeper.api.switches.Switch#writePermit}; null: writes are not checked. */
    private volatile java.util.function.BooleanSupplier permit;
    private final Object serial = new Object();
    private volatile State state = State.NONE;
    private volatile CompletableFuture<Void> gate = CompletableFuture.completedFuture(null);
    private volatile ControllerRole role = ControllerRole.EQUAL;
    private volatile long generationId = -1;
    private volatile Status lastStatus;

    RoleHandshake(String switchName, Duration replyTimeout) {
        this(switchName, replyTimeout, false);
    }

    RoleHandshake(String switchName, Duration replyTimeout, boolean localOnly) {
        this.switchName = switchName;
        this.replyTimeout = replyTimeout;
        this.localOnly = localOnly;
    }

    /** Whether the switch has no roles (OpenFlow 1.0): the role is recorded here only. */
    boolean localOnly() {
        return localOnly;
    }

    /**
     * Runs one role request: {@code exchange} sends it and returns the granted role, or throws the switch's
     * refusal. Writers calling {@link #awaitWritable} meanwhile wait.
     */
    ControllerRole request(ControllerRole wanted, long generation, Supplier<ControllerRole> exchange) {
        synchronized (serial) {
            CompletableFuture<Void> held = new CompletableFuture<>();
            gate = held;
            state = State.WAIT_ROLE_REPLY;
            try {
                ControllerRole granted = exchange.get();
                role = granted;
                generationId = generation;
                state = State.CONFIRMED;
                LOG.info("switch {}: role {} (generation {})", switchName, granted, generation);
                return granted;
            } catch (RuntimeException e) {
                state = State.REFUSED;
                LOG.warn("switch {}: role {} with generation {} refused: {}", switchName, wanted, generation,
                        e.getMessage());
                throw e;
            } finally {
                held.complete(null); // release the held writers, in the order they came
            }
        }
    }

    /**
     * Blocks a writer while a ROLE_REQUEST is outstanding; then refuses the write if the write permit fails, or, on a
     * switch without roles (1.0), unless this connection is MASTER.
     */
    void awaitWritable() {
        try {
            gate.get(replyTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OpenFlowException("interrupted while waiting for the role reply", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new OpenFlowException("role request to switch " + switchName + " did not complete", e);
        }
        java.util.function.BooleanSupplier p = permit;
        if (p != null && !p.getAsBoolean()) {
            throw new io.flowkeeper.api.switches.SwitchException.NotMaster("switch " + switchName + ": the write "
                    + "permit failed (this node's lease or ownership lapsed), so nothing is sent");
        }
        if (localOnly && role != ControllerRole.MASTER) {
            throw new io.flowkeeper.api.switches.SwitchException.NotMaster("switch " + switchName + " speaks "
                    + "OpenFlow 1.0, which has no roles: this connection is " + role + ", not MASTER, so nothing "
                    + "that modifies the switch is sent");
        }
    }

    /** A ROLE_STATUS from the switch (OpenFlow 1.4, or OVS's ONF extension on 1.3). */
    void onStatus(ControllerRole newRole, String reason, long generation) {
        lastStatus = new Status(newRole, reason, generation);
        role = newRole; // the switch's word is the truth: a deposed master is SLAVE now
        LOG.info("switch {}: role status {} ({}, generation {})", switchName, newRole, reason, generation);
    }

    void permit(java.util.function.BooleanSupplier check) {
        permit = check;
    }

    State state() {
        return state;
    }

    ControllerRole role() {
        return role;
    }

    long generationId() {
        return generationId;
    }

    Status lastStatus() {
        return lastStatus;
    }
}
