package io.flowkeeper.openflow.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowkeeper.api.flow.BundleResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * The bundle algorithm alone, over a scripted transport that decodes what it is sent: the order of OPEN, ADDs,
 * BARRIER and COMMIT or DISCARD, the flags every message carries, and the naming of refused messages. The real
 * sessions are exercised against OVS in SouthboundTest and UnixSwitchConnectionTest.
 */
class BundleWriterTest {
    private static final Duration T = Duration.ofSeconds(1);

    /** Records every message; refuses the ADDs whose inner FLOW_MOD has a chosen priority. */
    private static final class ScriptedTransport implements BundleWriter.Transport {
        final List<String> sent = new ArrayList<>();
        final Map<Integer, String> errors = new ConcurrentHashMap<>();
        final Set<Integer> refusedPriorities;
        int xid = 100;
        int writes;
        boolean open = true;

        ScriptedTransport(Set<Integer> refusedPriorities) {
            this.refusedPriorities = refusedPriorities;
        }

        @Override
        public int nextXid() {
            return xid++;
        }

        @Override
        public void request(ByteBuffer message, Duration timeout) throws IOException {
            if (!open) {
                throw new IOException("closed");
            }
            byte type = message.get(1);
            if (type == OfWire.BUNDLE_CONTROL) {
                short control = message.getShort(12);
                assertThat(message.getShort(14)).as("control flags").isEqualTo(OfWire.BUNDLE_FLAGS);
                sent.add(switch (control) {
                    case OfWire.BUNDLE_OPEN -> "OPEN";
                    case OfWire.BUNDLE_COMMIT -> "COMMIT";
                    case OfWire.BUNDLE_DISCARD -> "DISCARD";
                    default -> "CONTROL " + control;
                });
            } else if (type == OfWire.BARRIER_REQUEST) {
                sent.add("BARRIER");
            } else {
                throw new AssertionError("unexpected request type " + type);
            }
        }

        @Override
        public void write(ByteBuffer messages) {
            writes++;
            while (messages.hasRemaining()) {
                int at = messages.position();
                int length = Short.toUnsignedInt(messages.getShort(at + 2));
                assertThat(messages.get(at + 1)).isEqualTo(OfWire.BUNDLE_ADD_MESSAGE);
                assertThat(messages.getShort(at + 14)).as("ADD flags equal OPEN's").isEqualTo(OfWire.BUNDLE_FLAGS);
                int outerXid = messages.getInt(at + 4);
                assertThat(messages.getInt(at + 16 + 4)).as("inner xid = outer xid").isEqualTo(outerXid);
                int priority = Short.toUnsignedInt(messages.getShort(at + 16 + 30));
                sent.add("ADD " + priority);
                if (refusedPriorities.contains(priority)) {
                    errors.put(outerXid, "FLOW_MOD_FAILED code 5");
                }
                messages.position(at + length);
            }
        }

        @Override
        public String takeError(int xid) {
            return errors.remove(xid);
        }

        @Override
        public boolean isOpen() {
            return open;
        }
    }

    /** A FLOW_MOD ADD of an empty match at {@code priority}. */
    private static byte[] flowMod(int priority) {
        byte[] mod = OfWire.deleteAllFlows().clone();
        mod[25] = 0; // command ADD
        mod[30] = (byte) (priority >> 8);
        mod[31] = (byte) priority;
        return mod;
    }

    private static Iterator<byte[]> mods(int... priorities) {
        List<byte[]> out = new ArrayList<>();
        for (int p : priorities) {
            out.add(flowMod(p));
        }
        return out.iterator();
    }

    @Test
    void acceptedMessagesAreCommittedAfterTheBarrier() throws IOException {
        ScriptedTransport t = new ScriptedTransport(Set.of());
        BundleResult r = new BundleWriter(t, 1 << 16, T, T).apply(mods(1, 2, 3), BundleWriter.OnError.DISCARD,
                null, null);

        assertThat(r.committed()).isTrue();
        assertThat(r.messages()).isEqualTo(3);
        assertThat(r.failures()).isEmpty();
        assertThat(t.sent).containsExactly("OPEN", "ADD 1", "ADD 2", "ADD 3", "BARRIER", "COMMIT");
    }

    /** A staged bundle is sent and left open: nothing is committed until the caller says so, in one message. */
    @Test
    void aStagedBundleIsCommittedOnlyWhenAskedInOneMessage() throws IOException {
        ScriptedTransport t = new ScriptedTransport(Set.of());
        BundleWriter.Staged staged = new BundleWriter(t, 1 << 16, T, T).stage(mods(1, 2, 3), null, null);

        assertThat(staged.messages()).isEqualTo(3);
        assertThat(t.sent).containsExactly("OPEN", "ADD 1", "ADD 2", "ADD 3", "BARRIER");
        BundleResult r = staged.commit(BundleWriter.OnError.DISCARD);
        assertThat(r.committed()).isTrue();
        assertThat(r.messages()).isEqualTo(3);
        assertThat(t.sent).containsExactly("OPEN", "ADD 1", "ADD 2", "ADD 3", "BARRIER", "COMMIT");
    }

    /** A switch that dropped the staged bundle refuses its commit: the caller hears it. */
    @Test
    void aStagedBundleWhoseCommitFailsThrows() throws IOException {
        ScriptedTransport t = new ScriptedTransport(Set.of());
        BundleWriter.Staged staged = new BundleWriter(t, 1 << 16, T, T).stage(mods(1), null, null);
        t.open = false;
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> staged.commit(BundleWriter.OnError.COMMIT_REST))
                .isInstanceOf(IOException.class);
    }

    @Test
    void anyRefusedMessageDiscardsTheBundleAndEveryRefusalIsNamed() throws IOException {
        ScriptedTransport t = new ScriptedTransport(Set.of(2, 4));
        BundleResult r = new BundleWriter(t, 1 << 16, T, T).apply(mods(1, 2, 3, 4), BundleWriter.OnError.DISCARD,
                i -> "flow #" + i, null);

        assertThat(r.committed()).isFalse();
        assertThat(r.failures()).extracting(BundleResult.Failure::index).containsExactly(1, 3);
        assertThat(r.failures().get(0).error()).isEqualTo("FLOW_MOD_FAILED code 5 for flow #1");
        assertThat(t.sent).endsWith("BARRIER", "DISCARD");
    }

    @Test
    void aRestoreCommitsWhatTheSwitchAcceptedAndReportsTheRest() throws IOException {
        ScriptedTransport t = new ScriptedTransport(Set.of(3));
        BundleResult r = new BundleWriter(t, 1 << 16, T, T).apply(mods(1, 2, 3), BundleWriter.OnError.COMMIT_REST,
                null, null);

        assertThat(r.committed()).isTrue();
        assertThat(r.failures()).singleElement().satisfies(f -> {
            assertThat(f.index()).isEqualTo(2);
            assertThat(f.error()).isEqualTo("FLOW_MOD_FAILED code 5");
        });
        assertThat(t.sent).endsWith("COMMIT");
    }

    @Test
    void messagesGoOutInChunksAndProgressIsReportedPerChunk() throws IOException {
        ScriptedTransport t = new ScriptedTransport(Set.of());
        int[] priorities = new int[100];
        for (int i = 0; i < priorities.length; i++) {
            priorities[i] = i;
        }
        List<Integer> progress = new ArrayList<>();
        // each BUNDLE_ADD is 16 + 56 bytes: a 720-byte chunk holds 10 of them
        new BundleWriter(t, 720, T, T).apply(mods(priorities), BundleWriter.OnError.DISCARD, null, progress::add);

        assertThat(t.writes).isEqualTo(10);
        assertThat(progress).last().isEqualTo(100);
        assertThat(t.sent.stream().filter(s -> s.startsWith("ADD"))).hasSize(100);
    }

    @Test
    void aMessageThatCannotBeProducedDiscardsTheOpenBundleAndFails() {
        ScriptedTransport t = new ScriptedTransport(Set.of());
        Iterator<byte[]> failing = new Iterator<>() {
            int n;

            @Override
            public boolean hasNext() {
                return true;
            }

            @Override
            public byte[] next() {
                if (n++ == 2) {
                    throw new IllegalArgumentException("cannot encode flow #2");
                }
                return flowMod(n);
            }
        };

        assertThatThrownBy(() -> new BundleWriter(t, 1 << 16, T, T).apply(failing, BundleWriter.OnError.DISCARD,
                null, null)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("flow #2");
        assertThat(t.sent).containsExactly("OPEN", "DISCARD");
    }
}
