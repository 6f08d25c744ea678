package io.flowkeeper.api.util;

import java.util.concurrent.ThreadFactory;

/**
 * Named daemon threads, for every module: timers, workers and readers must never keep a stopping process alive,
 * and a thread dump should say whose thread is whose.
 */
public final class Threads {
    private Threads() {
    }

    /** A factory whose threads are daemons, all named {@code name}. */
    public static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** Starts {@code body} on a new daemon thread named {@code name}. */
    public static Thread startDaemon(String name, Runnable body) {
        Thread t = daemon(name).newThread(body);
        t.start();
        return t;
    }
}
