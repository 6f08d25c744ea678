package io.flowkeeper.cli.switches;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowkeeper.cli.CannedServer;
import io.flowkeeper.cli.ConsoleCapture;
import io.flowkeeper.cli.Main;
import io.flowkeeper.cli.NodeCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * How connected switches are rendered: tables with masters and ports, the diff sections and its exit code. A
 * switch needs OVS, so the bodies here are canned copies of what {@code SwitchRoutes} answers for one (same fields),
 * served over real HTTP; {@link SwitchCommandsTest} covers the same commands against a real controller.
 */
class SwitchOutputTest {
    private static final String DPID = "00000000000000a1";

    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();
    @RegisterExtension
    final CannedServer server = new CannedServer("{'error':'no such route','status':404}");

    private void answer(String path, int status, String json) {
        server.answer(path, status, json);
    }

    /**
     * Stdout with a stats age of 2 s or 3 s read as 2 s: the sample poll was 2 s before the command, which on a busy
     * machine may take a second to run.
     */
    private String out() {
        return console.out().replaceAll("(?m)\\b[23]s$", "2s");
    }

    private int run(String... args) {
        return NodeCommand.run(server.url(), server.tokenFile(), args);
    }

    private static String switchJson(boolean ports) {
        long now = System.currentTimeMillis();
        return "{'dpid':'" + DPID + "','master':'n2','generation':7,'connected-to':['n1','n2','n3'],"
                + "'desired-flows':3,'flows':4,'address':'198.18.0.1:40312','openflow-version':5,'stats-updated-ms':" + (now - 2_000)
                + (ports ? ",'ports':[{'number':1,'name':'vm1','mac':'aa:bb:cc:00:00:01','up':true,'rx-packets':10,"
                        + "'tx-packets':12,'rx-bytes':980,'tx-bytes':1176,'rx-dropped':0},"
                        + "{'number':2,'name':'vm2','mac':'aa:bb:cc:00:00:02','up':false}]" : "")
                + "}";
    }

    @Test
    void switchesIsATableWithOneLinePerSwitch() {
        answer("/v1/switches", 200, "{'switches':[" + switchJson(false) + ",{'dpid':'00000000000000b2',"
                + "'master':null,'generation':0,'connected-to':[],'desired-flows':0}]}");
        assertThat(run("switches")).as(console.err()).isZero();
        assertThat(out().lines()).containsExactly(
                "DPID              MASTER  GENERATION  CONNECTED-TO  DESIRED  FLOWS  STATS AGE",
                "00000000000000a1  n2      7           n1,n2,n3      3        4      2s",
                "00000000000000b2  -       0           -             0        -      -");
    }

    @Test
    void showPrintsTheSwitchTheLiveRoleAndItsPorts() {
        answer("/v1/switches/" + DPID, 200, switchJson(true));
        answer("/v1/switches/" + DPID + "/role", 200, "{'dpid':'" + DPID + "','role':'MASTER','generation':7}");
        assertThat(run("switch", "show", "0xa1")).as(console.err()).isZero();
        assertThat(out()).isEqualTo("""
                switch        00000000000000a1
                master        n2 (generation 7)
                role          MASTER (generation 7, as the master holds it now)
                connected to  n1,n2,n3
                address       198.18.0.1:40312
                openflow      1.4
                flows         4 on the switch, 3 desired
                stats age     2s

                PORT  NAME  MAC                UP   RX-PACKETS  TX-PACKETS  RX-BYTES  TX-BYTES  RX-DROPPED
                1     vm1   aa:bb:cc:00:00:01  yes  10          12          980       1176      0
                2     vm2   aa:bb:cc:00:00:02  no   -           -           -         -         -
                """);
    }

    @Test
    void flowsTheSwitchRefusedAreListedWithItsError() {
        answer("/v1/switches/" + DPID, 200, switchJson(false).replaceFirst("}$", ",'refused-flows':1,'refused':"
                + "[{'id':'backwards','flow':'table=3,priority=40,ip,nw_dst=10.9.8.1,actions=goto_table:1',"
                + "'error':'BAD_INSTRUCTION code=BAD_TABLE_ID for ADD table=3,priority=40,ip,nw_dst=10.9.8.1,"
                + "actions=goto_table:1'}]}"));
        answer("/v1/switches/" + DPID + "/role", 200, "{'dpid':'" + DPID + "','role':'MASTER','generation':7}");
        assertThat(run("switch", "show", DPID)).as(console.err()).isZero();
        assertThat(out()).contains("""
                stats age     2s
                refused       1 desired flow refused by the switch, not installed:
                  backwards  table=3,priority=40,ip,nw_dst=10.9.8.1,actions=goto_table:1
                    BAD_INSTRUCTION code=BAD_TABLE_ID for ADD table=3,priority=40,ip,nw_dst=10.9.8.1,actions=goto_table:1

                no ports reported yet""");
    }

    @Test
    void aRoleTheMasterCannotGiveIsShownNotFatal() throws Exception {
        answer("/v1/switches/" + DPID, 200, switchJson(false));
        answer("/v1/switches/" + DPID + "/role", 503,
                "{'error':'switch " + DPID + " has no master (no live node is connected to it)','status':503}");
        assertThat(run("switch", "show", DPID)).as(console.err()).isZero();
        assertThat(console.out()).contains("role          unknown: switch 00000000000000a1 has no master"
                + " (no live node is connected to it) (HTTP 503)\n", "no ports reported yet");
        console.reset();
        assertThat(run("switch", "show", DPID, "--output", "json")).isZero();
        var body = new com.fasterxml.jackson.databind.ObjectMapper().readTree(console.out());
        assertThat(body.get("master").asText()).isEqualTo("n2");
        assertThat(body.at("/live-role/error").asText()).contains("has no master");
    }

    @Test
    void actualAndLiveFlowsCarryTheirCounters() {
        answer("/v1/switches/" + DPID + "/flows?view=live", 200, "{'dpid':'" + DPID + "','view':'live','total':2,"
                + "'flows':[{'flow':'table=0,priority=10,cookie=0xf1988b07b5422838,ip,actions=drop','packets':5,"
                + "'bytes':490},"
                + "{'flow':'table=0,priority=0,actions=NORMAL','packets':0,'bytes':0}]}");
        assertThat(run("flows", DPID, "--view", "live")).as(console.err()).isZero();
        assertThat(console.out()).isEqualTo("""
                table=0,priority=10,cookie=0xf1988b07b5422838,ip,actions=drop  packets=5 bytes=490
                table=0,priority=0,actions=NORMAL  packets=0 bytes=0
                """);
        console.reset();
        answer("/v1/switches/" + DPID + "/flows?view=actual", 200, "{'dpid':'" + DPID + "','view':'actual',"
                + "'total':9000,'truncated':true,'updated-ms':1,'flows':[{'flow':'table=0,actions=drop',"
                + "'packets':1,'bytes':2}]}");
        assertThat(run("flows", DPID, "--view", "actual")).isZero();
        assertThat(console.out()).isEqualTo("table=0,actions=drop  packets=1 bytes=2\n");
        assertThat(console.err()).contains("listed 1 of 9000 flows");
    }

    @Test
    void theDiffListsEachSectionAndExitsOneWhenOutOfSync() {
        String path = "/v1/switches/" + DPID + "/flows?view=diff";
        answer(path, 200, "{'dpid':'" + DPID + "','view':'diff','in-sync':false,'actual-updated-ms':1,"
                + "'missing':[{'id':'f1','flow':'table=0,priority=10,cookie=0xf1988b07b5422838,ip,actions=drop'}],"
                + "'changed':[{'id':'web-in','flow':'table=0,priority=20,cookie=0xf1814539e71ab60b,tcp,tp_dst=80,"
                + "actions=NORMAL'}],"
                + "'extra':[{'flow':'table=0,priority=5,cookie=0xf1000000000000aa,actions=drop'}]}");
        assertThat(run("flows", DPID, "--diff")).isEqualTo(1);
        assertThat(console.out()).isEqualTo("""
                missing (1):
                  f1  table=0,priority=10,cookie=0xf1988b07b5422838,ip,actions=drop
                changed (1):
                  web-in  table=0,priority=20,cookie=0xf1814539e71ab60b,tcp,tp_dst=80,actions=NORMAL
                extra (1):
                  table=0,priority=5,cookie=0xf1000000000000aa,actions=drop
                3 differences
                """);
        assertThat(console.err()).isEmpty();
        console.reset();
        assertThat(run("flows", DPID, "--view", "diff", "--output", "json")).isEqualTo(1);
        assertThat(console.out()).contains("\"in-sync\" : false");

        console.reset();
        answer(path, 200, "{'dpid':'" + DPID + "','view':'diff','in-sync':true,'actual-updated-ms':1,"
                + "'missing':[],'changed':[],'extra':[]}");
        assertThat(run("flows", DPID, "--diff")).isZero();
        assertThat(console.out()).isEqualTo("in sync\n");
    }

    @Test
    void agesAreCoarse() {
        var json = new com.fasterxml.jackson.databind.ObjectMapper().getNodeFactory();
        long now = System.currentTimeMillis();
        assertThat(RestCommand.age(json.numberNode(now - 59_200))).isIn("59s", "60s", "1m00s");
        assertThat(RestCommand.age(json.numberNode(now - 125_200))).isIn("2m05s", "2m06s");
        assertThat(RestCommand.age(json.numberNode(now - (3 * 3600 + 10 * 60 + 30) * 1000L))).isEqualTo("3h10m");
        assertThat(RestCommand.age(json.numberNode(now - 2 * 86_400_000L - 5_000))).isEqualTo("2d");
        // The master's clock a little ahead of this host's.
        assertThat(RestCommand.age(json.numberNode(now + 1_500))).isEqualTo("0s");
        assertThat(RestCommand.age(json.numberNode(0))).isEqualTo("-");
        assertThat(RestCommand.age(json.missingNode())).isEqualTo("-");
    }

    @Test
    void ownershipListsOwnersAndLeases() {
        answer("/v1/ownership", 200, "{'entities':[{'entity':'openflow:" + DPID + "','owner':'n2','generation':7,"
                + "'candidates':['n2','n1']}],'nodes':[{'node':'n1','alive':true,'renewals':120,'incarnation':1},"
                + "{'node':'n2','alive':false,'renewals':80,'incarnation':2}]}");
        assertThat(run("ownership")).as(console.err()).isZero();
        assertThat(console.out()).isEqualTo("""
                ENTITY                     OWNER  GENERATION  CANDIDATES
                openflow:00000000000000a1  n2     7           n2,n1

                NODE  ALIVE  RENEWALS
                n1    yes    120
                n2    no     80
                """);
    }
}
