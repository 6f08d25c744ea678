package io.flowkeeper.controller.mastership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.OfctlText;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.VersionedValue;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Desired flows and their identity index on a map store: clashes refused, identities freed, O(1) reads per write. */
class DesiredFlowsTest {
    private static final long DPID = 0xa1;
    private final CountingMapStore store = new CountingMapStore();
    private final DesiredFlows flows = new DesiredFlows(store);

    private static Flow flow(String id, String text) {
        return FlowDocuments.parseFlow(id, text);
    }

    private void put(String id, String text) {
        flows.write(DPID, Map.of(id, flow(id, text)), List.of());
    }

    private String owner(Flow f) {
        return store.get(FlowDocuments.CONFIG_SHARD, FlowDocuments.identityPath(DPID, f), ReadConsistency.STALE)
                .map(v -> FlowDocuments.idOfIdentityDocument(v.json())).orElse(null);
    }

    private Flow stored(String id) {
        return store.get(FlowDocuments.CONFIG_SHARD, FlowDocuments.desiredPath(DPID, id), ReadConsistency.STALE)
                .map(v -> FlowDocuments.flowOf(v.json())).orElse(null);
    }

    @Test
    void aSecondIdForOneIdentityIsRefusedAndNothingIsWritten() {
        put("a", "table=0,priority=10,ip,nw_dst=10.0.0.1,actions=drop");
        List<String> before = store.paths("/");
        assertThatThrownBy(() -> put("b", "table=0,priority=10,nw_dst=10.0.0.1,ip,actions=NORMAL"))
                .isInstanceOf(DesiredFlows.IdentityConflict.class)
                .hasMessage("flow b has the same table, priority and match as flow a");
        assertThat(store.paths("/")).isEqualTo(before);
        // the same id may rewrite its own flow, and another priority is another identity
        put("a", "table=0,priority=10,ip,nw_dst=10.0.0.1,actions=NORMAL");
        put("b", "table=0,priority=11,ip,nw_dst=10.0.0.1,actions=NORMAL");
        assertThat(store.paths("/flow-ids")).hasSize(2);
    }

    @Test
    void deletingOrMovingAFlowFreesItsIdentity() {
        Flow first = flow("a", "table=0,priority=10,ip,nw_dst=10.0.0.1,actions=drop");
        put("a", "table=0,priority=10,ip,nw_dst=10.0.0.1,actions=drop");
        flows.write(DPID, Map.of(), List.of("a"));
        assertThat(store.paths("/")).isEmpty();
        put("b", "table=0,priority=10,ip,nw_dst=10.0.0.1,actions=drop");
        assertThat(owner(first)).isEqualTo("b");
        // b moves to another match: its old identity is free for c, the new one is b's
        put("b", "table=0,priority=10,ip,nw_dst=10.0.0.2,actions=drop");
        assertThat(owner(first)).isNull();
        put("c", "table=0,priority=10,ip,nw_dst=10.0.0.1,actions=drop");
        assertThat(owner(first)).isEqualTo("c");
        assertThat(store.paths("/flow-ids")).hasSize(2);
        // deleting an id that does not exist writes nothing wrong
        flows.write(DPID, Map.of(), List.of("nobody"));
        assertThat(store.paths("/flow-ids")).hasSize(2);
    }

    @Test
    void aBatchMayHandAnIdentityOverButNotClaimItTwice() {
        put("a", "table=0,priority=10,ip,nw_dst=10.0.0.1,actions=drop");
        put("b", "table=0,priority=10,ip,nw_dst=10.0.0.2,actions=drop");
        // a and b trade identities, atomically
        Map<String, Flow> swap = new LinkedHashMap<>();
        swap.put("a", flow("a", "table=0,priority=10,ip,nw_dst=10.0.0.2,actions=drop"));
        swap.put("b", flow("b", "table=0,priority=10,ip,nw_dst=10.0.0.1,actions=drop"));
        flows.write(DPID, swap, List.of());
        assertThat(owner(swap.get("a"))).isEqualTo("a");
        assertThat(owner(swap.get("b"))).isEqualTo("b");
        // c takes the identity of a, deleted in the same batch
        flows.write(DPID, Map.of("c", flow("c", "table=0,priority=10,ip,nw_dst=10.0.0.2,actions=drop")),
                List.of("a"));
        assertThat(owner(swap.get("a"))).isEqualTo("c");
        assertThat(stored("a")).isNull();
        // two ids of one batch for one identity
        Map<String, Flow> twice = new LinkedHashMap<>();
        twice.put("d", flow("d", "table=3,priority=1,actions=drop"));
        twice.put("e", flow("e", "table=3,priority=1,actions=NORMAL"));
        assertThatThrownBy(() -> flows.write(DPID, twice, List.of()))
                .isInstanceOf(DesiredFlows.IdentityConflict.class).hasMessageContaining("flow e").hasMessageContaining("flow d");
        // b keeps its identity when another id asks for it
        assertThatThrownBy(() -> put("f", "table=0,priority=10,ip,nw_dst=10.0.0.1,actions=drop"))
                .hasMessageContaining("as flow b");
    }

    @Test
    void twoWritersRacingForOneIdentityGetOneSuccessAndOneConflict() {
        Flow x = flow("x", "table=0,priority=10,tcp,tp_dst=80,actions=drop");
        // x's writer has read (identity free) and is about to commit when y's commit for the same identity lands
        store.beforeCommit = t -> flows.write(DPID, Map.of("y", flow("y", "table=0,priority=10,tcp,tp_dst=80,"
                + "actions=NORMAL")), List.of());
        assertThatThrownBy(() -> flows.write(DPID, Map.of("x", x), List.of()))
                .isInstanceOf(DesiredFlows.IdentityConflict.class).hasMessageContaining("as flow y");
        assertThat(owner(x)).isEqualTo("y");
        assertThat(stored("x")).isNull();
    }

    @Test
    void aWriteOnASwitchHolding20000FlowsReadsAHandfulOfDocuments() {
        for (int from = 0; from < 20_000; from += 1_000) {
            Map<String, Flow> batch = new LinkedHashMap<>();
            for (int i = from; i < from + 1_000; i++) {
                batch.put("f-" + i, flow("f-" + i, "table=0,priority=100,ip,nw_dst=10.0." + (i >> 8) + "." + (i & 255)
                        + ",actions=drop"));
            }
            flows.write(DPID, batch, List.of());
        }
        store.documentsRead.set(0);
        put("new", "table=0,priority=200,ip,nw_dst=10.9.9.9,actions=drop");
        put("f-7", "table=0,priority=100,ip,nw_dst=10.9.9.8,actions=drop"); // moves: frees its old identity too
        flows.write(DPID, Map.of(), List.of("f-8"));
        assertThatThrownBy(() -> put("clash", "table=0,priority=100,ip,nw_dst=10.0.0.9,actions=drop"))
                .hasMessageContaining("as flow f-9");
        assertThat(store.documentsRead.get()).isLessThanOrEqualTo(2 + 3 + 2 + 2); // flow and identity documents only
        assertThat(store.paths("/flows/" + FlowDocuments.dpid(DPID))).hasSize(20_000);
        assertThat(store.paths("/flow-ids/" + FlowDocuments.dpid(DPID))).hasSize(20_000);
    }

    @Test
    void documentsStoredAsTextAreReadAndMigratedWithTheirIdentities() {
        String path = FlowDocuments.desiredPath(DPID, "old").toString();
        String text = "table=0,priority=10,cookie=0xf100000000000001,ip,nw_dst=10.0.0.1,actions=drop";
        store.putRaw(path, "{\"id\":\"old\",\"flow\":\"" + text + "\",\"identity\":\"0/10/ip,nw_dst=10.0.0.1\"}");
        VersionedValue v = store.get(FlowDocuments.CONFIG_SHARD, DataPath.of(path), ReadConsistency.STALE)
                .orElseThrow();
        assertThat(FlowDocuments.isTextDocument(v.json())).isTrue();
        assertThat(FlowDocuments.flowOf(v.json())).isEqualTo(OfctlText.parse(text));

        assertThat(flows.migrate(DPID, List.of(v))).isEqualTo(1);
        VersionedValue migrated = store.get(FlowDocuments.CONFIG_SHARD, DataPath.of(path), ReadConsistency.STALE)
                .orElseThrow();
        assertThat(FlowDocuments.isTextDocument(migrated.json())).isFalse();
        assertThat(FlowDocuments.flowOf(migrated.json())).isEqualTo(OfctlText.parse(text));
        assertThatThrownBy(() -> put("new", "table=0,priority=10,ip,nw_dst=10.0.0.1,actions=NORMAL"))
                .hasMessageContaining("as flow old");
        // a stale listing (the document changed since) is not migrated over the newer write
        assertThat(flows.migrate(DPID, List.of(v))).isZero();
    }

    @Test
    void storedDocumentsAreStructuredAndReadBackEqual() {
        Flow f = flow("s", "table=2,priority=7,idle_timeout=5,send_flow_rem,udp,tp_src=53,"
                + "actions=set_field:10.1.1.1->ip_dst,push_vlan:0x8100,output:4");
        String doc = FlowDocuments.document("s", f);
        assertThat(FlowDocuments.read(doc).path("flow").isObject()).isTrue();
        assertThat(FlowDocuments.flowOf(doc)).isEqualTo(f);
        assertThat(f.cookie() >>> 56).isEqualTo(0xf1);
    }
}
