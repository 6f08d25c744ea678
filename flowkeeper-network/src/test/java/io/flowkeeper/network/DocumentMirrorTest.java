package io.flowkeeper.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.api.store.VersionedValue;
import io.flowkeeper.cluster.ShardState;
import io.flowkeeper.cluster.testing.InMemoryDatastore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The mirror tells what it found at start as not live, then every change once, as live; after a watch restart
 * (a RESET and a state dump) it tells only the differences, not live, and never a document twice.
 */
class DocumentMirrorTest {
    private static final String SHARD = "network-config";
    private final InMemoryDatastore store = new InMemoryDatastore();
    private final List<String> heard = new CopyOnWriteArrayList<>();

    private void put(String id, String status) {
        store.commit(SHARD, Transaction.builder().put("/neutron/ports/" + id, "{\"status\": \"" + status + "\"}")
                .build());
    }

    private DocumentMirror mirror() {
        return new DocumentMirror(store, SHARD, "/neutron/ports", (id, before, after, live) -> heard.add(id + " "
                + (before == null ? "-" : before.path("status").asText()) + ">"
                + (after == null ? "-" : after.path("status").asText()) + (live ? " live" : ""))).start();
    }

    @Test
    void startUpIsReplayedThenChangesAreLive() {
        put("a", "DOWN");
        store.commit(SHARD, Transaction.builder().put("/neutron/ports-index/x", "{}").put("/neutron/ports/a/sub",
                "{}").build()); // neither a sibling prefix nor a grandchild is a document of the collection
        try (DocumentMirror m = mirror()) {
            assertThat(heard).containsExactly("a ->DOWN");
            put("a", "ACTIVE");
            put("b", "DOWN");
            store.commit(SHARD, Transaction.builder().delete("/neutron/ports/a").build());
            await().atMost(Duration.ofSeconds(30)).until(() -> heard.size() == 4);
            assertThat(heard).containsExactly("a ->DOWN", "a DOWN>ACTIVE live", "b ->DOWN live", "a ACTIVE>- live");
        }
    }

    @Test
    void aWatchRestartTellsOnlyWhatChangedMeanwhileAndNotAsLive() {
        put("a", "DOWN");
        put("b", "DOWN");
        try (DocumentMirror m = mirror()) {
            ShardState state = store.state(SHARD);
            ShardState.Image image = state.capture();
            // The shard is replaced by an image where a is ACTIVE, b is gone and c is new (a snapshot installed).
            List<VersionedValue> values = new ArrayList<>();
            for (VersionedValue v : image.values()) {
                if (v.path().equals("/neutron/ports/a")) {
                    values.add(new VersionedValue(v.path(), "{\"status\": \"ACTIVE\"}", v.createRevision(),
                            image.revision() + 1, v.version() + 1));
                } else if (!v.path().equals("/neutron/ports/b")) {
                    values.add(v);
                }
            }
            values.add(new VersionedValue("/neutron/ports/c", "{\"status\": \"DOWN\"}", image.revision() + 1,
                    image.revision() + 1, 1));
            heard.clear();
            state.restore(new ShardState.Image(image.revision() + 1, values));
            await().atMost(Duration.ofSeconds(30)).until(() -> heard.size() == 3);
            assertThat(heard).containsExactlyInAnyOrder("b DOWN>-", "a DOWN>ACTIVE", "c ->DOWN");
            put("c", "ACTIVE");
            await().atMost(Duration.ofSeconds(30)).until(() -> heard.size() == 4);
            assertThat(heard.get(3)).isEqualTo("c DOWN>ACTIVE live");
        }
    }
}
