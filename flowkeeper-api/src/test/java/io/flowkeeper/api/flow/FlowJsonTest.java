package io.flowkeeper.api.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The stored form of flows: every flow the model can hold reads back equal, and bad documents are named. */
class FlowJsonTest {
    @Test
    void everyGeneratedFlowRoundTrips() {
        Random random = new Random(13);
        Set<MatchField> fieldsSeen = EnumSet.noneOf(MatchField.class);
        Set<Class<?>> actionsSeen = new HashSet<>();
        for (int i = 0; i < 20_000; i++) {
            Flow f = randomFlow(random);
            String json = FlowJson.write(f);
            assertThat(FlowJson.read(json)).as(json).isEqualTo(f);
            fieldsSeen.addAll(f.match().fields().keySet());
            f.instructions().applyActions().forEach(a -> actionsSeen.add(a.getClass()));
        }
        // the generator really covered the model: every match field and every action kind
        assertThat(fieldsSeen).containsExactlyInAnyOrder(MatchField.values());
        assertThat(actionsSeen).hasSize(Action.class.getPermittedSubclasses().length);
    }

    @Test
    void whatOvsOfctlTextCannotSayRoundTripsHere() {
        Flow f = new Flow(254, 0xffff, Match.builder().set(MatchField.IN_PORT, new MatchValue(3, 0xfL))
                .set(MatchField.VLAN_VID, MatchValue.masked(0x1000, 0x1000)).build(),
                new Instructions(List.of(), null, 0xf0L, null), -1L, 0xffff, 0xffff, EnumSet.allOf(FlowFlag.class));
        assertThat(FlowJson.read(FlowJson.write(f))).isEqualTo(f);
    }

    @Test
    void theIdentityIgnoresWhatAModificationChanges() {
        Flow a = OfctlText.parse("table=1,priority=5,ip,nw_dst=10.0.0.0/8,actions=drop");
        Flow b = OfctlText.parse("table=1,priority=5,nw_dst=10.0.0.0/8,ip,cookie=0x7,idle_timeout=9,actions=NORMAL");
        Flow c = OfctlText.parse("table=1,priority=6,ip,nw_dst=10.0.0.0/8,actions=drop");
        assertThat(FlowJson.identity(a.id())).isEqualTo(FlowJson.identity(b.id()))
                .isNotEqualTo(FlowJson.identity(c.id()));
    }

    @Test
    void absentKeysTakeTheDefaults() {
        Flow f = FlowJson.read("{}");
        assertThat(f).isEqualTo(Flow.of(0, Flow.DEFAULT_PRIORITY, Match.ALL, Instructions.DROP));
    }

    @Test
    void badDocumentsAreRefusedWithTheirReason() {
        assertThatThrownBy(() -> FlowJson.read("[1]")).isInstanceOf(FlowParseException.class)
                .hasMessageContaining("JSON object");
        assertThatThrownBy(() -> FlowJson.read("{\"match\": {\"nw_dst\": \"0x1\"}}"))
                .isInstanceOf(FlowParseException.class).hasMessageContaining("unknown match field 'nw_dst'");
        assertThatThrownBy(() -> FlowJson.read("{\"match\": {\"ipv4_dst\": \"10.0.0.1\"}}"))
                .isInstanceOf(FlowParseException.class).hasMessageContaining("hex digits");
        assertThatThrownBy(() -> FlowJson.read("{\"match\": {\"ip_proto\": \"0x1ff\"}}"))
                .isInstanceOf(FlowParseException.class).hasMessageContaining("out of range");
        assertThatThrownBy(() -> FlowJson.read("{\"table\": 255}")).isInstanceOf(FlowParseException.class)
                .hasMessageContaining("table must be 0..254");
        assertThatThrownBy(() -> FlowJson.read("{\"instructions\": {\"apply\": [{\"type\": \"meter\"}]}}"))
                .isInstanceOf(FlowParseException.class).hasMessageContaining("unknown action type 'meter'");
        assertThatThrownBy(() -> FlowJson.read("{\"flags\": [\"sticky\"]}")).isInstanceOf(FlowParseException.class)
                .hasMessageContaining("sticky");
        assertThatThrownBy(() -> FlowJson.read("{\"table\": ")).isInstanceOf(FlowParseException.class)
                .hasMessageContaining("malformed");
    }

    static Action.Ct randomCt(Random r) {
        boolean commit = r.nextBoolean();
        Action.Nat nat = switch (r.nextInt(4)) {
            case 0 -> null;
            case 1 -> Action.Nat.existing();
            default -> {
                long ip = 1 + (r.nextLong() & 0x7fffffffL);
                int port = r.nextBoolean() ? 0 : 1 + r.nextInt(1000);
                yield new Action.Nat(r.nextBoolean() ? Action.Nat.Kind.SRC : Action.Nat.Kind.DST, ip,
                        ip + r.nextInt(3), port, port == 0 ? 0 : port + r.nextInt(3));
            }
        };
        return new Action.Ct(commit, r.nextInt(0x10000), null, r.nextBoolean() ? Action.CT_NO_TABLE : r.nextInt(255),
                nat, commit && r.nextBoolean() ? r.nextLong() & 0xffffffffL : null);
    }

    static Flow randomFlow(Random r) {
        Match.Builder m = Match.builder();
        for (MatchField f : MatchField.values()) {
            if (r.nextInt(4) == 0) {
                long value = r.nextLong() & f.maxValue();
                m.set(f, r.nextBoolean() ? MatchValue.exact(value)
                        : r.nextBoolean() ? MatchValue.masked(value, r.nextLong() & f.maxValue())
                        : new MatchValue(value, r.nextLong() & f.maxValue()));
            }
        }
        List<Action> actions = new ArrayList<>();
        for (int i = r.nextInt(5); i > 0; i--) {
            actions.add(switch (r.nextInt(8)) {
                case 0 -> new Action.Output(r.nextLong() & 0xffffffffL, r.nextInt(0x10000));
                case 1 -> {
                    MatchField f;
                    do {
                        f = MatchField.values()[r.nextInt(MatchField.values().length)];
                    } while (f.setFieldName() == null);
                    yield new Action.SetField(f, r.nextLong() & f.maxValue());
                }
                case 2 -> new Action.DecTtl();
                case 3 -> new Action.PushVlan(r.nextBoolean() ? 0x8100 : 0x88a8);
                case 4 -> new Action.PopVlan();
                case 5 -> randomCt(r);
                case 6 -> {
                    int n = 2 + r.nextInt(63);
                    yield new Action.Conjunction(r.nextLong() & 0xffffffffL, 1 + r.nextInt(n), n);
                }
                default -> new Action.Group(r.nextLong() & 0xffffffffL);
            });
        }
        Instructions ins = new Instructions(actions, r.nextBoolean() ? r.nextLong() : null,
                r.nextBoolean() ? -1L : r.nextLong(), r.nextBoolean() ? r.nextInt(255) : null);
        Set<FlowFlag> flags = EnumSet.noneOf(FlowFlag.class);
        for (FlowFlag f : FlowFlag.values()) {
            if (r.nextBoolean()) {
                flags.add(f);
            }
        }
        return new Flow(r.nextInt(255), r.nextInt(0x10000), m.build(), ins, r.nextLong(), r.nextInt(0x10000),
                r.nextInt(0x10000), flags);
    }
}
