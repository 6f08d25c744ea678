/**
 * The replicated datastore as services see it: hierarchical {@link io.flowkeeper.api.store.DataPath paths} to JSON
 * documents in named shards, revisions that only grow, atomic transactions with preconditions, and watches that
 * deliver committed changes in commit order. No consensus (Ratis) types here: the implementation lives in
 * {@code flowkeeper-cluster}.
 */
package io.flowkeeper.api.store;
