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

    /**
     * As {@link #daemon(String)}, at {@code priority} ({@link Thread#MIN_PRIORITY} to {@link Thread#MAX_PRIORITY}).
     * On Linux the JVM applies priorities only with {@code -XX:ThreadPriorityPolicy=1} (then MAX is nice -5, which
     * needs root or CAP_SYS_NICE, and MIN nice +4, which anyone may set); otherwise they change nothing.
     */
    public static ThreadFactory daemon(String name, int priority) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            t.setPriority(priority);
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
