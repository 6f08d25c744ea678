package io.flowkeeper.api.switches;

import java.util.Collection;
import java.util.Optional;

/** The switches connected to this controller node. Thread-safe. */
public interface SwitchService {
    /** The switches whose session is up now. */
    Collection<Switch> switches();

    /** The connected switch with this datapath id. */
    Optional<Switch> getSwitch(long dpid);

    /** Adds a listener; it hears connections from now on (not the switches already connected). */
    void addListener(SwitchListener listener);

    void removeListener(SwitchListener listener);
}
