package io.flowkeeper.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.controller.pki.LabPki;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The command line as an operator meets it: version, help, errors, the demo and the test-bed benchmark. */
class MainTest {
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    private String stdout() {
        return console.out();
    }

    private String stderr() {
        return console.err();
    }

    @Test
    void versionAndHelp() {
        assertThat(Main.run("--version")).isZero();
        assertThat(stdout()).startsWith("flowkeeper ");
        assertThat(Main.run("--help")).isZero();
        assertThat(stdout()).contains("demo", "bench", "testbed");
    }

    @Test
    void anUnknownCommandIsAUsageErrorWithExitCode2() {
        assertThat(Main.run("no-such-command")).isEqualTo(2);
        assertThat(stderr()).contains("Unmatched argument");
    }

    @Test
    void badOptionValuesGetOneLineAndANonZeroExit() {
        assertThat(Main.run("bench", "testbed", "--repeat", "zero")).isEqualTo(2);
        assertThat(stderr()).contains("--repeat");
    }

    @Test
    @Tag("integration")
    void theTestbedBenchmarkProducesJsonRows() throws Exception {
        assertThat(Main.run("bench", "testbed", "--small", "--json")).isZero();
        JsonNode doc = new ObjectMapper().readTree(stdout());
        assertThat(doc.get("benchmark").asText()).contains("test bed");
        assertThat(doc.get("rows")).hasSize(3);
        double p50 = doc.get("rows").get(0).get("p50_s").asDouble();
        // A behaviour bound, not a timing target: the bench measures; this only proves it ran for real.
        assertThat(p50).isPositive().isLessThan(30);
    }

    @Test
    @Tag("integration")
    void theRestoreBenchmarkRunsItsSmallVersion() throws Exception {
        assertThat(Main.run("bench", "restore", "--small", "--json")).as(stderr()).isZero();
        JsonNode doc = new ObjectMapper().readTree(stdout());
        assertThat(doc.get("rows")).hasSize(3);
        JsonNode agent = doc.get("rows").get(0);
        assertThat(agent.get("method").asText()).isEqualTo("agent snapshot restore");
        assertThat(agent.get("flows").asInt()).isEqualTo(2001);
        assertThat(agent.get("agent_heap_mib").asInt()).isPositive().isLessThan(128);
        assertThat(doc.get("notes").toString()).contains("changes/s");
    }

    @Test
    @Tag("integration")
    void theSouthboundBenchmarkRunsItsSmallVersion() throws Exception {
        assertThat(Main.run("bench", "southbound", "--small", "--json")).as(stderr()).isZero();
        JsonNode doc = new ObjectMapper().readTree(stdout());
        assertThat(doc.get("rows")).hasSize(3);
        for (JsonNode row : doc.get("rows")) {
            assertThat(row.get("flows").asInt()).isEqualTo(1999);
            assertThat(row.get("flowkeeper_s").asDouble()).isPositive();
            assertThat(row.get("ovs_ofctl_s").asDouble()).isPositive();
        }
    }

    @Test
    void theAgentRefusesBadInputWithOneLineAndExit2() {
        assertThat(Main.run("agent", "--ovs-rundir", "/tmp")).isEqualTo(2);
        assertThat(stderr()).contains("no bridge given");
        assertThat(Main.run("agent", "--ovs-rundir", "/nonexistent", "--bridge", "br-int")).isEqualTo(2);
        assertThat(stderr()).contains("is not a directory");
        assertThat(Main.run("agent", "--ovs-rundir", "/tmp", "--bridge", "no such bridge")).isEqualTo(2);
        assertThat(stderr()).contains("not a bridge name");
        assertThat(Main.run("agent", "--ovs-rundir", "/tmp", "--api", "http://127.0.0.1:1", "--token-file",
                "/nonexistent/token")).isEqualTo(2);
        assertThat(stderr()).contains("--token-file: cannot read");
    }

    @Test
    void theAgentRefusesHttpsWithoutItsTlsFilesAndACertificateOfAnotherHost(@TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path token = java.nio.file.Files.writeString(dir.resolve("token"), "t\n");
        java.nio.file.Files.setPosixFilePermissions(token, java.nio.file.attribute.PosixFilePermissions
                .fromString("rw-------"));
        assertThat(Main.run("agent", "--ovs-rundir", "/tmp", "--api", "https://127.0.0.1:1", "--token-file",
                token.toString(), "--host", "h1")).isEqualTo(2);
        assertThat(stderr().strip()).doesNotContain("\n").contains("--api https://127.0.0.1:1 is HTTPS: give"
                + " --ca-file");
        LabPki pki = new LabPki(dir.resolve("pki"), java.time.Duration.ofDays(1));
        pki.init(java.util.List.of(), java.util.List.of(new LabPki.HostSpec("h2", java.util.List.of())));
        assertThat(Main.run("agent", "--ovs-rundir", "/tmp", "--api", "https://127.0.0.1:1", "--token-file",
                token.toString(), "--host", "h1", "--ca-file", pki.caCertificate().toString())).isEqualTo(2);
        assertThat(stderr()).contains("go together");
        assertThat(Main.run("agent", "--ovs-rundir", "/tmp", "--api", "https://127.0.0.1:1", "--token-file",
                token.toString(), "--host", "h1", "--ca-file", pki.caCertificate().toString(), "--cert-file",
                pki.hostCertificate("h2").toString(), "--key-file", pki.hostKey("h2").toString())).isEqualTo(2);
        assertThat(stderr()).contains("is host h2", "not a certificate of host h1");
        pki.init(java.util.List.of(), java.util.List.of(new LabPki.HostSpec("h1", java.util.List.of())));
        assertThat(Main.run("agent", "--ovs-rundir", "/tmp", "--api", "https://127.0.0.1:1", "--token-file",
                token.toString(), "--host", "h1", "--ca-file", pki.caCertificate().toString(), "--cert-file",
                pki.hostCertificate("h1").toString(), "--key-file", pki.hostKey("h2").toString())).isEqualTo(2);
        assertThat(stderr()).contains("--key-file: " + pki.hostKey("h2") + " is not the key of the certificate");
        assertThat(Main.run("agent", "--ovs-rundir", "/tmp", "--api", "https://127.0.0.1:1", "--token-file",
                token.toString(), "--host", "h1", "--ca-file", pki.hostCertificate("h2").toString(), "--cert-file",
                pki.hostCertificate("h1").toString(), "--key-file", pki.hostKey("h1").toString())).isEqualTo(2);
        assertThat(stderr()).contains("is not signed by the CA");
    }

    @Test
    void theAgentReadsItsClusterSettingsFromItsConfigFile() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("fk-agent-config");
        try {
            java.nio.file.Path token = java.nio.file.Files.writeString(dir.resolve("api.token"), "t0ken\n");
            java.nio.file.Path config = java.nio.file.Files.writeString(dir.resolve("agent.properties"),
                    "ovs-rundir=/tmp\napi=http://127.0.0.1:1\ntoken-file=" + token + "\nbridge-mappings=physnet1\n");
            assertThat(Main.run("agent", "--config", config.toString())).isEqualTo(2);
            assertThat(stderr()).contains("--bridge-mapping must be PHYSNET:BRIDGE");
            java.nio.file.Files.writeString(config, "ovs-rundir=/tmp\napi=ftp://x\ntoken-file=" + token + "\n");
            assertThat(Main.run("agent", "--config", config.toString())).isEqualTo(2);
            assertThat(stderr()).contains("--api must be an http(s)://host:port URL");
        } finally {
            try (var walk = java.nio.file.Files.walk(dir)) {
                for (java.nio.file.Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    java.nio.file.Files.deleteIfExists(p);
                }
            }
        }
    }

    @Test
    @Tag("integration")
    void theDemoRunsEveryStageAndCleansUp() {
        assertThat(Main.run("demo")).as(stderr()).isZero();
        assertThat(stdout()).contains("== Timeline", "Demo finished", "agent restored", "flow-restore-wait cleared",
                "reconciler repaired it", "0 lost", "dhclient got 10.20.0.", "5 of 5 pings answered",
                "cleared flow-restore-wait at +", "the master's reconcile at +",
                "from its host's agent, with every controller down",
                "with every controller down: 5 of 5 pings answered");
    }

    @Test
    void theDemoListsItsStages() {
        assertThat(Main.run("demo", "--list")).isZero();
        assertThat(stdout()).contains("1. ");
    }
}
