package io.flowkeeper.network.neutron;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.store.CommitResult;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.StoreException;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.api.store.VersionedValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where the model lives in the {@code network-config} shard, and how this node reads it. Layout:
 * <pre>
 * /neutron/{collection}/{id}                 one document per resource, in Neutron's own JSON shape
 *                                            (networks, subnets, ports, routers, floatingips, security-groups,
 *                                            security-group-rules)
 * /neutron/ipam/{subnet id}/{address}        {"owner": id, "kind": "port"|"floatingip"}: an address in use
 * /neutron/macs/{mac}                        {"owner": port id}
 * /neutron/segments/vxlan/{vni}              {"owner": network id}
 * /neutron/segments/vlan/{physnet}/{vlan}    {"owner": network id}
 * /neutron/segments/flat/{physnet}           {"owner": network id}
 * /neutron/deleting/{network or subnet id}   a delete under way: blocks new ports (see NeutronApi)
 * /neutron/default-security-group/{project}  {"id": group id}: one default group per project
 * /neutron/rule-keys/{group id}/{digest}     {"owner": rule id}: no two identical rules in a group
 * /neutron/fip-ports/{port id}/{address}     {"owner": floating ip id}: one floating IP per fixed address
 * /neutron/network-ports/{network}/{port}    {"owner": port id}: the ports of a network (lists by network_id read
 *                                            these, not every port), complete once
 * /neutron/indexes/network-ports             exists (written after indexing the ports older than the index)
 * </pre>
 * A claim is written in the same transaction as the document that uses it, with a precondition that it is absent,
 * so two nodes racing for one address get one success and one failed precondition, and a claim never exists
 * without its owner (a claim names its owner, so an audit can check that). Documents stay small (a port is under
 * 1 KB), far below the shard's transaction limit.
 */
final class NeutronDocuments {
    static final String SHARD = "network-config";
    static final String ROOT = "/neutron";
    private static final String BARRIER = ROOT + "/barrier";
    static final ObjectMapper JSON = new ObjectMapper();
    /** How long a read waits for this replica to catch up with the leader before answering 503. */
    private static final long CATCH_UP_MILLIS = 5_000;

    /** A document and the shard revision that last wrote it (for compare-and-set updates). */
    record Doc(ObjectNode json, long modRevision) {
        String id() {
            return json.path("id").asText();
        }
    }

    private final DatastoreService store;

    NeutronDocuments(DatastoreService store) {
        this.store = store;
    }

    static String doc(String collection, String id) {
        return ROOT + "/" + collection + "/" + id;
    }

    static String ipClaim(String subnetId, String address) {
        return ROOT + "/ipam/" + subnetId + "/" + address;
    }

    static String ipClaims(String subnetId) {
        return ROOT + "/ipam/" + subnetId;
    }

    static String macClaim(String mac) {
        return ROOT + "/macs/" + mac;
    }

    static String segmentClaims(String type, String physnet) {
        return ROOT + "/segments/" + type + (physnet == null ? "" : "/" + physnet);
    }

    static String deleting(String id) {
        return ROOT + "/deleting/" + id;
    }

    static String defaultSecurityGroup(String project) {
        return ROOT + "/default-security-group/" + project;
    }

    static String ruleKey(String groupId, String digest) {
        return ROOT + "/rule-keys/" + groupId + "/" + digest;
    }

    static String ruleKeys(String groupId) {
        return ROOT + "/rule-keys/" + groupId;
    }

    static String fipPort(String portId, String address) {
        return ROOT + "/fip-ports/" + portId + "/" + address;
    }

    static String networkPort(String networkId, String portId) {
        return ROOT + "/network-ports/" + networkId + "/" + portId;
    }

    static String networkPorts(String networkId) {
        return ROOT + "/network-ports/" + networkId;
    }

    static final String NETWORK_PORTS_COMPLETE = ROOT + "/indexes/network-ports";

    static String owner(String id, String kind) {
        return JSON.createObjectNode().put("owner", id).put("kind", kind).toString();
    }

    /** The owner id a claim names. */
    static String ownerOf(VersionedValue claim) {
        try {
            return JSON.readTree(claim.json()).path("owner").asText();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("unreadable claim at " + claim.path(), e);
        }
    }

    /**
     * Waits until this node's replica has applied everything the shard's leader had committed when called (one
     * small linearizable read), so a read here sees every write acknowledged before it, on any node.
     */
    void barrier() {
        catchUp(call(() -> store.list(SHARD, DataPath.of(BARRIER), ReadConsistency.LINEARIZABLE)).revision());
    }

    /** Waits until this replica has applied {@code revision}. */
    void catchUp(long revision) {
        long deadline = System.nanoTime() + CATCH_UP_MILLIS * 1_000_000;
        while (localRevision() < revision) {
            if (System.nanoTime() > deadline) {
                throw new NeutronException(503, "ServiceUnavailable",
                        "this node's replica of " + SHARD + " is behind its leader; retry");
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new NeutronException(503, "ServiceUnavailable", "interrupted");
            }
        }
    }

    private long localRevision() {
        return call(() -> store.list(SHARD, DataPath.of(BARRIER), ReadConsistency.STALE)).revision();
    }

    Optional<Doc> get(String collection, String id) {
        if (!Body.isUuid(id)) {
            return Optional.empty();
        }
        return call(() -> store.get(SHARD, DataPath.of(doc(collection, id)), ReadConsistency.STALE)).map(this::parse);
    }

    boolean exists(String path) {
        return call(() -> store.get(SHARD, DataPath.of(path), ReadConsistency.STALE)).isPresent();
    }

    List<Doc> list(String collection) {
        return list(collection, json -> true);
    }

    /** The collection's documents whose JSON text passes {@code rawFilter} (checked before parsing). */
    List<Doc> list(String collection, java.util.function.Predicate<String> rawFilter) {
        List<Doc> out = new ArrayList<>();
        for (VersionedValue v : call(() -> store.list(SHARD, DataPath.of(ROOT + "/" + collection),
                ReadConsistency.STALE)).values()) {
            if (rawFilter.test(v.json())) {
                out.add(parse(v));
            }
        }
        return out;
    }

    /** The last path segment of every key below {@code prefix} (the claimed addresses of a subnet, ...). */
    List<String> childNames(String prefix) {
        List<String> out = new ArrayList<>();
        for (VersionedValue v : call(() -> store.list(SHARD, DataPath.of(prefix), ReadConsistency.STALE)).values()) {
            out.add(v.path().substring(v.path().lastIndexOf('/') + 1));
        }
        return out;
    }

    List<VersionedValue> values(String prefix) {
        return call(() -> store.list(SHARD, DataPath.of(prefix), ReadConsistency.STALE)).values();
    }

    CommitResult commit(Transaction txn) {
        return call(() -> store.commit(SHARD, txn));
    }

    Doc parse(VersionedValue v) {
        try {
            return new Doc((ObjectNode) JSON.readTree(v.json()), v.modRevision());
        } catch (JsonProcessingException | ClassCastException e) {
            throw new IllegalStateException("unreadable document at " + v.path(), e);
        }
    }

    private static <T> T call(java.util.function.Supplier<T> call) {
        try {
            return call.get();
        } catch (StoreException e) {
            if (e.kind() == StoreException.Kind.INVALID) {
                throw e.getMessage().contains("the limit is")
                        ? new NeutronException(413, "RequestEntityTooLarge", e.getMessage())
                        : NeutronException.badRequest(e.getMessage());
            }
            throw new NeutronException(503, "ServiceUnavailable", e.getMessage());
        }
    }
}
