package io.flowkeeper.controller.mastership;

import java.util.concurrent.ThreadFactory;

/** Named daemon threads: mastership's timers and per-switch workers must never keep a stopping node alive. */
final class Threads {
    private Threads() {
    }

    static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
