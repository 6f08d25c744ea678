package io.flowkeeper.agent.snapshot;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Run in a child JVM by {@link SnapshotCrashTest}: applies the deterministic operation sequence {@link #op} from a
 * given index on, as fast as it can, flushing every {@value #BATCH} operations and printing {@code ACK <i>} after
 * each flush, with frequent compactions and a full rebase now and then, until it is killed.
 */
public final class ChurnWriter {
    static final int KEYS = 500;
    static final int BATCH = 50;
    static final int REBASE_EVERY = 4000;

    private ChurnWriter() {
    }

    /** Operation i: a delete every 7th, otherwise a put of a value naming i. Returns null for a delete. */
    static byte[] op(int i) {
        return i % 7 == 0 ? null : FlowSnapshotTest.value(i % KEYS, i);
    }

    /** The model's state after operations 0..last. */
    static Map<Integer, Integer> model(int last) {
        Map<Integer, Integer> state = new HashMap<>();
        for (int i = 0; i <= last; i++) {
            apply(state, i);
        }
        return state;
    }

    static void apply(Map<Integer, Integer> state, int i) {
        if (op(i) == null) {
            state.remove(i % KEYS);
        } else {
            state.put(i % KEYS, i);
        }
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int start = Integer.parseInt(args[1]);
        Map<Integer, Integer> state = model(start - 1);
        try (FlowSnapshot s = FlowSnapshot.open(dir, 8, FsyncPolicy.DEFAULT, 32 << 10)) {
            for (int i = start; ; i++) {
                byte[] v = op(i);
                if (v == null) {
                    s.delete(FlowSnapshotTest.key(i % KEYS));
                } else {
                    s.put(FlowSnapshotTest.key(i % KEYS), v);
                }
                apply(state, i);
                if (i % REBASE_EVERY == REBASE_EVERY - 1) {
                    try (FlowSnapshot.Rebase r = s.rebase()) {
                        for (Map.Entry<Integer, Integer> e : state.entrySet()) {
                            r.put(FlowSnapshotTest.key(e.getKey()), FlowSnapshotTest.value(e.getKey(), e.getValue()));
                        }
                        r.commit();
                    }
                }
                if (i % BATCH == BATCH - 1) {
                    s.flush();
                    System.out.println("ACK " + i);
                }
            }
        }
    }
}
