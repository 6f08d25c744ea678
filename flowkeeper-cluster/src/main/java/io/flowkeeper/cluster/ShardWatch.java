package io.flowkeeper.cluster;

import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.Watch;
import io.flowkeeper.api.store.WatchEvent;
import io.flowkeeper.api.store.WatchListener;
import io.flowkeeper.api.util.Threads;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One watch on one replica: the state machine offers events (in commit order, under its monitor) into a bounded
 * queue; a daemon thread of this watch hands them to the listener, so a slow listener never stalls Raft apply. A
 * watch whose queue overflows is closed with a reason; its client resumes from the last revision it saw.
 */
final class ShardWatch implements Watch {
    private static final Logger LOG = LoggerFactory.getLogger(ShardWatch.class);
    private static final WatchEvent POISON = new WatchEvent(WatchEvent.Type.SYNCED, -1, "/", null);

    private final String shard;
    private final DataPath prefix;
    private final WatchListener listener;
    private final LinkedBlockingQueue<WatchEvent> queue;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile String closeReason = "cancelled";
    private volatile Runnable onClose;

    ShardWatch(String shard, DataPath prefix, WatchListener listener, int queueLimit, Runnable onClose) {
        this.shard = shard;
        this.prefix = prefix;
        this.listener = listener;
        this.queue = new LinkedBlockingQueue<>(queueLimit);
        this.onClose = onClose;
    }

    DataPath prefix() {
        return prefix;
    }

    void offer(WatchEvent e) {
        if (closed.get()) {
            return;
        }
        boolean control = e.type() == WatchEvent.Type.RESET || e.type() == WatchEvent.Type.SYNCED;
        if (!control && !prefix.contains(e.path())) {
            return;
        }
        if (!queue.offer(e)) {
            closeWith("watch fell behind (more than " + (queue.size()) + " undelivered events); resume from the"
                    + " last revision seen");
        }
    }

    void start(Runnable deregister) {
        this.onClose = deregister;
        Threads.startDaemon("watch-" + shard + prefix, this::deliver);
    }

    private void deliver() {
        try {
            while (true) {
                WatchEvent e = queue.take();
                if (e == POISON) {
                    break;
                }
                listener.onEvent(e);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("watch listener on {}{} failed; closing the watch", shard, prefix, e);
            closeReason = "listener failed: " + e;
            closed.set(true);
        }
        onClose.run();
        listener.onClosed(closeReason);
    }

    void closeWith(String reason) {
        if (closed.compareAndSet(false, true)) {
            closeReason = reason;
            queue.clear();
            queue.offer(POISON);
        }
    }

    @Override
    public void close() {
        closeWith("cancelled");
    }
}
