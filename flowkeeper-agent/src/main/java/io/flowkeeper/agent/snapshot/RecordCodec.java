package io.flowkeeper.agent.snapshot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Encodes and decodes one snapshot record: {@code magic(2) length(4) crc32c(4) payload}, payload =
 * {@code type(1) keyLength(2) key value}. Big-endian, like OpenFlow.
 */
final class RecordCodec {
    static final short MAGIC = (short) 0xF10C;
    static final int HEADER = 10;
    /** A flow-mod is at most 64 KiB (OpenFlow's 16-bit length); anything longer is damage, not a record. */
    static final int MAX_PAYLOAD = 3 + 0xFFFF + 0xFFFF;

    static final byte PUT = 1;
    static final byte DELETE = 2;

    /** File header: 8 bytes of magic text + the generation. */
    static final byte[] FILE_MAGIC = {'F', 'K', 'S', 'N', 'A', 'P', '0', '1'};
    static final int FILE_HEADER = 16;

    private RecordCodec() {
    }

    static int encodedSize(byte[] key, byte[] value) {
        return HEADER + 3 + key.length + (value == null ? 0 : value.length);
    }

    /** Appends one record to {@code out} (which must have room). */
    static void encode(ByteBuffer out, byte type, byte[] key, byte[] value) {
        if (key.length > 0xFFFF) {
            throw new IllegalArgumentException("key longer than 65535 bytes");
        }
        int payload = 3 + key.length + (value == null ? 0 : value.length);
        int start = out.position();
        out.putShort(MAGIC);
        out.putInt(payload);
        int crcAt = out.position();
        out.putInt(0);
        out.put(type);
        out.putShort((short) key.length);
        out.put(key);
        if (value != null) {
            out.put(value);
        }
        CRC32C crc = new CRC32C();
        ByteBuffer covered = out.duplicate().order(ByteOrder.BIG_ENDIAN);
        covered.position(start + 2).limit(start + 6);
        crc.update(covered);
        covered.limit(out.position()).position(start + HEADER);
        crc.update(covered);
        out.putInt(crcAt, (int) crc.getValue());
    }

    static ByteBuffer fileHeader(long generation) {
        ByteBuffer b = ByteBuffer.allocate(FILE_HEADER);
        b.put(FILE_MAGIC).putLong(generation).flip();
        return b;
    }

    /** A decoded record. {@code value} is null for a DELETE. */
    record Decoded(byte type, byte[] key, byte[] value, int size) {
    }

    /**
     * Decodes the record at {@code pos} of {@code data}, or returns null when the bytes there are not a complete,
     * valid record.
     */
    static Decoded decode(ByteBuffer data, int pos) {
        int limit = data.limit();
        if (pos + HEADER > limit || data.getShort(pos) != MAGIC) {
            return null;
        }
        int length = data.getInt(pos + 2);
        if (length < 3 || length > MAX_PAYLOAD || (long) pos + HEADER + length > limit) {
            return null;
        }
        CRC32C crc = new CRC32C();
        ByteBuffer covered = data.duplicate();
        covered.limit(pos + 6).position(pos + 2);
        crc.update(covered);
        covered.limit(pos + HEADER + length).position(pos + HEADER);
        crc.update(covered);
        if ((int) crc.getValue() != data.getInt(pos + 6)) {
            return null;
        }
        int p = pos + HEADER;
        byte type = data.get(p);
        int keyLength = Short.toUnsignedInt(data.getShort(p + 1));
        if ((type != PUT && type != DELETE) || 3 + keyLength > length) {
            return null;
        }
        byte[] key = new byte[keyLength];
        data.get(p + 3, key);
        byte[] value = null;
        if (type == PUT) {
            value = new byte[length - 3 - keyLength];
            data.get(p + 3 + keyLength, value);
        }
        return new Decoded(type, key, value, HEADER + length);
    }
}
