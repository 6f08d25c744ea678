package io.flowkeeper.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.store.Operation;
import io.flowkeeper.api.store.Precondition;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.api.store.VersionedValue;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

/**
 * Encodes what Ratis messages carry.
 *
 * <p>Log entries are binary: a kind byte, then either a batch of transactions (length-prefixed UTF-8 paths and
 * documents, no escaping; every replica decodes every entry, so this is on the write path three times) or a command
 * as JSON. Replies to writes are binary too: one result per transaction of the entry. Queries and their replies
 * stay JSON (easy to read in a packet capture, and not on the write path).
 */
final class Codec {
    static final ObjectMapper JSON = new ObjectMapper();
    /** First byte of a log entry holding transactions (see {@link #encodeBatch}). */
    private static final byte BATCH = 'B';
    /** First byte of a log entry holding a {@link ShardCommands} command (see {@link #encodeCommand}). */
    private static final byte COMMAND = 'C';
    private static final Operation.Kind[] OPERATION_KINDS = Operation.Kind.values();
    private static final Precondition.Kind[] PRECONDITION_KINDS = Precondition.Kind.values();

    private Codec() {}

    /** What a log entry holds: transactions applied one after the other, or one command. */
    record Entry(List<Transaction> transactions, String command, JsonNode args) {
        boolean isCommand() {
            return command != null;
        }
    }

    /** Several transactions in one log entry: each is checked and applied on its own, with its own revision. */
    static Message encodeBatch(List<Transaction> txns) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + 64 * txns.size());
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(BATCH);
            out.writeInt(txns.size());
            for (Transaction txn : txns) {
                out.writeInt(txn.preconditions().size());
                for (Precondition p : txn.preconditions()) {
                    writeString(out, p.path());
                    out.writeByte(p.kind().ordinal());
                    out.writeLong(p.revision());
                }
                out.writeInt(txn.operations().size());
                for (Operation op : txn.operations()) {
                    out.writeByte(op.kind().ordinal());
                    writeString(out, op.path());
                    out.writeBoolean(op.json() != null);
                    if (op.json() != null) {
                        writeString(out, op.json());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Message.valueOf(UnsafeByteOperations.unsafeWrap(bytes.toByteArray()));
    }

    /** A command for the shard's {@link ShardCommands}: its name and arguments, planned on every replica. */
    static Message encodeCommand(String command, ObjectNode args) {
        try {
            byte[] json = JSON.writeValueAsBytes(JSON.createObjectNode().put("cmd", command).set("args", args));
            byte[] entry = new byte[json.length + 1];
            entry[0] = COMMAND;
            System.arraycopy(json, 0, entry, 1, json.length);
            return Message.valueOf(UnsafeByteOperations.unsafeWrap(entry));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Decodes a log entry; throws IllegalArgumentException when the bytes are not one we wrote. */
    static Entry decodeEntry(ByteString bytes) {
        if (bytes.isEmpty()) {
            throw new IllegalArgumentException("empty log entry");
        }
        byte kind = bytes.byteAt(0);
        if (kind == COMMAND) {
            JsonNode root = parse(bytes.substring(1));
            return new Entry(List.of(), root.path("cmd").asText(), root.path("args"));
        }
        if (kind != BATCH) {
            throw new IllegalArgumentException("unknown log entry kind " + kind);
        }
        try {
            ByteBuffer in = reader(bytes);
            in.get(); // the kind
            int count = in.getInt();
            List<Transaction> txns = new ArrayList<>(Math.min(count, 4096));
            for (int t = 0; t < count; t++) {
                int preCount = in.getInt();
                List<Precondition> pre = new ArrayList<>(Math.min(preCount, 4096));
                for (int i = 0; i < preCount; i++) {
                    pre.add(new Precondition(readString(bytes, in), PRECONDITION_KINDS[in.get()], in.getLong()));
                }
                int opCount = in.getInt();
                List<Operation> ops = new ArrayList<>(Math.min(opCount, 4096));
                for (int i = 0; i < opCount; i++) {
                    Operation.Kind opKind = OPERATION_KINDS[in.get()];
                    String path = readString(bytes, in);
                    ops.add(new Operation(opKind, path, in.get() != 0 ? readString(bytes, in) : null));
                }
                txns.add(new Transaction(pre, ops));
            }
            return new Entry(txns, null, null);
        } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("truncated or corrupt log entry: " + e, e);
        }
    }

    /** The reply to a write: one result per transaction of its entry, in order. */
    static Message encodeResults(List<ShardState.Outcome> results) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(4 + 16 * results.size());
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(results.size());
            for (ShardState.Outcome r : results) {
                out.writeBoolean(r.succeeded());
                out.writeLong(r.revision());
                out.writeInt(r.failedPrecondition());
                out.writeBoolean(r.error() != null);
                if (r.error() != null) {
                    writeString(out, r.error());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Message.valueOf(UnsafeByteOperations.unsafeWrap(bytes.toByteArray()));
    }

    static List<ShardState.Outcome> decodeResults(ByteString bytes) {
        try {
            ByteBuffer in = reader(bytes);
            int count = in.getInt();
            List<ShardState.Outcome> results = new ArrayList<>(Math.min(count, 4096));
            for (int i = 0; i < count; i++) {
                boolean ok = in.get() != 0;
                long rev = in.getLong();
                int failed = in.getInt();
                results.add(new ShardState.Outcome(ok, rev, failed, in.get() != 0 ? readString(bytes, in) : null));
            }
            return results;
        } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
            throw new IllegalStateException("malformed reply from the shard: " + e, e);
        }
    }

    /**
     * Length, an ASCII flag, UTF-8 bytes. The flag costs the writer nothing (the UTF-8 form is as long as the string
     * exactly when every character is ASCII) and spares every replica a scan of each document for non-ASCII bytes:
     * with C1 only, that scan was ~6% of a leader's CPU in bench datastore.
     */
    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.writeBoolean(utf8.length == s.length());
        out.write(utf8);
    }

    /**
     * A buffer over {@code bytes} whose positions are indexes into it: a substring's own buffer starts at its offset
     * into the array it shares, hence the slice.
     */
    private static ByteBuffer reader(ByteString bytes) {
        return bytes.asReadOnlyByteBuffer().slice();
    }

    /**
     * Reads a string written by {@link #writeString} at {@code in}'s position, which is also its index in
     * {@code bytes} ({@code in} comes from {@link #reader}). Decoding from the ByteString copies the
     * bytes once, straight into the String; through a byte[] it was twice, for every document on every replica.
     */
    private static String readString(ByteString bytes, ByteBuffer in) {
        int length = in.getInt();
        boolean ascii = in.get() != 0;
        if (length < 0 || length > in.remaining()) {
            throw new IndexOutOfBoundsException("string of " + length + " bytes, " + in.remaining() + " left");
        }
        int start = in.position();
        in.position(start + length);
        return bytes.substring(start, start + length)
                .toString(ascii ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
    }

    static Message query(String kind, String path) {
        return bytes(JSON.createObjectNode().put("q", kind).put("p", path));
    }

    static ObjectNode value(VersionedValue v) {
        return JSON.createObjectNode().put("p", v.path()).put("v", v.json()).put("c", v.createRevision())
                .put("m", v.modRevision()).put("n", v.version());
    }

    static VersionedValue value(JsonNode n) {
        return new VersionedValue(n.get("p").asText(), n.get("v").asText(), n.get("c").asLong(), n.get("m").asLong(),
                n.get("n").asLong());
    }

    static Message bytes(JsonNode node) {
        try {
            return Message.valueOf(ByteString.copyFrom(JSON.writeValueAsBytes(node)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode parse(ByteString bytes) {
        try {
            return JSON.readTree(bytes.newInput());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
