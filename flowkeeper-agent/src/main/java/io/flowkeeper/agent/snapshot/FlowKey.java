package io.flowkeeper.agent.snapshot;

import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * A flow's identity in the snapshot (table, priority and match, as the journal encodes them): immutable bytes
 * with value equality, usable as a map key.
 */
public final class FlowKey {
    private final byte[] bytes;
    private final int hash;

    public FlowKey(byte[] bytes) {
        this.bytes = bytes.clone();
        this.hash = Arrays.hashCode(this.bytes);
    }

    /** Wraps without copying: for bytes this package decoded and owns. */
    static FlowKey wrap(byte[] bytes) {
        return new FlowKey(bytes, true);
    }

    private FlowKey(byte[] bytes, boolean owned) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    byte[] unsafeBytes() {
        return bytes;
    }

    /**
     * The partition this key lives in. CRC32C, not {@link Object#hashCode()}: the mapping is on disk and must not
     * change between Java versions or releases.
     */
    static int partitionOf(byte[] key, int partitions) {
        CRC32C crc = new CRC32C();
        crc.update(key);
        return (int) (crc.getValue() % partitions);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FlowKey k && hash == k.hash && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return "FlowKey[" + bytes.length + " bytes]";
    }
}
