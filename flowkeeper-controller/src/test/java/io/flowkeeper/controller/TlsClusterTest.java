package io.flowkeeper.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.flowkeeper.api.security.PemFiles;
import io.flowkeeper.api.security.TlsFiles;
import io.flowkeeper.api.store.StoreException;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.cluster.ShardClients;
import io.flowkeeper.controller.local.FreePorts;
import io.flowkeeper.controller.local.LocalCluster;
import io.flowkeeper.controller.pki.LabPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Three controller JVMs with {@code tls:} from a lab CA (issue 15): REST over HTTPS only, Raft over mutual TLS
 * between node certificates, node-to-node routes behind a node certificate. Outsiders (no certificate, a host's
 * certificate, a node certificate of another CA) cannot get one Raft request through, and a node whose certificate
 * comes from another CA cannot join. Switches over TLS against real OVS: {@code TlsMastershipTest}.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(300)
class TlsClusterTest {
    private static final String SHARD = "network-config";
    private LocalCluster cluster;
    private LabPki foreign;

    @BeforeAll
    void start() throws Exception {
        cluster = LocalCluster.inTempDirWithTls(3, List.of("election-timeout-min: 1s", "election-timeout-max: 2s"),
                "127.0.0.1");
        cluster.pki().init(List.of(), List.of(new LabPki.HostSpec("h1", List.of(1L))));
        foreign = new LabPki(cluster.dir().resolve("foreign-pki"), Duration.ofDays(2));
        foreign.init(List.of(new LabPki.NodeSpec("n1", List.of()), new LabPki.NodeSpec("n4", List.of())), List.of());
        cluster.startAll();
        cluster.awaitAllReady(120_000);
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void writesReplicateOverMutualTlsAndRestIsHttpsOnly() throws Exception {
        assertThat(Files.readString(cluster.logFile(0))).contains("ready: REST https://", "(tls)");
        RestClient.Response put = cluster.client(0).put("/v1/datastore/" + SHARD + "/tls/one", "{\"a\": 1}");
        assertThat(put.status()).as(put.error()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).until(() ->
                cluster.client(2).get("/v1/datastore/" + SHARD + "/tls/one").status() == 200);

        RestClient plain = new RestClient(cluster.restUrl(1).replace("https://", "http://"), LocalCluster.TOKEN);
        RestClient.Response refused = plain.get("/v1/cluster");
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.error()).contains("HTTPS only");
    }

    @Test
    @Order(2)
    void nodeToNodeRoutesNeedANodeCertificateEvenWithTheNodeToken() throws Exception {
        RestClient tokenOnly = new RestClient(cluster.restUrl(0), LocalCluster.NODE_TOKEN, RestClient.DEFAULT_TIMEOUT,
                PemFiles.trusting("ca", cluster.pki().caCertificate()));
        RestClient.Response r = tokenOnly.get("/v1/internal/switches/0000000000000001/role");
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.error()).contains("node certificate");
        // A node's certificate and the node token: past the gate (404: no such switch here).
        TlsFiles n2 = new TlsFiles(cluster.pki().caCertificate(), cluster.pki().nodeCertificate("n2"),
                cluster.pki().nodeKey("n2"));
        RestClient asNode = new RestClient(cluster.restUrl(0), LocalCluster.NODE_TOKEN, RestClient.DEFAULT_TIMEOUT,
                n2.nodeContext());
        assertThat(asNode.get("/v1/internal/switches/0000000000000001/role").status()).isNotEqualTo(403);
    }

    @Test
    @Order(3)
    void onlyANodeOfTheClustersCaGetsARaftRequestThrough() throws Exception {
        LabPki lab = cluster.pki();
        Transaction txn = Transaction.builder().put("/tls/raft", "{\"b\": 2}").build();
        try (ShardClients n1 = ShardClients.forCluster(cluster.raftPeers(), Duration.ofSeconds(10),
                new TlsFiles(lab.caCertificate(), lab.nodeCertificate("n1"), lab.nodeKey("n1")))) {
            assertThat(n1.commit(SHARD, txn).revision()).isPositive();
        }
        Map<String, TlsFiles> outsiders = new LinkedHashMap<>();
        outsiders.put("a host's certificate", new TlsFiles(lab.caCertificate(), lab.hostCertificate("h1"),
                lab.hostKey("h1")));
        outsiders.put("a node certificate of another CA", new TlsFiles(lab.caCertificate(),
                foreign.nodeCertificate("n1"), foreign.nodeKey("n1")));
        outsiders.put("no TLS", null);
        outsiders.forEach((who, tls) -> {
            try (ShardClients c = ShardClients.forCluster(cluster.raftPeers(), Duration.ofSeconds(3), tls)) {
                assertThatThrownBy(() -> c.commit(SHARD, Transaction.builder().put("/tls/outsider", "{}").build()))
                        .as(who).isInstanceOf(StoreException.class);
            }
        });
        assertThat(cluster.client(0).get("/v1/datastore/" + SHARD + "/tls/outsider").status()).isEqualTo(404);
    }

    @Test
    @Order(4)
    void aNodeWithACertificateOfAnotherCaCannotJoin() throws Exception {
        String n4 = "127.0.0.1:" + FreePorts.next();
        int restPort = FreePorts.next();
        Path log = cluster.dir().resolve("node-n4.log");
        Process fourth = cluster.startNewNode("n4", n4, restPort, List.of("tls: {ca: " + foreign.caCertificate()
                + ", cert: " + foreign.nodeCertificate("n4") + ", key: " + foreign.nodeKey("n4") + "}"));
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(log).contains("controller n4: Raft on"));
            RestClient slow = new RestClient(cluster.restUrl(0), LocalCluster.TOKEN, Duration.ofSeconds(60),
                    PemFiles.trusting("ca", cluster.pki().caCertificate()));
            RestClient.Response add = slow.post("/v1/cluster/members", "{\"id\":\"n4\",\"address\":\"" + n4 + "\"}");
            assertThat(add.status()).as(add.body().toString()).isNotEqualTo(200);
            Thread.sleep(3_000);
            assertThat(Files.readString(log)).doesNotContain("controller n4 ready");
            assertThat(Files.exists(cluster.dir().resolve("data-n4"))).isTrue();
            // The cluster is unharmed: the three members still write, and n4 is not among them.
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> cluster.client(1)
                    .put("/v1/datastore/" + SHARD + "/tls/after-join", "{}").status() == 200);
            assertThat(cluster.client(2).get("/v1/cluster/members").body().get("members").has("n4")).isFalse();
        } finally {
            fourth.destroyForcibly();
            fourth.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        }
    }
}
