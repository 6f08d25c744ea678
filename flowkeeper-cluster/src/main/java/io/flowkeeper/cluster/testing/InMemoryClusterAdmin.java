package io.flowkeeper.cluster.testing;

import io.flowkeeper.api.cluster.ClusterAdminService;
import io.flowkeeper.api.cluster.ClusterView;
import io.flowkeeper.api.cluster.ShardStatus;
import io.flowkeeper.api.store.StoreException;
import io.flowkeeper.cluster.ShardState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The cluster-admin service of one node over an {@link InMemoryDatastore}: members are a map, and who leads each
 * shard is what the test sets ({@link #setLeader}), initially this node for every shard. The applied index it reports
 * is the shard revision (one replica, no log). Thread-safe.
 */
public final class InMemoryClusterAdmin implements ClusterAdminService {
    private final String nodeId;
    private final InMemoryDatastore store;
    private final Map<String, String> members = new TreeMap<>();
    private final Map<String, String> leaders = new ConcurrentHashMap<>();

    public InMemoryClusterAdmin(String nodeId, String raftAddress, InMemoryDatastore store) {
        this.nodeId = nodeId;
        this.store = store;
        members.put(nodeId, raftAddress);
        store.shards().forEach(s -> leaders.put(s, nodeId));
    }

    /** Makes {@code node} the shard's leader (as an election or a transfer would). */
    public void setLeader(String shard, String node) {
        checkShard(shard);
        leaders.put(shard, node);
    }

    private void checkShard(String shard) {
        if (!store.shards().contains(shard)) {
            throw new StoreException(StoreException.Kind.UNKNOWN_SHARD, shard, "unknown shard '" + shard + "'");
        }
    }

    @Override
    public java.time.Duration requestTimeout() {
        return java.time.Duration.ofSeconds(5);
    }

    @Override
    public String nodeId() {
        return nodeId;
    }

    @Override
    public synchronized ClusterView view() {
        List<ClusterView.ShardView> shards = new ArrayList<>();
        Map<String, Integer> leads = new TreeMap<>();
        members.keySet().forEach(id -> leads.put(id, 0));
        for (String shard : store.shards()) {
            String leader = leaders.get(shard);
            leads.merge(leader, 1, Integer::sum);
            long revision = store.state(shard).revision();
            shards.add(new ClusterView.ShardView(shard, "in-memory", leader, 1, revision, revision, revision,
                    List.copyOf(members.keySet()), Map.of()));
        }
        List<ClusterView.NodeView> nodes = new ArrayList<>();
        members.forEach((id, address) -> nodes.add(new ClusterView.NodeView(id, address, true,
                leads.getOrDefault(id, 0))));
        return new ClusterView(nodeId, nodes, shards);
    }

    @Override
    public synchronized void addMember(String node, String raftAddress) {
        members.put(node, raftAddress);
    }

    @Override
    public synchronized void removeMember(String node) {
        if (!members.containsKey(node)) {
            throw new StoreException(StoreException.Kind.INVALID, null, "no member '" + node + "'");
        }
        if (members.size() == 1) {
            throw new StoreException(StoreException.Kind.INVALID, null, "cannot remove the last member");
        }
        members.remove(node);
    }

    @Override
    public synchronized void transferLeader(String shard, String node) {
        checkShard(shard);
        if (!members.containsKey(node)) {
            throw new StoreException(StoreException.Kind.INVALID, shard, "no member '" + node + "'");
        }
        leaders.put(shard, node);
    }

    @Override
    public boolean isLocalLeader(String shard) {
        checkShard(shard);
        return nodeId.equals(leaders.get(shard));
    }

    @Override
    public ShardStatus shardStatus(String shard) {
        ShardState state = store.state(shard);
        synchronized (state) {
            return new ShardStatus(shard, nodeId, state.digest(), state.revision(), state.size(), state.revision());
        }
    }
}
