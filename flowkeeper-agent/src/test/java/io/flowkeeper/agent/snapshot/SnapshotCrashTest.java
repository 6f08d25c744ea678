package io.flowkeeper.agent.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The snapshot under kill -9 and a full disk: it always loads, and it never loses acknowledged state. */
@Tag("integration")
class SnapshotCrashTest {
    private static final int KILLS = 50;

    @TempDir
    Path dir;

    @Test
    void killedFiftyTimesDuringHeavyChurnTheSnapshotAlwaysLoadsWithEveryAcknowledgedChange() throws Exception {
        Random random = new Random(42);
        int next = 0;
        String java = ProcessHandle.current().info().command().orElse("java");
        for (int kill = 0; kill < KILLS; kill++) {
            // The child's ACKs go to a file, not a pipe: after SIGKILL the JVM's process reaper closes a pipe
            // under its reader and the last ACKs would be lost; a file keeps every byte the child wrote.
            Path acks = dir.resolveSibling(dir.getFileName() + "-acks-" + kill);
            Process child = new ProcessBuilder(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                    ChurnWriter.class.getName(), dir.toString(), Integer.toString(next))
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .redirectOutput(acks.toFile()).start();
            int acksWanted = 1 + random.nextInt(200);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            try {
                while (countAcks(acks) < acksWanted && child.isAlive() && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
            } finally {
                child.destroyForcibly(); // SIGKILL, mid-write
                child.waitFor(30, TimeUnit.SECONDS);
            }
            List<String> lines = Files.readAllLines(acks);
            Files.delete(acks);
            int lastAck = lines.stream().filter(l -> l.startsWith("ACK ") && l.length() > 4)
                    .mapToInt(l -> Integer.parseInt(l.substring(4).strip())).max().orElse(-1);
            assertThat(lastAck).as("child %d acknowledged nothing", kill).isGreaterThanOrEqualTo(next);
            assertLoadsConsistently(lastAck, kill);
            next = lastAck + 1;
        }
    }

    /**
     * Nothing acknowledged is lost and nothing is invented: every key holds its value in some state between the
     * last acknowledged operation and one batch later (flushed, killed before its ACK was printed); no damage
     * other than a torn tail.
     */
    private void assertLoadsConsistently(int lastAck, int kill) throws IOException {
        List<SnapshotDamage> damage = new ArrayList<>();
        try (FlowSnapshot s = FlowSnapshot.open(dir)) { // recovery: truncates torn tails, removes .tmp files
            assertThat(s.partitions()).isEqualTo(8);
        }
        Map<String, String> loaded = FlowSnapshotTest.load(dir, damage);
        assertThat(damage).as("kill %d", kill).allMatch(SnapshotDamage::tornTail);

        Map<Integer, Set<String>> allowed = new HashMap<>();
        Map<Integer, Integer> state = ChurnWriter.model(lastAck);
        allow(allowed, state);
        for (int i = lastAck + 1; i <= lastAck + ChurnWriter.BATCH; i++) {
            ChurnWriter.apply(state, i);
            allow(allowed, state);
        }
        for (int k = 0; k < ChurnWriter.KEYS; k++) {
            String got = loaded.getOrDefault("flow-" + k, "<absent>");
            assertThat(allowed.get(k)).as("kill %d, key flow-%d, last ack %d", kill, k, lastAck).contains(got);
        }
    }

    private static void allow(Map<Integer, Set<String>> allowed, Map<Integer, Integer> state) {
        for (int k = 0; k < ChurnWriter.KEYS; k++) {
            Integer op = state.get(k);
            String v = op == null ? "<absent>" : new String(FlowSnapshotTest.value(k, op), StandardCharsets.UTF_8);
            allowed.computeIfAbsent(k, x -> new HashSet<>()).add(v);
        }
    }

    @Test
    void aFullDiskDegradesTheSnapshotButNeverDestroysTheLastGoodOne() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "mounting a tiny tmpfs needs root");
        Path mount = dir.resolve("tiny");
        Files.createDirectories(mount);
        run("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mount.toString());
        try {
            Path snap = mount.resolve("br-int");
            try (FlowSnapshot s = FlowSnapshot.open(snap, 4, FsyncPolicy.EVERY_FLUSH, Long.MAX_VALUE)) {
                for (int i = 0; i < 100; i++) {
                    s.put(FlowSnapshotTest.key(i), FlowSnapshotTest.value(i, 1));
                }
                s.flush();
                Map<String, String> good = FlowSnapshotTest.load(snap);
                assertThat(good).hasSize(100);

                Path filler = mount.resolve("filler");
                run("sh", "-c", "dd if=/dev/zero of=" + filler + " bs=4k 2>/dev/null || true");
                SnapshotWriteException failure = null;
                for (int i = 100; i < 5000 && failure == null; i++) {
                    try {
                        s.put(FlowSnapshotTest.key(i), FlowSnapshotTest.value(i, 1));
                        s.flush();
                    } catch (SnapshotWriteException e) {
                        failure = e;
                    }
                }
                assertThat(failure).as("the disk never filled").isNotNull();
                assertThat(s.degradedReason()).contains("No space left");
                assertThat(s.needsResync()).isTrue();
                // What was flushed before the disk filled is all still there and readable.
                assertThat(FlowSnapshotTest.load(snap)).containsAllEntriesOf(good);

                // A rebase with no room fails and keeps the old snapshot.
                try (FlowSnapshot.Rebase r = s.rebase()) {
                    for (int i = 0; i < 3000; i++) {
                        r.put(FlowSnapshotTest.key(i), FlowSnapshotTest.value(i, 2));
                    }
                    r.commit();
                } catch (IOException expected) {
                    // no space for the new base
                }
                assertThat(FlowSnapshotTest.load(snap)).containsAllEntriesOf(good);

                // Space comes back: a rebase from the switch's table makes it whole and healthy again.
                Files.delete(filler);
                try (FlowSnapshot.Rebase r = s.rebase()) {
                    for (int i = 0; i < 150; i++) {
                        r.put(FlowSnapshotTest.key(i), FlowSnapshotTest.value(i, 3));
                    }
                    r.commit();
                }
                assertThat(s.degradedReason()).isNull();
                assertThat(s.needsResync()).isFalse();
            }
            assertThat(FlowSnapshotTest.load(snap)).hasSize(150);
        } finally {
            run("umount", "-l", mount.toString());
        }
    }

    private static long countAcks(Path acks) throws IOException {
        return Files.exists(acks) ? Files.size(acks) / "ACK 00000\n".length() : 0;
    }

    private static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
    }
}
