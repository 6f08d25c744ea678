package io.flowkeeper.api.flow;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * One immutable flow entry. Equality covers everything the switch keeps (not counters), so "desired equals
 * actual" is a plain {@code equals}.
 */
public record Flow(int tableId, int priority, Match match, Instructions instructions, long cookie, int idleTimeout,
        int hardTimeout, Set<FlowFlag> flags) {
    public static final int DEFAULT_PRIORITY = 0x8000;

    public Flow {
        if (tableId < 0 || tableId > 254) {
            throw new IllegalArgumentException("table must be 0..254: " + tableId);
        }
        if (priority < 0 || priority > 0xffff) {
            throw new IllegalArgumentException("priority must be 0..65535: " + priority);
        }
        if (idleTimeout < 0 || idleTimeout > 0xffff || hardTimeout < 0 || hardTimeout > 0xffff) {
            throw new IllegalArgumentException("timeouts must be 0..65535");
        }
        Objects.requireNonNull(match, "match");
        Objects.requireNonNull(instructions, "instructions");
        flags = flags.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(flags));
    }

    public static Flow of(int tableId, int priority, Match match, Instructions instructions) {
        return new Flow(tableId, priority, match, instructions, 0, 0, 0, Set.of());
    }

    public FlowId id() {
        return new FlowId(tableId, priority, match);
    }

    public Flow withCookie(long newCookie) {
        return new Flow(tableId, priority, match, instructions, newCookie, idleTimeout, hardTimeout, flags);
    }

    public Flow withInstructions(Instructions newInstructions) {
        return new Flow(tableId, priority, match, newInstructions, cookie, idleTimeout, hardTimeout, flags);
    }

    /** In {@code ovs-ofctl add-flow} syntax. */
    @Override
    public String toString() {
        return OfctlText.format(this);
    }
}
