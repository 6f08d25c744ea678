package io.flowkeeper.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** What a killed run leaves behind is swept by the next run; live runs of other processes are never touched. */
@Tag("integration")
class SweeperTest {

    @Test
    void aRunKilledHalfWayLeavesNothingForTheNextRun() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                KilledRunFixture.class.getName()).redirectErrorStream(true).start();
        String run = null;
        try {
            run = awaitReady(child);
            assertThat(Sweeper.leftovers(run).get("namespaces")).hasSize(3);
            assertThat(processesOf(run)).as("ovsdb-server, ovs-vswitchd").hasSizeGreaterThanOrEqualTo(2);
        } finally {
            child.destroyForcibly(); // SIGKILL: no shutdown hook runs
            child.waitFor(30, TimeUnit.SECONDS);
        }
        assertThat(Sweeper.leftovers(run).get("namespaces")).as("still there after the kill").isNotEmpty();

        List<String> swept = Sweeper.sweepDeadRuns(TestBed.ROOT);

        assertThat(swept).contains(run);
        assertThat(Sweeper.leftovers(run).get("namespaces")).isEmpty();
        assertThat(Sweeper.leftovers(run).get("links")).isEmpty();
        assertThat(TestBed.ROOT.resolve(run)).doesNotExist();
        assertThat(processesOf(run)).isEmpty();
    }

    @Test
    void liveRunsAreNotSweptAndCloseRemovesEverything() throws IOException {
        String runId;
        try (TestBed bed = TestBed.create()) {
            runId = bed.runId();
            bed.addHost("h1");
            assertThat(Sweeper.sweepDeadRuns(TestBed.ROOT)).doesNotContain(runId);
            assertThat(Sweeper.leftovers(runId).get("namespaces")).containsExactly("fk-" + runId + "-h1");
        }
        assertThat(Sweeper.leftovers(runId).get("namespaces")).isEmpty();
        assertThat(Sweeper.leftovers(runId).get("links")).isEmpty();
        assertThat(TestBed.ROOT.resolve(runId)).doesNotExist();
        assertThat(processesOf(runId)).isEmpty();
    }

    private static String awaitReady(Process child) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        StringBuilder seen = new StringBuilder();
        String line;
        while (System.nanoTime() < deadline && (line = out.readLine()) != null) {
            seen.append(line).append('\n');
            if (line.startsWith("READY ")) {
                return line.substring(6).strip();
            }
        }
        throw new AssertionError("fixture never became ready:\n" + seen);
    }

    /** Pids whose command line mentions the run's directory (the OVS daemons). */
    private static List<Long> processesOf(String run) throws IOException {
        String marker = TestBed.ROOT.resolve(run) + "/";
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String cmdline = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
                    if (cmdline.contains(marker)) {
                        pids.add(Long.parseLong(name));
                    }
                } catch (IOException gone) {
                    // process ended while we looked
                }
            }
        }
        return pids;
    }
}
