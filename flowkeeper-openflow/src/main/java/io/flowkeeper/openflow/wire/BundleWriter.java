package io.flowkeeper.openflow.wire;

import io.flowkeeper.api.flow.BundleResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;

/**
 * The one bundle algorithm of both OpenFlow sessions (the controller's TCP session and the agent's Unix-socket
 * one): OPEN with ATOMIC|ORDERED, one BUNDLE_ADD per message carrying the same flags (OVS drops a bundle whose
 * flags differ), a BARRIER, then COMMIT if the switch refused nothing, else DISCARD: OVS would otherwise commit the
 * messages it accepted. The result names every refused message.
 *
 * <p>Why a barrier settles it: a switch processes one connection's messages in order, so once the barrier is
 * answered, every BUNDLE_ADD's error (if any) has been read. Messages are written in chunks of several hundred
 * kilobytes, one write each: at 200,000 flows one write per message would cost more than the encoding.
 *
 * <p>Not thread-safe by itself: one bundle per call, on the caller's thread; the transport serializes writes.
 */
public final class BundleWriter {
    /** What a bundle with refused messages does. */
    public enum OnError {
        /** Discard the whole bundle: the table is left exactly as it was (programming, reconciliation). */
        DISCARD,
        /** Commit the messages the switch accepted and report the others (restoring a snapshot). */
        COMMIT_REST
    }

    /** The session under the algorithm: sends, waits for replies, and keeps the errors of unanswered messages. */
    public interface Transport {
        /** A fresh transaction id, unique on the session. */
        int nextXid();

        /** Sends one request and waits for the reply with its xid; throws when the switch refuses it. */
        void request(ByteBuffer message, Duration timeout) throws IOException;

        /**
         * Writes encoded messages, blocking while the session's outbound buffers are full. The caller reuses
         * {@code messages} after the call: copy what is not written yet.
         */
        void write(ByteBuffer messages) throws IOException;

        /** Removes and returns the switch's error for the message with this xid, or null if it refused nothing. */
        String takeError(int xid);

        /** Whether the session is still up (a bundle is discarded on failure only then). */
        boolean isOpen();
    }

    private final Transport transport;
    private final int chunkBytes;
    private final Duration requestTimeout;
    private final Duration commitTimeout;

    /**
     * @param chunkBytes bytes encoded before each write
     * @param requestTimeout bounds OPEN, the barrier and DISCARD
     * @param commitTimeout bounds COMMIT: committing 200,000 flows takes seconds
     */
    public BundleWriter(Transport transport, int chunkBytes, Duration requestTimeout, Duration commitTimeout) {
        this.transport = transport;
        this.chunkBytes = chunkBytes;
        this.requestTimeout = requestTimeout;
        this.commitTimeout = commitTimeout;
    }

    /**
     * Applies {@code messages} (complete OpenFlow 1.4 messages, FLOW_MODs; their xid is rewritten) in one bundle.
     *
     * @param describe names message {@code i} in a failure (appended to the switch's error; null: by index only)
     * @param progress hears the number of messages written so far, at each chunk, or null
     * @throws IOException when the session failed; an open bundle is discarded first when the session is still up
     */
    public BundleResult apply(Iterator<byte[]> messages, OnError onError, IntFunction<String> describe,
            IntConsumer progress) throws IOException {
        return stage(messages, describe, progress).commit(onError);
    }

    /**
     * Sends {@code messages} into a new bundle and leaves it open: the switch holds them, unapplied, until
     * {@link Staged#commit} (one short message, applied at once) or {@link Staged#discard}. OVS discards a bundle
     * left idle for its {@code bundle-idle-timeout} (10 s by default); a commit then fails.
     */
    public Staged stage(Iterator<byte[]> messages, IntFunction<String> describe, IntConsumer progress)
            throws IOException {
        long t0 = System.nanoTime();
        int bundleId = transport.nextXid() & 0x7fffffff;
        transport.request(OfWire.bundleControl(transport.nextXid(), bundleId, OfWire.BUNDLE_OPEN), requestTimeout);
        int[] xids = new int[1024];
        int count = 0;
        try {
            ByteBuffer chunk = ByteBuffer.allocate(chunkBytes);
            while (messages.hasNext()) {
                byte[] inner = messages.next();
                int size = OfWire.bundleAddLength(inner);
                if (chunk.remaining() < size) {
                    transport.write(chunk.flip());
                    chunk = size > chunkBytes ? ByteBuffer.allocate(size) : chunk.clear();
                    if (progress != null) {
                        progress.accept(count);
                    }
                }
                int xid = transport.nextXid();
                if (count == xids.length) {
                    xids = Arrays.copyOf(xids, count * 2);
                }
                xids[count++] = xid;
                OfWire.bundleAdd(chunk, xid, bundleId, inner);
            }
            transport.write(chunk.flip());
            if (progress != null) {
                progress.accept(count);
            }
            transport.request(OfWire.barrier(transport.nextXid()), requestTimeout);
        } catch (IOException | RuntimeException e) {
            // a message we could not encode, or the session failed: do not leave the bundle open on the switch
            discardQuietly(bundleId);
            throw e;
        }
        List<BundleResult.Failure> failures = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String error = transport.takeError(xids[i]);
            if (error != null) {
                // name the message, not just its position: callers log this line as it is
                String what = describe == null ? null : describe.apply(i);
                failures.add(new BundleResult.Failure(i, what == null ? error : error + " for " + what));
            }
        }
        return new Staged(bundleId, count, failures, System.nanoTime() - t0);
    }

    /** A bundle sent and still open on the switch: what {@link #stage} leaves. */
    public final class Staged {
        private final int bundleId;
        private final int count;
        private final List<BundleResult.Failure> failures;
        private final long stageNanos;

        private Staged(int bundleId, int count, List<BundleResult.Failure> failures, long stageNanos) {
            this.bundleId = bundleId;
            this.count = count;
            this.failures = List.copyOf(failures);
            this.stageNanos = stageNanos;
        }

        /** Messages in the bundle. */
        public int messages() {
            return count;
        }

        /** The messages the switch refused as they were added (they are not in the bundle). */
        public List<BundleResult.Failure> failures() {
            return failures;
        }

        /** How long sending the messages took. */
        public Duration staging() {
            return Duration.ofNanos(stageNanos);
        }

        /**
         * Commits the bundle, or discards it when a message was refused and {@code onError} says so. The result's
         * time is the staging's plus the commit's.
         *
         * @throws IOException when the switch refuses the commit (e.g. it discarded the idle bundle) or the
         *     session failed
         */
        public BundleResult commit(OnError onError) throws IOException {
            long t0 = System.nanoTime();
            boolean commit = failures.isEmpty() || onError == OnError.COMMIT_REST;
            transport.request(OfWire.bundleControl(transport.nextXid(), bundleId,
                    commit ? OfWire.BUNDLE_COMMIT : OfWire.BUNDLE_DISCARD), commit ? commitTimeout : requestTimeout);
            return new BundleResult(count, commit, failures, Duration.ofNanos(stageNanos + System.nanoTime() - t0));
        }

        /** Discards the bundle (quietly: the switch may have discarded it already). */
        public void discard() {
            discardQuietly(bundleId);
        }
    }

    private void discardQuietly(int bundleId) {
        if (!transport.isOpen()) {
            return;
        }
        try {
            transport.request(OfWire.bundleControl(transport.nextXid(), bundleId, OfWire.BUNDLE_DISCARD),
                    requestTimeout);
        } catch (IOException | RuntimeException ignored) {
            // the original failure is the one to report
        }
    }
}
