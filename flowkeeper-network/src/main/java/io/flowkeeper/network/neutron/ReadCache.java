package io.flowkeeper.network.neutron;

import io.flowkeeper.network.neutron.NeutronDocuments.Doc;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The collections one request has read, so that showing 1,000 networks reads the subnets once. Lives for one request
 * (after its barrier), so it never serves anything older than the request.
 */
final class ReadCache {
    private final NeutronDocuments docs;
    private final Map<String, List<Doc>> collections = new HashMap<>();
    private final Map<String, Map<String, Doc>> indexes = new HashMap<>();

    ReadCache(NeutronDocuments docs) {
        this.docs = docs;
    }

    List<Doc> all(String collection) {
        return collections.computeIfAbsent(collection, docs::list);
    }

    /** The collection by id. */
    Map<String, Doc> index(String collection) {
        return indexes.computeIfAbsent(collection, c -> {
            Map<String, Doc> m = new HashMap<>();
            all(c).forEach(d -> m.put(d.id(), d));
            return m;
        });
    }

    /** Forgets what was read (after this request wrote). */
    void clear() {
        collections.clear();
        indexes.clear();
    }
}
