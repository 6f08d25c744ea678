package io.flowkeeper.controller;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layering the modules promise, checked on the source tree (a plain scan, no bytecode library): code above the
 * store and the southbound depends on the services in {@code flowkeeper-api} only, and the fast test layer stays
 * fast.
 */
class ArchitectureTest {
    private static final Path ROOT = reactorRoot();

    /** Modules whose code must reach the cluster and the southbound through services only. */
    private static final List<String> SERVICE_ONLY_MODULES = List.of("flowkeeper-controller", "flowkeeper-network");

    private static final Pattern IMPLEMENTATION_REFERENCE =
            Pattern.compile("\\bio\\.flowkeeper\\.(cluster|openflow)\\.");

    /**
     * Files that may still name {@code io.flowkeeper.cluster} or {@code io.flowkeeper.openflow} types, and why: the
     * node wiring only: everything else reaches the store, ownership and switches through the services of
     * {@code flowkeeper-api}. This list should only shrink, and an entry that no longer needs it fails the test.
     */
    private static final Map<String, String> ALLOWED = Map.of(
            "flowkeeper-controller/src/main/java/io/flowkeeper/controller/ControllerNode.java",
            "node wiring: builds the ClusterNode, the ReplicatedOwnership over it and the OpenFlowServer",
            "flowkeeper-controller/src/main/java/io/flowkeeper/controller/ControllerConfig.java",
            "node wiring: reads the cluster: section of the node's YAML into ClusterConfig and ShardCatalog");

    private static Path reactorRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("flowkeeper-api"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("run from inside the Flowkeeper source tree");
        }
        return dir;
    }

    private static List<Path> javaFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
    }

    /** The source without comments, so a Javadoc mention is not a dependency. */
    private static String code(Path file) throws IOException {
        return Files.readString(file).replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\\n]*", "");
    }

    @Test
    void codeAboveTheServicesDoesNotReachIntoTheClusterOrTheSouthbound() throws IOException {
        Map<String, String> found = new TreeMap<>();
        for (String module : SERVICE_ONLY_MODULES) {
            for (Path file : javaFiles(ROOT.resolve(module).resolve("src/main/java"))) {
                var m = IMPLEMENTATION_REFERENCE.matcher(code(file));
                if (m.find()) {
                    found.put(ROOT.relativize(file).toString(), m.group());
                }
            }
        }
        assertThat(found.keySet())
                .as("files naming io.flowkeeper.cluster/openflow types (allowed: %s)", ALLOWED.keySet())
                .isSubsetOf(ALLOWED.keySet());
        assertThat(ALLOWED.keySet()).as("allowed files that no longer need it: remove them from ALLOWED")
                .isSubsetOf(found.keySet());
    }

    /** What only an integration test does: real OVS hosts, controller processes, other JVMs. */
    private static final Pattern HEAVY = Pattern.compile(
            "\\b(TestBed|LocalCluster|MastershipBed|ControllerNode|ProcessBuilder|AgentProcess)\\b"
                    + "|Main\\.run\\(\"(bench|demo)\"\\)|Main\\.run\\(\"bench\",");

    @Test
    void everyTestThatNeedsOvsOrOtherProcessesIsTaggedIntegration() throws IOException {
        TreeSet<String> untagged = new TreeSet<>();
        int heavy = 0;
        try (Stream<Path> modules = Files.list(ROOT)) {
            for (Path module : modules.filter(m -> Files.isRegularFile(m.resolve("pom.xml"))).toList()) {
                for (Path file : javaFiles(module.resolve("src/test/java"))) {
                    String code = code(file);
                    boolean self = file.endsWith("ArchitectureTest.java"); // names the markers, runs none
                    if (self || !code.contains("@Test") || !HEAVY.matcher(code).find()) {
                        continue;
                    }
                    heavy++;
                    if (!code.contains("@Tag(\"integration\")")) {
                        untagged.add(ROOT.relativize(file).toString());
                    }
                }
            }
        }
        assertThat(heavy).as("test files found needing OVS or processes").isGreaterThan(10);
        assertThat(untagged).as("tests that `mvn test` would run although they need OVS or other processes")
                .isEmpty();
    }
}
