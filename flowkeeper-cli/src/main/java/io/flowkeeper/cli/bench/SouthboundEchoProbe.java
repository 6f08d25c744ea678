package io.flowkeeper.cli.bench;

import io.flowkeeper.api.util.Threads;
import io.flowkeeper.openflow.SwitchConnection;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sends an echo request every 50 ms on a switch session while a push runs and keeps the slowest round trip: an echo
 * waits behind everything queued ahead of it, so this shows how long a keepalive can be starved by a large push
 * (the outbound queue is bounded for that reason).
 */
final class SouthboundEchoProbe implements AutoCloseable {
    private final Thread thread;
    private final AtomicLong maxNanos = new AtomicLong();
    private final AtomicInteger count = new AtomicInteger();
    private volatile boolean running = true;

    SouthboundEchoProbe(SwitchConnection sw) {
        thread = Threads.daemon("echo-probe").newThread(() -> {
            while (running) {
                Duration rtt = sw.echo();
                maxNanos.accumulateAndGet(rtt.toNanos(), Math::max);
                count.incrementAndGet();
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        thread.start();
    }

    double maxMillis() {
        return maxNanos.get() / 1e6;
    }

    int count() {
        return count.get();
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(60_000); // an echo outstanding ends within the session's reply timeout
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
