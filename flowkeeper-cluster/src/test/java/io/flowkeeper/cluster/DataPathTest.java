package io.flowkeeper.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowkeeper.api.store.DataPath;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Paths are the datastore's keys: what is accepted, and that a prefix never matches a sibling. */
class DataPathTest {
    @Test
    void validPathsAreNormalisedAndPrefixesMatchOnlyTheirSubtree() {
        DataPath p = DataPath.of("/networks/net-1/");
        assertThat(p.toString()).isEqualTo("/networks/net-1");
        assertThat(p.segments()).containsExactly("networks", "net-1");
        assertThat(p.contains("/networks/net-1/ports/p1")).isTrue();
        assertThat(p.contains("/networks/net-1")).isTrue();
        assertThat(p.contains("/networks/net-10")).isFalse();
        assertThat(DataPath.ROOT.contains("/anything")).isTrue();
        assertThat(DataPath.of("/a").child("b")).isEqualTo(DataPath.of("/a/b"));
    }

    @Test
    void invalidPathsAreRejectedWithTheReason() {
        for (String bad : List.of("", "a/b", "/a//b", "/a/../b", "/a/./b", "/a b", "/x/" + "y".repeat(129))) {
            assertThatThrownBy(() -> DataPath.of(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> DataPath.of("/" + "a/".repeat(300))).hasMessageContaining("longer than 512");
    }

    @Test
    void preferredLeadersSpreadShardsRoundRobinOverSortedMembers() {
        List<String> members = List.of("n1", "n2", "n3");
        assertThat(List.of(0, 1, 2, 3).stream().map(i -> LeaderBalancer.preferredLeader(members, i)).toList())
                .containsExactly("n1", "n2", "n3", "n1");
    }

    @Test
    void shardGroupIdsAreStableAndDistinct() {
        assertThat(ShardCatalog.groupUuid("network-config")).isEqualTo(ShardCatalog.groupUuid("network-config"));
        assertThat(ShardCatalog.groupUuid("network-config")).isNotEqualTo(ShardCatalog.groupUuid("ownership"));
        assertThatThrownBy(() -> new ShardCatalog(List.of(new ShardCatalog.Shard("Bad_Name",
                ShardCatalog.Kind.CONFIG, "")))).hasMessageContaining("invalid shard name");
    }
}
