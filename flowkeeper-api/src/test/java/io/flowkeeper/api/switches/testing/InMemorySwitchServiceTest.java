package io.flowkeeper.api.switches.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowkeeper.api.flow.Action;
import io.flowkeeper.api.switches.ControllerRole;
import io.flowkeeper.api.switches.PacketIn;
import io.flowkeeper.api.switches.Switch;
import io.flowkeeper.api.switches.SwitchException;
import io.flowkeeper.api.switches.SwitchListener;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Listeners hear switches come, change role and go; packet-ins reach processors by priority. */
class InMemorySwitchServiceTest {
    private final InMemorySwitchService service = new InMemorySwitchService();
    private final List<String> events = new ArrayList<>();

    @Test
    void listenersHearConnectRoleChangeAndDisconnect() {
        service.addListener(new SwitchListener() {
            @Override
            public void switchConnected(Switch sw) {
                events.add("up " + sw.dpidString());
            }

            @Override
            public void switchDisconnected(Switch sw) {
                events.add("down " + sw.dpidString());
            }

            @Override
            public void roleChanged(Switch sw, ControllerRole role, String reason, long generationId) {
                events.add(role + " " + generationId);
            }
        });
        InMemorySwitch sw = service.connect(new InMemorySwitch(0x2a));
        sw.requestRole(ControllerRole.MASTER, 3);
        service.takeOver(0x2a, 4);
        assertThat(service.getSwitch(0x2a)).containsSame(sw);
        service.disconnect(0x2a);

        assertThat(events).containsExactly("up 000000000000002a", "SLAVE 4", "down 000000000000002a");
        assertThat(service.switches()).isEmpty();
        assertThat(sw.isActive()).isFalse();
    }

    @Test
    void packetInsGoByPriorityUntilOneHandlesThem() {
        service.connect(new InMemorySwitch(7));
        service.addProcessor((sw, p) -> events.add("low") && false, 1);
        service.addProcessor((sw, p) -> events.add("high") && p.inPort() == 2, 100);
        service.addProcessor((sw, p) -> events.add("middle") && false, 50);

        assertThat(service.packetIn(7, new PacketIn(1, 0, 0, new byte[0]))).isFalse();
        assertThat(events).containsExactly("high", "middle", "low");
        events.clear();
        assertThat(service.packetIn(7, new PacketIn(2, 0, 0, new byte[0]))).isTrue();
        assertThat(events).containsExactly("high");
    }

    @Test
    void packetOutsAreRecordedAndRefusedForASlaveOrAnUnknownSwitch() {
        InMemorySwitch sw = service.connect(new InMemorySwitch(7));
        service.packetOut(7, 1, List.of(Action.Output.to(2)), new byte[] {1, 2});
        assertThat(service.packetOuts()).singleElement().satisfies(p -> assertThat(p.inPort()).isEqualTo(1));

        sw.requestRole(ControllerRole.SLAVE, 1);
        assertThatThrownBy(() -> service.packetOut(7, 1, List.of(), new byte[0]))
                .isInstanceOf(SwitchException.NotMaster.class);
        assertThatThrownBy(() -> service.packetOut(8, 1, List.of(), new byte[0]))
                .isInstanceOf(SwitchException.class).hasMessageContaining("not connected");
    }
}
