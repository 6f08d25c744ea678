package io.flowkeeper.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.api.store.CommitResult;
import io.flowkeeper.api.store.Operation;
import io.flowkeeper.api.store.Precondition;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.api.store.VersionedValue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/**
 * Encodes commands, queries and replies carried in Ratis messages, as compact JSON: easy to inspect in a log dump,
 * and the documents are JSON already. One transaction is one log entry.
 */
final class Codec {
    static final ObjectMapper JSON = new ObjectMapper();

    private Codec() {}

    static Message encodeTransaction(Transaction txn) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode pre = root.putArray("pre");
        for (Precondition p : txn.preconditions()) {
            pre.addObject().put("p", p.path()).put("k", p.kind().name()).put("r", p.revision());
        }
        ArrayNode ops = root.putArray("ops");
        for (Operation op : txn.operations()) {
            ObjectNode o = ops.addObject().put("k", op.kind().name()).put("p", op.path());
            if (op.json() != null) {
                o.put("v", op.json());
            }
        }
        return bytes(root);
    }

    /** A command for the shard's {@link ShardCommands}: its name and arguments, planned on every replica. */
    static Message encodeCommand(String command, ObjectNode args) {
        return bytes(JSON.createObjectNode().put("cmd", command).set("args", args));
    }

    static Transaction decodeTransaction(ByteString bytes) {
        return decodeTransaction(parse(bytes));
    }

    /** A log entry's transaction, or {@code null} when it is a command (see {@link #encodeCommand}). */
    static Transaction decodeTransaction(JsonNode root) {
        if (root.has("cmd")) {
            return null;
        }
        List<Precondition> pre = new ArrayList<>();
        for (JsonNode p : root.path("pre")) {
            pre.add(new Precondition(p.get("p").asText(), Precondition.Kind.valueOf(p.get("k").asText()),
                    p.path("r").asLong()));
        }
        List<Operation> ops = new ArrayList<>();
        for (JsonNode o : root.path("ops")) {
            ops.add(new Operation(Operation.Kind.valueOf(o.get("k").asText()), o.get("p").asText(),
                    o.has("v") ? o.get("v").asText() : null));
        }
        return new Transaction(pre, ops);
    }

    static Message encodeResult(CommitResult r, int failedIndex) {
        return bytes(JSON.createObjectNode().put("ok", r.succeeded()).put("rev", r.revision()).put("f", failedIndex));
    }

    static CommitResult decodeResult(ByteString bytes, Transaction txn) {
        JsonNode n = parse(bytes);
        int f = n.path("f").asInt(-1);
        return new CommitResult(n.get("ok").asBoolean(), n.get("rev").asLong(),
                f >= 0 ? txn.preconditions().get(f) : null);
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
