package io.flowkeeper.agent.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.agent.cluster.VifTable.Delta;
import io.flowkeeper.agent.cluster.VifTable.Vif;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** VM interfaces from OVSDB monitor updates, and the report that brings the cluster up to date. */
class VifTableTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text.replace('\'', '"'));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String row(String name, String ifaceId, String mac, String ofport) {
        return "{'name': '" + name + "', 'ofport': " + ofport + ", 'external_ids': ['map', [['attached-mac', '"
                + mac + "'], ['iface-id', '" + ifaceId + "']]]}";
    }

    @Test
    void interfacesCountOnceTheyHaveAnOfportAndAnIfaceId() {
        VifTable t = new VifTable();
        t.apply(json("{'Interface': {'u1': {'new': " + row("tap1", "p1", "fa:16:3e:00:00:01", "['set', []]") + "},"
                + " 'u2': {'new': {'name': 'br-int', 'ofport': 65534, 'external_ids': ['map', []]}}}}"));
        assertThat(t.plugged()).isEmpty(); // tap1 not in the datapath yet, br-int is no VM
        t.apply(json("{'Interface': {'u1': {'old': {'ofport': ['set', []]}, 'new': "
                + row("tap1", "p1", "fa:16:3e:00:00:01", "5") + "}}}"));
        assertThat(t.plugged()).containsExactly(Map.entry("p1", new Vif("p1", 5, "fa:16:3e:00:00:01")));
        t.apply(json("{'Interface': {'u3': {'new': " + row("tap2", "p2", "fa:16:3e:00:00:02", "-1") + "}}}"));
        assertThat(t.plugged()).containsOnlyKeys("p1");
        t.apply(json("{'Interface': {'u1': {'old': " + row("tap1", "p1", "fa:16:3e:00:00:01", "5") + "}}}"));
        assertThat(t.plugged()).isEmpty();
    }

    @Test
    void theDeltaHasNewAndChangedPlugsAndWhatWentAway() {
        Vif a = new Vif("a", 1, "fa:16:3e:00:00:01");
        Vif b = new Vif("b", 2, "fa:16:3e:00:00:02");
        Vif b2 = new Vif("b", 7, "fa:16:3e:00:00:02");
        Vif c = new Vif("c", 3, "fa:16:3e:00:00:03");
        Delta d = VifTable.delta(Map.of("a", a, "b", b), Map.of("b", b2, "c", c));
        assertThat(d.plugged()).containsExactlyInAnyOrder(b2, c);
        assertThat(d.unplugged()).containsExactly("a");
        assertThat(VifTable.delta(Map.of("a", a), Map.of("a", a)).isEmpty()).isTrue();
        assertThat(VifTable.delta(Map.of(), Map.of("a", a)).plugged()).isEqualTo(List.of(a));
    }

    @Test
    void vmTunnelAndPatchPortsArePinnedToTheirNumberOnce() {
        VifTable t = new VifTable();
        t.apply(json("{'Interface': {"
                + "'u1': {'new': " + row("tap1", "p1", "fa:16:3e:00:00:01", "5") + "},"
                + "'u2': {'new': " + row("tap2", "p2", "fa:16:3e:00:00:02", "['set', []]") + "},"
                + "'u3': {'new': {'name': 'vx-0a0b0c0d', 'ofport': 7, 'external_ids': ['map', []]}},"
                + "'u4': {'new': {'name': 'int-br-ex', 'ofport': 8, 'external_ids': ['map', []]}},"
                + "'u5': {'new': {'name': 'br-int', 'ofport': 65534, 'external_ids': ['map', []]}},"
                + "'u6': {'new': {'name': 'eth1', 'ofport': 1, 'external_ids': ['map', []]}}}}"));
        // tap2 has no number yet; br-int's LOCAL port cannot be requested; eth1 is the operator's
        assertThat(t.unpinned()).containsExactlyInAnyOrderEntriesOf(Map.of("u1", 5, "u3", 7, "u4", 8));
        t.apply(json("{'Interface': {'u1': {'new': {'name': 'tap1', 'ofport': 5, 'ofport_request': 5,"
                + " 'external_ids': ['map', [['iface-id', 'p1']]]}}}}"));
        assertThat(t.unpinned()).containsOnlyKeys("u3", "u4");
    }
}
