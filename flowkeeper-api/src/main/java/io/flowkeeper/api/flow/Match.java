package io.flowkeeper.api.flow;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/** An immutable set of field matches; equal when the same fields hold the same values and masks. */
public final class Match {
    public static final Match ALL = new Match(new EnumMap<>(MatchField.class));

    private final Map<MatchField, MatchValue> fields;

    private Match(EnumMap<MatchField, MatchValue> fields) {
        this.fields = Collections.unmodifiableMap(fields);
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
        return o instanceof Match m && fields.equals(m.fields);
    }

    @Override
    public int hashCode() {
        return fields.hashCode();
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
