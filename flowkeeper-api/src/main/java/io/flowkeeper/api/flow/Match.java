package io.flowkeeper.api.flow;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/** An immutable set of field matches; equal when the same fields hold the same values and masks. */
public final class Match {
    public static final Match ALL = new Match(new EnumMap<>(MatchField.class));

    private final Map<MatchField, MatchValue> fields;
    /**
     * Computed once: matches key the maps a switch's whole table goes through (tens of thousands of flows on a
     * host), and the map's own hash (a sum of field ^ value) gives flows that differ in two fields the same hash,
     * e.g. metadata holding a port and a network tag that both count up.
     */
    private final int hash;

    private Match(EnumMap<MatchField, MatchValue> fields) {
        this.fields = Collections.unmodifiableMap(fields);
        int h = 1;
        for (Map.Entry<MatchField, MatchValue> e : fields.entrySet()) { // in field order: equal matches, equal hash
            h = 31 * h + e.getKey().ordinal();
            h = 31 * h + mix(e.getValue().value());
            h = 31 * h + (e.getValue().mask() == null ? 0 : mix(e.getValue().mask()));
        }
        this.hash = h;
    }

    /** A long's bits spread over an int, so that values differing in any bits differ in the hash's low bits. */
    private static int mix(long v) {
        long x = v * 0x9E3779B97F4A7C15L;
        return (int) (x ^ (x >>> 32));
    }

    public static Builder builder() {
        return new Builder();
    }

    public Map<MatchField, MatchValue> fields() {
        return fields;
    }

    public MatchValue get(MatchField field) {
        return fields.get(field);
    }

    public boolean has(MatchField field) {
        return fields.containsKey(field);
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.fields.putAll(fields);
        return b;
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof Match m && hash == m.hash && fields.equals(m.fields);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return OfctlText.formatMatch(this);
    }

    /** Builds a match; checks that values and masks fit their fields. */
    public static final class Builder {
        private final EnumMap<MatchField, MatchValue> fields = new EnumMap<>(MatchField.class);

        public Builder exact(MatchField field, long value) {
            return set(field, MatchValue.exact(value));
        }

        public Builder masked(MatchField field, long value, long mask) {
            return set(field, mask == field.maxValue() ? MatchValue.exact(value) : MatchValue.masked(value, mask));
        }

        public Builder set(MatchField field, MatchValue value) {
            Objects.requireNonNull(field, "field");
            if (field.bits() < 64 && (Long.compareUnsigned(value.value(), field.maxValue()) > 0
                    || (value.mask() != null && Long.compareUnsigned(value.mask(), field.maxValue()) > 0))) {
                throw new IllegalArgumentException(field.ofctlName() + " value out of range: " + value.value());
            }
            fields.put(field, value);
            return this;
        }

        public Builder remove(MatchField field) {
            fields.remove(field);
            return this;
        }

        public Match build() {
            return new Match(new EnumMap<>(fields));
        }
    }
}
