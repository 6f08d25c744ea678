package io.flowkeeper.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.api.store.VersionedValue;
import java.util.List;

/**
 * Logic a shard runs inside its state machine: a command in the log is turned into an ordinary transaction by
 * reading the replica's current state. It must be a pure function of (state, command): every replica applies the
 * same log and must reach the same state, so no clocks, randomness or local configuration.
 */
public interface ShardCommands {
    /** The committed state a command may read. */
    interface State {
        VersionedValue get(String path);

        List<VersionedValue> list(DataPath prefix);
    }

    /** The changes the command makes; an empty transaction changes nothing. */
    Transaction plan(String command, JsonNode args, State state);

    /** For shards without commands. */
    ShardCommands NONE = (command, args, state) -> {
        throw new IllegalArgumentException("this shard has no command '" + command + "'");
    };

    /** The commands a shard of that kind runs: the ownership rules for the ownership shard, none elsewhere. */
    static ShardCommands forKind(ShardCatalog.Kind kind) {
        return kind == ShardCatalog.Kind.OWNERSHIP ? new OwnershipCommands() : NONE;
    }
}
