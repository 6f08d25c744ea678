package io.flowkeeper.cli.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowkeeper.agent.AgentListener;
import io.flowkeeper.agent.cluster.ClusterAgent;
import io.flowkeeper.agent.cluster.ClusterSettings;
import io.flowkeeper.agent.cluster.HostTls;
import io.flowkeeper.agent.metrics.MetricsEndpoint;
import io.flowkeeper.api.security.TlsFiles;
import io.flowkeeper.controller.RestClient;
import io.flowkeeper.controller.local.LocalCluster;
import io.flowkeeper.controller.pki.LabPki;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.TestBed;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The agent against a one-node cluster with {@code tls:} on every channel (its own JVM, a lab CA), on two test-bed
 * hosts with real OVS. h1's agent has its host certificate ({@code certs init --hosts h1}): it registers over HTTPS,
 * sets OVS's SSL files, and creates br-int with an {@code ssl:} target and the datapath id its certificate binds, so
 * the node accepts the switch and masters it. h2's agent speaks plain HTTP, as an agent without TLS options would:
 * it is told the node serves HTTPS only, and never registers.
 */
@Tag("integration")
class AgentTlsTest {
    private static final Duration T = Duration.ofSeconds(60);

    @Test
    void anAgentWithItsHostCertificateRegistersOverHttpsAndItsBridgeIsMasteredOverTls() throws Exception {
        try (TestBed bed = TestBed.create();
             LocalCluster cluster = LocalCluster.inTempDirWithTls(1, List.of(), bed.controllerIp())) {
            OvsHost h1 = bed.addHost("h1");
            OvsHost h2 = bed.addHost("h2");
            LabPki pki = cluster.pki();
            pki.init(List.of(), List.of(new LabPki.HostSpec("h1", List.of())));
            long dpid = LabPki.derivedDpid("h1");
            String dpidHex = String.format("%016x", dpid);
            cluster.startAll();
            cluster.awaitAllReady(120_000);
            RestClient api = cluster.client(0);

            HostTls tls = HostTls.load(pki.caCertificate(), pki.hostCertificate("h1"), pki.hostKey("h1"), "h1");
            List<String> plainFailures = new CopyOnWriteArrayList<>();
            try (ClusterAgent a1 = new ClusterAgent(settings(cluster.openflowAddress(0), cluster.restUrl(0), "h1", tls),
                    h1.dbSocket(), new AgentListener() { }).start();
                 ClusterAgent a2 = new ClusterAgent(settings(cluster.openflowAddress(0),
                         cluster.restUrl(0).replace("https://", "http://"), "h2", null), h2.dbSocket(),
                         new AgentListener() {
                             @Override
                             public void clusterCallFailed(String reason) {
                                 plainFailures.add(reason);
                             }
                         }).start()) {
                await().atMost(T).until(() -> api.get("/v1/datastore/network-config/neutron/hosts/h1").body()
                        .path("value").path("datapath_id").asLong() == dpid);
                assertThat(h1.vsctl("get-controller", "br-int").strip()).isEqualTo("ssl:" + cluster.openflowAddress(0));
                assertThat(h1.vsctl("get-ssl")).contains("Private key: " + pki.hostKey("h1").toAbsolutePath(),
                        "Certificate: " + pki.hostCertificate("h1").toAbsolutePath(),
                        "CA Certificate: " + pki.caCertificate().toAbsolutePath());
                assertThat(h1.vsctl("get", "bridge", "br-int", "datapath_id").strip()).isEqualTo("\"" + dpidHex + "\"");
                await().atMost(T).until(() -> {
                    RestClient.Response role = api.get("/v1/switches/" + dpidHex + "/role");
                    return role.status() == 200 && role.body().path("role").asText().equals("MASTER");
                });
                assertThat(Files.readString(cluster.logFile(0)))
                        .contains("switch " + dpidHex + " connected", "certificate binds its dpid");

                // The agent's metrics port on a TLS cluster: HTTPS with the host certificate, which a scraper
                // trusting the cluster's CA and expecting host h1 (Prometheus' tls_config server_name) accepts;
                // plain HTTP gets nothing.
                try (MetricsEndpoint metrics = new MetricsEndpoint("127.0.0.1:0", "scrape-token",
                        () -> "flowkeeper_test 1\n", tls.serverContext()).start()) {
                    javax.net.ssl.SSLContext scraper = new TlsFiles(pki.caCertificate(), pki.hostCertificate("h1"),
                            pki.hostKey("h1")).caContext();
                    assertThat(scrape(scraper, metrics.port())).startsWith("HTTP/1.1 200")
                            .contains("flowkeeper_test 1");
                    assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                            "http://127.0.0.1:" + metrics.port() + "/metrics")).timeout(Duration.ofSeconds(5))
                            .header("Authorization", "Bearer scrape-token").build(),
                            HttpResponse.BodyHandlers.ofString())).isInstanceOf(java.io.IOException.class);
                }

                // The plain-HTTP agent: a clear refusal on every call, no registration, and its switch (tcp:
                // target on a TLS port) is never admitted.
                await().atMost(T).until(() -> !plainFailures.isEmpty());
                assertThat(plainFailures.get(0)).contains("this node serves HTTPS only: use https://");
                assertThat(h2.vsctl("get-controller", "br-int").strip()).isEqualTo("tcp:" + cluster.openflowAddress(0));
                JsonNode agents = api.withOpenStackToken().get("/v2.0/agents").body().path("agents");
                assertThat(agents).hasSize(1);
                assertThat(agents.get(0).path("host").asText()).isEqualTo("h1");
                assertThat(api.get("/v1/datastore/network-config/neutron/hosts/h2").status()).isEqualTo(404);
                await().atMost(T).until(() -> Files.readString(cluster.logFile(0))
                        .contains("plain text on the TLS OpenFlow port"));
            }
        }
    }

    /** GET /metrics over TLS to 127.0.0.1:port, checking the server's certificate names host h1. */
    private static String scrape(javax.net.ssl.SSLContext context, int port) throws java.io.IOException {
        try (java.net.Socket plain = new java.net.Socket("127.0.0.1", port);
             javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) context.getSocketFactory()
                     .createSocket(plain, "h1", port, true)) {
            javax.net.ssl.SSLParameters params = socket.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");
            socket.setSSLParameters(params);
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(("GET /metrics HTTP/1.1\r\nHost: h1\r\nAuthorization: Bearer scrape-token"
                    + "\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private static ClusterSettings settings(String openflow, String restUrl, String host, HostTls tls) {
        return new ClusterSettings(List.of(openflow), List.of(restUrl), LocalCluster.TOKEN, host, null, Map.of(),
                "br-int", ClusterSettings.DEFAULT_HEARTBEAT, ClusterSettings.DEFAULT_PEER_POLL, tls);
    }
}
