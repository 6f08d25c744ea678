package io.flowkeeper.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowkeeper.api.store.Operation;
import io.flowkeeper.api.store.Precondition;
import io.flowkeeper.api.store.Transaction;
import java.util.List;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

/** Log entries and write replies: what every replica decodes, and what it does with bytes it did not write. */
class CodecTest {
    @Test
    void aBatchOfTransactionsRoundTripsWithDocumentsUnescaped() {
        Transaction first = Transaction.builder()
                .require(Precondition.absent("/ips/10.0.0.5"))
                .require(Precondition.modRevision("/nets/n1", 42))
                .put("/ips/10.0.0.5", "{\"port\":\"p1\",\"note\":\"quotes \\\" and ünïcödé\"}")
                .delete("/old")
                .build();
        Transaction second = new Transaction(List.of(), List.of(Operation.deletePrefix("/tmp")));

        Codec.Entry entry = Codec.decodeEntry(Codec.encodeBatch(List.of(first, second)).getContent());

        assertThat(entry.isCommand()).isFalse();
        assertThat(entry.transactions()).containsExactly(first, second);

        // The same bytes inside a larger buffer, as a message parsed out of a bigger one can hand them over.
        ByteString encoded = Codec.encodeBatch(List.of(first, second)).getContent();
        ByteString inside = ByteString.copyFromUtf8("prefix").concat(encoded).concat(ByteString.copyFromUtf8("!"))
                .substring(6, 6 + encoded.size());
        ByteString flat = ByteString.copyFrom(ByteString.copyFromUtf8("prefix").concat(encoded).toByteArray())
                .substring(6);
        assertThat(Codec.decodeEntry(inside).transactions()).containsExactly(first, second);
        assertThat(Codec.decodeEntry(flat).transactions()).containsExactly(first, second);
    }

    @Test
    void aCommandIsTellableFromTransactions() {
        var args = Codec.JSON.createObjectNode().put("node", "n1");
        Codec.Entry entry = Codec.decodeEntry(Codec.encodeCommand("renew", args).getContent());
        assertThat(entry.isCommand()).isTrue();
        assertThat(entry.command()).isEqualTo("renew");
        assertThat(entry.args().get("node").asText()).isEqualTo("n1");
    }

    @Test
    void resultsKeepTheirOrderAndRefusals() {
        List<ShardState.Outcome> results = List.of(new ShardState.Outcome(true, 7, -1, null),
                new ShardState.Outcome(false, 7, 1, null),
                ShardState.Outcome.refused(7, "path must start with '/': x"));
        assertThat(Codec.decodeResults(Codec.encodeResults(results).getContent())).isEqualTo(results);
        ByteString atAnOffset = ByteString.copyFrom(ByteString.copyFromUtf8("xyz")
                .concat(Codec.encodeResults(results).getContent()).toByteArray()).substring(3);
        assertThat(Codec.decodeResults(atAnOffset)).isEqualTo(results);
    }

    @Test
    void truncatedCorruptOrForeignEntriesAreRefusedNotMisread() {
        ByteString whole = Codec.encodeBatch(List.of(Transaction.builder().put("/a", "{\"x\":1}").build()))
                .getContent();
        for (int cut = 0; cut < whole.size(); cut++) {
            ByteString truncated = whole.substring(0, cut);
            assertThatThrownBy(() -> Codec.decodeEntry(truncated)).as("cut at %d", cut)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        byte[] bytes = whole.toByteArray();
        bytes[5 + 4 + 4] = 9; // an operation kind that does not exist
        assertThatThrownBy(() -> Codec.decodeEntry(ByteString.copyFrom(bytes)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Codec.decodeEntry(ByteString.copyFromUtf8("{\"pre\":[],\"ops\":[]}")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown log entry kind");
    }
}
