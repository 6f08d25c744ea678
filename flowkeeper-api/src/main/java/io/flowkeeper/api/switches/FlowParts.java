package io.flowkeeper.api.switches;

import io.flowkeeper.api.flow.Flow;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Flows by id, made of parts that successive answers of one {@link SwitchFlowSource} share by reference while they
 * are unchanged (the tenant data plane has a part per network and per secured port). Two such sets differ only in
 * the parts they do not share, so {@link #changesSince} costs what changed, not the switch's whole table: on a host
 * with tens of thousands of flows a port change touches one network's part.
 *
 * <p>Immutable, given immutable parts. A flow id is in one part at most: the source guarantees it (a map with an id
 * in two parts would count it twice).
 */
public final class FlowParts extends AbstractMap<String, Flow> {
    private final List<Map<String, Flow>> parts;
    private final int size;
    /** Every flow by id, built on the first lookup by id (the master looks up ids only at sync). */
    private Map<String, Flow> index;

    public FlowParts(List<Map<String, Flow>> parts) {
        this.parts = List.copyOf(parts);
        int n = 0;
        for (Map<String, Flow> p : this.parts) {
            n += p.size();
        }
        this.size = n;
    }

    /** The parts, in the source's order. */
    public List<Map<String, Flow>> parts() {
        return parts;
    }

    /**
     * The step from {@code before} to {@code now} (two answers of one source): each flow id whose flow was added or
     * changed, with the flow now, and each id removed, with null. By {@link #changesSince} when both are parts, else
     * by comparing every flow.
     */
    public static Map<String, Flow> changes(Map<String, Flow> before, Map<String, Flow> now) {
        if (now instanceof FlowParts parts && before instanceof FlowParts earlier) {
            return parts.changesSince(earlier);
        }
        Map<String, Flow> out = new HashMap<>();
        now.forEach((id, f) -> {
            Flow old = before.get(id);
            if (old != f && !f.equals(old)) {
                out.put(id, f);
            }
        });
        before.keySet().forEach(id -> {
            if (!now.containsKey(id)) {
                out.put(id, null);
            }
        });
        return out;
    }

    /**
     * The step from {@code earlier} (an earlier answer of the same source) to this set: each flow id whose flow was
     * added or changed, with the flow now, and each id removed, with null. Reads only the parts the two sets do not
     * share.
     */
    public Map<String, Flow> changesSince(FlowParts earlier) {
        int[] match = matchByReference(earlier.parts, parts);
        boolean[] shared = new boolean[earlier.parts.size()];
        for (int m : match) {
            if (m >= 0) {
                shared[m] = true;
            }
        }
        Map<String, Flow> gone = new HashMap<>();
        for (int j = 0; j < shared.length; j++) {
            if (!shared[j]) {
                gone.putAll(earlier.parts.get(j));
            }
        }
        Map<String, Flow> out = new HashMap<>();
        for (int i = 0; i < match.length; i++) {
            if (match[i] < 0) {
                parts.get(i).forEach((id, f) -> {
                    Flow old = gone.remove(id);
                    if (old == null || old != f && !old.equals(f)) {
                        out.put(id, f);
                    }
                });
            }
        }
        gone.keySet().forEach(id -> out.put(id, null));
        return out;
    }

    /** How far {@link #matchByReference} looks ahead for a part after one that is not shared. */
    private static final int LOOKAHEAD = 8;

    /**
     * Which element of {@code before} each element of {@code now} is, by reference (-1: none; each element of
     * {@code before} matched once). Made for two successive answers of one source, whose shared parts keep their
     * order (a part added, removed or replaced shifts the rest): walks both lists once, looking a few places ahead
     * after an element that is not shared, then matches the few left over on both sides by an identity map; when
     * many are left over, matches everything by an identity map instead. Every element of {@code now} that is in
     * {@code before} is matched, in any order.
     */
    public static int[] matchByReference(List<?> before, List<?> now) {
        int[] out = new int[now.size()];
        boolean[] matched = new boolean[before.size()];
        int unmatched = 0;
        int j = 0;
        for (int i = 0; i < now.size(); i++) {
            Object x = now.get(i);
            int found = -1;
            for (int k = j, end = Math.min(before.size(), j + LOOKAHEAD); k < end; k++) {
                if (before.get(k) == x) {
                    found = k;
                    break;
                }
            }
            out[i] = found;
            if (found >= 0) {
                matched[found] = true;
                j = found + 1;
            } else if (++unmatched > 2 * LOOKAHEAD) {
                return matchByIdentityMap(before, now);
            }
        }
        if (unmatched == 0) {
            return out;
        }
        IdentityHashMap<Object, Integer> left = new IdentityHashMap<>();
        for (int k = before.size() - 1; k >= 0; k--) {
            if (!matched[k]) {
                left.put(before.get(k), k);
                if (left.size() > 2 * LOOKAHEAD) {
                    return matchByIdentityMap(before, now);
                }
            }
        }
        for (int i = 0; i < out.length; i++) {
            if (out[i] < 0) {
                Integer k = left.remove(now.get(i));
                out[i] = k == null ? -1 : k;
            }
        }
        return out;
    }

    private static int[] matchByIdentityMap(List<?> before, List<?> now) {
        IdentityHashMap<Object, Integer> index = new IdentityHashMap<>(before.size());
        for (int j = before.size() - 1; j >= 0; j--) {
            index.put(before.get(j), j);
        }
        int[] out = new int[now.size()];
        for (int i = 0; i < now.size(); i++) {
            Integer j = index.remove(now.get(i)); // each element of before matched once
            out[i] = j == null ? -1 : j;
        }
        return out;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Flow get(Object key) {
        return index().get(key);
    }

    @Override
    public boolean containsKey(Object key) {
        return index().containsKey(key);
    }

    private synchronized Map<String, Flow> index() {
        if (index == null) {
            Map<String, Flow> all = new HashMap<>(size * 2);
            parts.forEach(all::putAll);
            index = all;
        }
        return index;
    }

    @Override
    public void forEach(BiConsumer<? super String, ? super Flow> action) {
        for (Map<String, Flow> p : parts) {
            p.forEach(action);
        }
    }

    @Override
    public Set<Entry<String, Flow>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public int size() {
                return size;
            }

            @Override
            public Iterator<Entry<String, Flow>> iterator() {
                return new Iterator<>() {
                    private final Iterator<Map<String, Flow>> part = parts.iterator();
                    private Iterator<Entry<String, Flow>> current = Collections.emptyIterator();

                    @Override
                    public boolean hasNext() {
                        while (!current.hasNext() && part.hasNext()) {
                            current = Collections.unmodifiableMap(part.next()).entrySet().iterator();
                        }
                        return current.hasNext();
                    }

                    @Override
                    public Entry<String, Flow> next() {
                        if (!hasNext()) {
                            throw new NoSuchElementException();
                        }
                        return current.next();
                    }
                };
            }
        };
    }
}
