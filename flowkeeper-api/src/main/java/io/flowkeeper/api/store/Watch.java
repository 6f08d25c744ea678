package io.flowkeeper.api.store;

/** A registered watch; {@link #close()} stops delivery. */
public interface Watch extends AutoCloseable {
    @Override
    void close();
}
