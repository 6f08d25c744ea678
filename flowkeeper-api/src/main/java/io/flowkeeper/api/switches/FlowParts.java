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
        Set<Map<String, Flow>> now = identitySet(parts);
        Set<Map<String, Flow>> before = identitySet(earlier.parts);
        Map<String, Flow> gone = new HashMap<>();
        for (Map<String, Flow> p : earlier.parts) {
            if (!now.contains(p)) {
                gone.putAll(p);
            }
        }
        Map<String, Flow> out = new HashMap<>();
        for (Map<String, Flow> p : parts) {
            if (!before.contains(p)) {
                p.forEach((id, f) -> {
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

    private static Set<Map<String, Flow>> identitySet(List<Map<String, Flow>> parts) {
        Set<Map<String, Flow>> out = Collections.newSetFromMap(new IdentityHashMap<>(parts.size()));
        out.addAll(parts);
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
