package io.flowkeeper.agent.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowkeeper.api.security.TlsFiles;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The cluster side's settings refuse what cannot work, with the option's name in the message. */
class ClusterSettingsTest {
    private static ClusterSettings settings(List<String> controllers, List<String> api, String host, String ip,
                                            Map<String, String> mappings) {
        return new ClusterSettings(controllers, api, "t", host, ip, mappings, "br-int", Duration.ofSeconds(10),
                Duration.ofSeconds(1));
    }

    @Test
    void goodSettingsGiveControllerTargets() {
        assertThat(settings(List.of("10.0.0.1:6653", "10.0.0.2:6653"), List.of("http://10.0.0.1:8181"), "compute-1",
                "192.0.2.1", Map.of("physnet1", "br-vlan")).controllerTargets())
                .containsExactly("tcp:10.0.0.1:6653", "tcp:10.0.0.2:6653");
    }

    @Test
    void tlsIsAllOrNothingAndGivesSslTargets() {
        HostTls tls = new HostTls(new TlsFiles(Path.of("/pki/ca.pem"), Path.of("/pki/h1.pem"), Path.of("/pki/h1.key")),
                Set.of(0xa2L, 0xa1L));
        assertThat(tls.integrationDatapathId()).isEqualTo(0xa1L);
        ClusterSettings s = new ClusterSettings(List.of("10.0.0.1:6653"), List.of("https://10.0.0.1:8181"), "t", "h1",
                null, Map.of(), "br-int", Duration.ofSeconds(10), Duration.ofSeconds(1), tls);
        assertThat(s.controllerTargets()).containsExactly("ssl:10.0.0.1:6653");
        assertThatThrownBy(() -> settings(List.of(), List.of("https://10.0.0.1:8181"), "h1", null, Map.of()))
                .hasMessageContaining("is HTTPS: give --ca-file");
        assertThatThrownBy(() -> new ClusterSettings(List.of(), List.of("http://10.0.0.1:8181"), "t", "h1", null,
                Map.of(), "br-int", Duration.ofSeconds(10), Duration.ofSeconds(1), tls))
                .hasMessageContaining("is plain HTTP but TLS files were given");
    }

    @Test
    void badSettingsAreRefused() {
        List<String> api = List.of("http://10.0.0.1:8181");
        assertThatThrownBy(() -> settings(List.of(), List.of(), "h", null, Map.of())).hasMessageContaining("--api");
        assertThatThrownBy(() -> settings(List.of(), List.of("ftp://x"), "h", null, Map.of()))
                .hasMessageContaining("--api");
        assertThatThrownBy(() -> settings(List.of("10.0.0.1"), api, "h", null, Map.of()))
                .hasMessageContaining("--controller");
        assertThatThrownBy(() -> settings(List.of(), api, "h", "10.0.0.256", Map.of()))
                .hasMessageContaining("--tunnel-ip");
        assertThatThrownBy(() -> settings(List.of(), api, "bad host", null, Map.of()))
                .hasMessageContaining("host name");
        assertThatThrownBy(() -> settings(List.of(), api, "h", null, Map.of("physnet1", "br-a-very-long")))
                .hasMessageContaining("--bridge-mapping");
        assertThatThrownBy(() -> settings(List.of(), api, "h", null, Map.of("physnet1", "br-int")))
                .hasMessageContaining("--bridge-mapping");
    }
}
