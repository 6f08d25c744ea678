package io.flowkeeper.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Secrets and limits in a node's configuration (issue 15, D6 and D8): pure parsing, no node started. */
class ControllerConfigTest {
    @TempDir
    Path dir;

    private Path file(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text);
    }

    private ControllerConfig load(String yaml) throws Exception {
        return ControllerConfig.load(file("c.yaml", "node-id: n1\ndata-dir: " + dir.resolve("data") + "\n" + yaml),
                Map.of());
    }

    private static final String THREE_PEERS = "peers: {n1: 127.0.0.1:9001, n2: 127.0.0.1:9002, n3: 127.0.0.1:9003}\n";

    @Test
    void tokensComeFromFilesAndTheEnvironment() throws Exception {
        Path api = file("api.token", "# operators\nfirst-token-1\n\nsecond-token-2\n");
        Path nodeToken = file("node.token", "node-token-xyz\n");
        ControllerConfig c = load(THREE_PEERS + "api-token-files: [" + api + "]\nnode-token-file: " + nodeToken + "\n");
        assertThat(c.apiTokens()).containsExactly("first-token-1", "second-token-2");
        assertThat(c.nodeToken()).isEqualTo("node-token-xyz");
        c = ControllerConfig.load(file("d.yaml", "node-id: n1\ndata-dir: /tmp/x\npeers: {n1: 127.0.0.1:9001}\n"),
                Map.of(ControllerConfig.ENV_TOKEN, "from-the-environment"));
        assertThat(c.apiTokens()).containsExactly("from-the-environment");
    }

    @Test
    void novaEventsAreOnlyWithANovaSectionAndItsTokenComesFromAFile() throws Exception {
        assertThat(load("peers: {n1: 127.0.0.1:9001}\napi-tokens: [a-token-1]\n").nova()).isNull();
        Path token = file("nova.token", "nova-token-1\n");
        ControllerConfig c = load("peers: {n1: 127.0.0.1:9001}\napi-tokens: [a-token-1]\nnova: {url: "
                + "\"http://nova:8774/v2.1\", token-file: " + token + "}\n");
        assertThat(c.nova().token()).isEqualTo("nova-token-1");
        assertThat(c.nova().url().toString()).isEqualTo("http://nova:8774/v2.1");
        assertThatThrownBy(() -> load("peers: {n1: 127.0.0.1:9001}\napi-tokens: [a-token-1]\nnova: {url: "
                + "\"http://nova:8774/v2.1\", token-file: /nonexistent}\n")).hasMessageContaining("nova.token-file");
    }

    @Test
    void thePeerLinkPortIsAnyFreePortOnTheRestHostUnlessNamed() throws Exception {
        String base = "peers: {n1: 127.0.0.1:9001}\napi-tokens: [a-token-1]\nrest-address: 127.0.0.2:8181\n";
        assertThat(load(base).peerLinkAddress()).isEqualTo("127.0.0.2:0");
        assertThat(load(base + "peer-link-address: 127.0.0.2:6655\n").peerLinkAddress()).isEqualTo("127.0.0.2:6655");
        assertThatThrownBy(() -> load(base + "peer-link-address: 127.0.0.2\n"))
                .hasMessageContaining("peer-link-address: expected HOST:PORT");
        assertThatThrownBy(() -> load(base + "peer-link-address: 127.0.0.2:70000\n"))
                .hasMessageContaining("peer-link-address: expected HOST:PORT");
    }

    @Test
    void moreThanOnePeerNeedsItsOwnNodeToken() throws Exception {
        assertThatThrownBy(() -> load(THREE_PEERS + "api-tokens: [api-token-1]\n"))
                .hasMessageContaining("node-token-file (or node-token) is required with more than one peer");
        assertThatThrownBy(() -> load(THREE_PEERS + "api-tokens: [api-token-1]\nnode-token: api-token-1\n"))
                .hasMessageContaining("must differ from every API token")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("api-token-1"));
    }

    @Test
    void aSingleNodeGetsANodeTokenNobodyKnows() throws Exception {
        ControllerConfig c = load("peers: {n1: 127.0.0.1:9001}\napi-tokens: [api-token-1]\n");
        assertThat(c.nodeToken()).isNotEqualTo("api-token-1").hasSizeGreaterThan(30);
        assertThat(load("peers: {n1: 127.0.0.1:9001}\napi-tokens: [api-token-1]\n").nodeToken())
                .isNotEqualTo(c.nodeToken());
    }

    @Test
    void badTokenSourcesAreNamedWithoutTheirContents() throws Exception {
        assertThatThrownBy(() -> load("peers: {n1: 127.0.0.1:9001}\n"))
                .hasMessageContaining("api-token-files (or api-tokens, or FLOWKEEPER_TOKEN)");
        assertThatThrownBy(() -> load("peers: {n1: 127.0.0.1:9001}\napi-token-files: [" + dir.resolve("none") + "]\n"))
                .hasMessageContaining("api-token-files: cannot read " + dir.resolve("none"));
        Path empty = file("empty.token", "# nothing\n\n");
        assertThatThrownBy(() -> load("peers: {n1: 127.0.0.1:9001}\napi-token-files: [" + empty + "]\n"))
                .hasMessageContaining("holds no token");
        Path two = file("two.token", "node-token-aaa\nnode-token-bbb\n");
        assertThatThrownBy(() -> load(THREE_PEERS + "api-tokens: [api-token-1]\nnode-token-file: " + two + "\n"))
                .hasMessageContaining("expected one token, found 2")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("node-token-aaa"));
    }

    @Test
    void restSettingsAreKeysOfTheirOwn() throws Exception {
        ControllerConfig c = load("peers: {n1: 127.0.0.1:9001}\napi-tokens: [api-token-1]\nrest-idle-timeout: 45s\n"
                + "rest-max-watches: 7\n");
        assertThat(c.restSettings().idleTimeout()).isEqualTo(Duration.ofSeconds(45));
        assertThat(c.restSettings().maxWatches()).isEqualTo(7);
        assertThat(c.restSettings().apiThreads()).isEqualTo(RestSettings.DEFAULTS.apiThreads());
        assertThatThrownBy(() -> load("peers: {n1: 127.0.0.1:9001}\napi-tokens: [api-token-1]\n"
                + "rest-idle-timeout: 2s\n")).hasMessageContaining("rest-idle-timeout: at least 11s");
    }

    @Test
    void aTokenOnTheCommandLineWorksButWarns() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = ControllerMain.run(new String[] {"--token", "cli-token-123"}, System.out,
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(2); // no node-id: stops before starting anything
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("warning: --token is visible to every local user")
                .doesNotContain("cli-token-123");
    }

    @Test
    void oneTlsSettingCoversEveryChannelAndNamesWhatIsWrong() throws Exception {
        io.flowkeeper.controller.pki.LabPki pki = new io.flowkeeper.controller.pki.LabPki(dir.resolve("pki"),
                Duration.ofDays(2));
        pki.init(java.util.List.of(new io.flowkeeper.controller.pki.LabPki.NodeSpec("n1", java.util.List.of()),
                new io.flowkeeper.controller.pki.LabPki.NodeSpec("n2", java.util.List.of())), java.util.List.of());
        String base = "peers: {n1: 127.0.0.1:9001}\napi-tokens: [api-token-1]\n";
        String tls = "tls: {ca: " + pki.caCertificate() + ", cert: " + pki.nodeCertificate("n1") + ", key: "
                + pki.nodeKey("n1") + "}\n";
        ControllerConfig c = load(base + tls);
        assertThat(c.tls().certificate()).isEqualTo(pki.nodeCertificate("n1"));
        assertThat(c.restSettings().scheme()).isEqualTo("https");
        assertThat(c.restSettings().tls().node()).isEqualTo(c.tls());
        assertThatThrownBy(() -> load(base + "tls: {ca: " + pki.caCertificate() + ", cert: "
                + pki.nodeCertificate("n2") + ", key: " + pki.nodeKey("n2") + "}\n"))
                .hasMessageContaining("tls.cert").hasMessageContaining("urn:flowkeeper:node:n1");
        assertThatThrownBy(() -> load(base + "tls: {ca: " + pki.caCertificate() + ", cert: "
                + pki.nodeCertificate("n1") + "}\n")).hasMessageContaining("tls: expected {ca: FILE, cert: FILE, key: FILE}");
        assertThatThrownBy(() -> load(base + tls + "rest-tls-cert: " + pki.nodeCertificate("n1") + "\nrest-tls-key: "
                + pki.nodeKey("n1") + "\n")).hasMessageContaining("remove rest-tls-cert");
        assertThatThrownBy(() -> load(base + "tls: {ca: " + dir.resolve("missing.pem") + ", cert: "
                + pki.nodeCertificate("n1") + ", key: " + pki.nodeKey("n1") + "}\n")).hasMessageContaining("tls.ca");
    }
}
