package io.flowkeeper.openflow;

import com.google.common.hash.PrimitiveSink;
import io.netty.buffer.ByteBuf;
import org.projectfloodlight.openflow.protocol.OFActionType;
import org.projectfloodlight.openflow.protocol.OFVersion;
import org.projectfloodlight.openflow.protocol.action.OFAction;
import org.projectfloodlight.openflow.protocol.match.MatchField;
import org.projectfloodlight.openflow.protocol.oxm.OFOxm;

/**
 * Nicira extension bytes (from {@code wire.NiciraWire}) carried inside Loxi messages: Loxi writes lists of actions
 * and OXMs by asking each element to write itself, so an element that writes our bytes puts the extensions Loxi
 * does not know (ct, nat, conjunction, conj_id) into an otherwise ordinary FLOW_MOD. Write-only: dumps are read by
 * {@code WireFlows}, never by Loxi.
 */
final class RawNicira {
    private RawNicira() {
    }

    /** The bytes and what Loxi asks every object for: its version, to write itself, to hash itself. */
    private abstract static class Bytes {
        final OFVersion version;
        final byte[] bytes;

        Bytes(OFVersion version, byte[] bytes) {
            this.version = version;
            this.bytes = bytes;
        }

        public OFVersion getVersion() {
            return version;
        }

        public void writeTo(ByteBuf bb) {
            bb.writeBytes(bytes);
        }

        public void putTo(PrimitiveSink sink) {
            sink.putBytes(bytes);
        }
    }

    /** A vendor action. */
    static final class Action extends Bytes implements OFAction {
        Action(OFVersion version, byte[] bytes) {
            super(version, bytes);
        }

        @Override
        public OFActionType getType() {
            return OFActionType.EXPERIMENTER;
        }

        @Override
        public OFAction.Builder createBuilder() {
            throw new UnsupportedOperationException("a raw Nicira action has no builder");
        }
    }

    /**
     * An NXM match entry. Loxi's OXM list is keyed by its own field ids, one entry per id: {@code key} is a Loxi field
     * Flowkeeper never matches otherwise, reserved for this entry (see {@code LoxiFlows}).
     */
    @SuppressWarnings({"rawtypes", "unchecked"})
    static final class Oxm extends Bytes implements OFOxm {
        private final MatchField key;

        Oxm(OFVersion version, MatchField key, byte[] bytes) {
            super(version, bytes);
            this.key = key;
        }

        @Override
        public long getTypeLen() {
            return Integer.toUnsignedLong((bytes[0] & 0xff) << 24 | (bytes[1] & 0xff) << 16 | (bytes[2] & 0xff) << 8
                    | (bytes[3] & 0xff));
        }

        @Override
        public org.projectfloodlight.openflow.types.OFValueType getValue() {
            return null;
        }

        @Override
        public org.projectfloodlight.openflow.types.OFValueType getMask() {
            return null;
        }

        @Override
        public MatchField getMatchField() {
            return key;
        }

        @Override
        public boolean isMasked() {
            return (bytes[2] & 1) != 0;
        }

        @Override
        public OFOxm getCanonical() {
            return this;
        }

        @Override
        public OFOxm.Builder createBuilder() {
            throw new UnsupportedOperationException("a raw NXM entry has no builder");
        }
    }
}
