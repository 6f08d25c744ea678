package io.flowkeeper.api.store;

/**
 * Receives a watch's events. Called on one thread per watch, in commit order; a slow listener delays only its own
 * watch (events queue per watch, and a watch that falls too far behind is closed with {@link #onClosed}).
 */
public interface WatchListener {
    void onEvent(WatchEvent event);

    /** The watch ended: cancelled, its node stopped, or it fell behind; {@code reason} says which. */
    default void onClosed(String reason) {}
}
