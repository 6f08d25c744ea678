package io.flowkeeper.cluster;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.store.CommitResult;
import io.flowkeeper.api.store.DatastoreService;

/**
 * A datastore whose shards also run commands: a command is committed as is and turned into a transaction by the
 * shard's own rules ({@link ShardCommands}) against the state it meets, so every replica decides the same. The
 * replicated {@link ClusterNode} and the in-memory {@code testing.InMemoryDatastore} both implement it, so the
 * ownership service runs on either with the same rules.
 */
public interface CommandDatastore extends DatastoreService {
    /**
     * Commits {@code command} with {@code args} to the shard and returns the result of the transaction it planned.
     * Blocks like {@link #commit}; thread-safe.
     */
    CommitResult command(String shard, String command, ObjectNode args);
}
