package io.flowkeeper.controller.mastership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.cluster.ShardState;
import io.flowkeeper.cluster.testing.InMemoryDatastore;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The statistics of many switches leave a node as one transaction per interval, an unchanged document is not
 * written again, and nothing is written for a switch this node may no longer act for.
 */
@Timeout(20)
class StatisticsWriterTest {
    private static final String SHARD = FlowDocuments.OPERATIONAL_SHARD;

    private final InMemoryDatastore store = new InMemoryDatastore();
    private final Set<String> mastered = ConcurrentHashMap.newKeySet();
    private final StatisticsWriter writer = new StatisticsWriter(store, SHARD,
            (entity, generation) -> mastered.contains(entity + "@" + generation), Duration.ofHours(1));

    @AfterEach
    void close() {
        writer.close();
    }

    private static StatisticsWriter.Publication stats(long dpid, long generation, long packets) {
        Map<String, ObjectNode> documents = new LinkedHashMap<>();
        documents.put(FlowDocuments.switchPath(dpid).toString(),
                FlowDocuments.JSON.createObjectNode().put("dpid", FlowDocuments.dpid(dpid)).put("rx", packets));
        documents.put(FlowDocuments.actualPath(dpid).toString(),
                FlowDocuments.JSON.createObjectNode().put("dpid", FlowDocuments.dpid(dpid)).put("total", 1));
        return new StatisticsWriter.Publication(FlowDocuments.entity(dpid), generation, documents);
    }

    private long documents() {
        return store.list(SHARD, DataPath.of("/switches"), ReadConsistency.STALE).values().size();
    }

    @Test
    void manySwitchesAreWrittenInOneTransactionAndUnchangedOnesNotAgain() throws Exception {
        ShardState state = store.state(SHARD);
        for (long dpid = 1; dpid <= 100; dpid++) {
            mastered.add(FlowDocuments.entity(dpid) + "@3");
        }
        long revision = state.revision();
        // The interval (an hour) never fires here: the last, urgent publication flushes, so the test decides when a
        // batch is cut, however slow the machine.
        for (long dpid = 1; dpid <= 100; dpid++) {
            writer.publish(stats(dpid, 3, 0), dpid == 100);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> documents() == 100);
        assertThat(state.revision()).isEqualTo(revision + 1); // 200 documents, one transaction
        assertThat(store.get(SHARD, FlowDocuments.switchPath(1), ReadConsistency.STALE).orElseThrow().json())
                .contains("\"updated-ms\":");

        // Unchanged statistics are not written again (within the refresh time); a changed switch is, at once.
        for (long dpid = 1; dpid <= 100; dpid++) {
            writer.publish(stats(dpid, 3, dpid == 7 ? 1 : 0), dpid == 7);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> store.get(SHARD, FlowDocuments.switchPath(7),
                ReadConsistency.STALE).orElseThrow().json().contains("\"rx\":1"));
        Thread.sleep(300);
        assertThat(state.revision()).isEqualTo(revision + 2);
    }

    @Test
    void nothingIsWrittenForASwitchThisNodeNoLongerMasters() throws Exception {
        mastered.add(FlowDocuments.entity(1) + "@3");
        writer.publish(stats(1, 3, 0), false);
        writer.publish(stats(2, 5, 0), true); // generation 5 of switch 2 was never this node's
        await().atMost(Duration.ofSeconds(5)).until(() -> documents() == 1);
        Thread.sleep(300);
        assertThat(store.get(SHARD, FlowDocuments.switchPath(2), ReadConsistency.STALE)).isEmpty();
    }
}
