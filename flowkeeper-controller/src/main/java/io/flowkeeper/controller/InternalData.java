package io.flowkeeper.controller;

import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.ownership.OwnershipService;
import io.flowkeeper.controller.mastership.FlowDocuments;
import io.flowkeeper.network.identity.ProjectRegistry;
import java.util.List;
import java.util.Optional;

/**
 * Data the nodes write for themselves, or that only a validating route may write: readable through
 * {@code /v1/datastore}, never writable there (issue 15, D1: one raw write of {@code openflow:zz} into the ownership
 * shard used to stop every restarting node; one prefix delete left every switch without a master).
 * <ul>
 *   <li>the ownership shard, whole: entities and leases, written by switch connections and lease renewals;</li>
 *   <li>{@code inventory-operational /switches} and {@code /flows}: what switch masters observed;</li>
 *   <li>{@code inventory-config /flows}: desired flows, written through {@code /v1/switches/{dpid}/flows}, which
 *       checks every flow and refuses two ids for one switch flow, and {@code /flow-ids}, the identity index it
 *       writes in the same transaction.</li>
 *   <li>{@code network-config /neutron}: the virtual network model, written through the Neutron API, whose address,
 *       MAC and segment claims must stay consistent with the objects holding them.</li>
 * </ul>
 */
final class InternalData {
    private record Area(String shard, DataPath prefix, String why) {}

    private static final String NETWORK_SHARD = "network-config";

    private static final List<Area> AREAS = List.of(
            new Area(FlowDocuments.OPERATIONAL_SHARD, DataPath.of("/switches"),
                    "is what switch masters observed: the nodes write it"),
            new Area(FlowDocuments.OPERATIONAL_SHARD, DataPath.of("/flows"),
                    "is what switch masters observed: the nodes write it"),
            new Area(FlowDocuments.CONFIG_SHARD, DataPath.of("/flows"),
                    "holds desired flows: write them through /v1/switches/{dpid}/flows, which validates them"),
            new Area(FlowDocuments.CONFIG_SHARD, DataPath.of("/flow-ids"),
                    "is the desired flows' identity index, kept by /v1/switches/{dpid}/flows with the flows"),
            new Area(NETWORK_SHARD, DataPath.of("/neutron"),
                    "holds the virtual network model and its address claims: change it through the Neutron API"
                            + " (/v2.0), which validates every object and allocates addresses in the same transaction"),
            new Area(NETWORK_SHARD, DataPath.of(ProjectRegistry.PREFIX),
                    "holds the projects created through Keystone: change them through /identity/v3/projects"));

    private InternalData() {}

    /**
     * Why a write to {@code path} (or, with {@code subtree}, to everything below it) must be refused, or empty if
     * it may go ahead.
     */
    static Optional<String> whyReadOnly(String shard, DataPath path, boolean subtree) {
        if (OwnershipService.SHARD.equals(shard)) {
            return Optional.of("the " + shard + " shard is internal (switch mastership and node leases, written by the"
                    + " nodes themselves): read-only through the datastore API; read it with GET /v1/ownership");
        }
        for (Area a : AREAS) {
            if (a.shard().equals(shard) && (a.prefix().contains(path) || subtree && path.contains(a.prefix()))) {
                return Optional.of(shard + " " + a.prefix() + " " + a.why() + "; it is read-only through the"
                        + " datastore API");
            }
        }
        return Optional.empty();
    }
}
