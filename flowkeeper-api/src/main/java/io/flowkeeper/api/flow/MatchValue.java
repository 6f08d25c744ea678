package io.flowkeeper.api.flow;

/**
 * A field's value in a match, with an optional mask (a bit set in the mask must match; no mask: all bits).
 *
 * @param mask null for an exact match
 */
public record MatchValue(long value, Long mask) {
    public static MatchValue exact(long value) {
        return new MatchValue(value, null);
    }

    public static MatchValue masked(long value, long mask) {
        return new MatchValue(value & mask, mask);
    }

    public boolean isMasked() {
        return mask != null;
    }
}
