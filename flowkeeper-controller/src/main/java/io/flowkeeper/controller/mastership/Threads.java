package io.flowkeeper.controller.mastership;

import java.util.concurrent.ThreadFactory;

/**
 * Kept only for {@link SwitchMaster}, whose file another change rewrites: once that change is merged, SwitchMaster
 * imports {@link io.flowkeeper.api.util.Threads} and this class goes.
 */
final class Threads {
    private Threads() {
    }

    static ThreadFactory daemon(String name) {
        return io.flowkeeper.api.util.Threads.daemon(name);
    }
}
