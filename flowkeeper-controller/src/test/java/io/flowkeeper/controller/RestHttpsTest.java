package io.flowkeeper.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * HTTPS on the REST port with one setting (a PEM certificate and key made by openssl), checked with real clients:
 * the JDK's HTTP client and curl.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
@Tag("integration")
class RestHttpsTest {
    private Path certs;
    private Path cert;
    private Path key;
    private SoloNode solo;

    private static String run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    @BeforeAll
    void start() throws Exception {
        certs = Files.createTempDirectory("flowkeeper-tls-");
        cert = certs.resolve("rest.pem");
        key = certs.resolve("rest.key");
        String out = run(List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-days", "1", "-subj", "/CN=flowkeeper-test", "-addext",
                "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key.toString(), "-out", cert.toString()));
        assertThat(cert).as(out).exists();
        solo = new SoloNode("rest-tls-cert: " + cert + "\nrest-tls-key: " + key + "\n").start();
    }

    @AfterAll
    void stop() throws Exception {
        if (solo != null) {
            solo.close();
        }
        try (var walk = Files.walk(certs)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    void theApiAnswersOverHttpsToAClientThatTrustsTheCertificate() throws Exception {
        RestClient api = solo.httpsClient(io.flowkeeper.api.security.PemFiles.trusting("test", cert));
        assertThat(api.put("/v1/datastore/network-config/tls/a", "{\"v\":1}").status()).isEqualTo(200);
        RestClient.Response r = api.get("/v1/datastore/network-config/tls/a");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body().path("value").path("v").asInt()).isEqualTo(1);
    }

    @Test
    void curlGetsTheSameOverHttpsAndAPlainTextClientIsToldToUseHttps() throws Exception {
        String url = "https://127.0.0.1:" + solo.restPort + "/v1/cluster";
        List<String> curl = new ArrayList<>(List.of("curl", "-sS", "--cacert", cert.toString(), "-H",
                "Authorization: Bearer " + SoloNode.TOKEN, "-w", "\n%{http_code}", url));
        String out = run(curl);
        assertThat(out).contains("\"shards\"").endsWith("200");
        String plain = run(List.of("curl", "-sS", "-w", "\n%{http_code}", "-H",
                "Authorization: Bearer " + SoloNode.TOKEN, "http://127.0.0.1:" + solo.restPort + "/v1/cluster"));
        assertThat(plain).contains("serves HTTPS only").contains("\"error\"").endsWith("400");
        String untrusted = run(List.of("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", url));
        assertThat(untrusted).contains("certificate").endsWith("000"); // curl refused it: no request was sent
    }

    @Test
    void theDashboardsFilesAreServedOverHttpsOnly() throws Exception {
        String https = "https://127.0.0.1:" + solo.restPort + "/dashboard/";
        assertThat(run(List.of("curl", "-sS", "--cacert", cert.toString(), "-w", "\n%{http_code}", https)))
                .contains("dashboard.js").endsWith("200");
        String plain = run(List.of("curl", "-sS", "-w", "\n%{http_code}", "http://127.0.0.1:" + solo.restPort
                + "/dashboard/"));
        assertThat(plain).contains("serves HTTPS only").doesNotContain("dashboard.js").endsWith("400");
    }

    @Test
    void aClientThatDoesNotTrustTheCertificateIsRefused() {
        RestClient defaultTrust = new RestClient("https://127.0.0.1:" + solo.restPort, SoloNode.TOKEN);
        assertThatThrownBy(() -> defaultTrust.get("/v1/cluster")).isInstanceOf(IOException.class);
    }

    @Test
    void badTlsFilesStopStartUpNamingTheKey() throws Exception {
        Path notAKey = Files.writeString(certs.resolve("bad.key"), "not a key\n");
        Path config = Files.writeString(certs.resolve("c.yaml"), "node-id: n1\ndata-dir: /tmp/unused\n"
                + "peers: {n1: 127.0.0.1:9001}\napi-tokens: [api-token-1]\nrest-tls-cert: " + cert + "\n"
                + "rest-tls-key: " + notAKey + "\n");
        assertThatThrownBy(() -> ControllerConfig.load(config, Map.of()))
                .hasMessageContaining("rest-tls-key: " + notAKey + " is not an unencrypted PKCS#8 PEM key");
        Path onlyCert = Files.writeString(certs.resolve("d.yaml"), "node-id: n1\ndata-dir: /tmp/unused\n"
                + "peers: {n1: 127.0.0.1:9001}\napi-tokens: [api-token-1]\nrest-tls-cert: " + cert + "\n");
        assertThatThrownBy(() -> ControllerConfig.load(onlyCert, Map.of()))
                .hasMessageContaining("rest-tls-cert and rest-tls-key go together");
    }
}
