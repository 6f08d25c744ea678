package io.flowkeeper.cli.network;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowkeeper.cli.Main;
import io.flowkeeper.cli.bench.TenantLab;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** {@code flowkeeper ports show} against the lab's cluster: the security part of its output. */
final class SecurityGroupsShow {
    private final TenantLab lab;

    SecurityGroupsShow(TenantLab lab) {
        this.lab = lab;
    }

    private String show(String port) {
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.run("ports", "show", port, "--url", lab.cluster().restUrl(2), "--token-file",
                    lab.cluster().apiTokenFile().toString());
        } finally {
            System.setOut(out);
        }
        String text = captured.toString(StandardCharsets.UTF_8);
        System.out.println("$ flowkeeper ports show " + port + "\n" + text);
        assertThat(code).as(text).isZero();
        return text;
    }

    /** A port in "web" (egress IPv4 and IPv6, tcp/22 from a prefix, ...) and one with port security off. */
    void check(String secured, String open) {
        String text = show(secured);
        assertThat(text).containsPattern("(?m)^security: \\d+ rules from 1 groups, \\d+ flows on the port's host");
        assertThat(text).containsPattern("(?m)^ingress +IPv4 +tcp +22 +10\\.3\\.0\\.0/28 +in force ");
        assertThat(text).containsPattern("(?m)^egress +IPv6 +any +any +any +not enforced: IPv6 rules wait");
        assertThat(show(open)).contains("security: port security off: no rules, no anti-spoofing, 0 flows");
    }
}
