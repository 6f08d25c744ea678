package io.flowkeeper.api.store;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A hierarchical key such as {@code /networks/net-1/ports/p-7}: a slash, then one or more segments separated by
 * slashes. Segments use {@code [A-Za-z0-9._:@-]} only (no spaces, no empty segments, not {@code .} or {@code ..}),
 * so a path can be put in a URL unescaped and a prefix watch on {@code /networks/net-1} never matches
 * {@code /networks/net-10}. The root {@code /} is valid as a prefix (list or watch everything).
 */
public final class DataPath implements Comparable<DataPath> {
    /** Longest accepted path, in characters: keeps keys small next to their values. */
    public static final int MAX_LENGTH = 512;

    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._:@-]{1,128}");
    public static final DataPath ROOT = new DataPath("/");

    private final String text;

    private DataPath(String text) {
        this.text = text;
    }

    /** Parses a path; throws {@link IllegalArgumentException} with a message naming what is wrong. */
    public static DataPath of(String text) {
        Objects.requireNonNull(text, "path");
        if (text.equals("/")) {
            return ROOT;
        }
        if (text.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("path longer than " + MAX_LENGTH + " characters");
        }
        if (!text.startsWith("/")) {
            throw new IllegalArgumentException("path must start with '/': " + text);
        }
        String body = text.endsWith("/") ? text.substring(1, text.length() - 1) : text.substring(1);
        for (String segment : body.split("/", -1)) {
            if (!SEGMENT.matcher(segment).matches() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("invalid path segment '" + segment + "' in " + text
                        + " (allowed: 1-128 of A-Z a-z 0-9 . _ : @ -)");
            }
        }
        return new DataPath("/" + body);
    }

    /** The child path {@code this/segment}. */
    public DataPath child(String segment) {
        return of(isRoot() ? "/" + segment : text + "/" + segment);
    }

    public boolean isRoot() {
        return text.equals("/");
    }

    /** True when {@code other} equals this path or lies below it. */
    public boolean contains(DataPath other) {
        return isRoot() || other.text.equals(text) || other.text.startsWith(text + "/");
    }

    /** True when the path string {@code other} (already valid) equals this path or lies below it. */
    public boolean contains(String other) {
        return isRoot() || other.equals(text) || other.startsWith(text + "/");
    }

    public List<String> segments() {
        return isRoot() ? List.of() : List.of(text.substring(1).split("/"));
    }

    @Override
    public String toString() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DataPath p && p.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public int compareTo(DataPath o) {
        return text.compareTo(o.text);
    }
}
