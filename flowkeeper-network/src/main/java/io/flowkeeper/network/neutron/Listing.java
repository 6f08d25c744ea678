package io.flowkeeper.network.neutron;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.network.ApiRequest;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Neutron's list semantics over computed views: filters by any attribute ({@code ?network_id=a&network_id=b} is
 * a OR b; different keys are AND; {@code fixed_ips=ip_address=...} and {@code fixed_ips=subnet_id=...} look inside
 * a port's addresses), {@code fields}, sorting ({@code sort_key}/{@code sort_dir}, repeatable, id last) and
 * pagination ({@code limit}, {@code marker}, {@code page_reverse}) with {@code {collection}_links}. Pure.
 */
final class Listing {
    private static final Set<String> CONTROL = Set.of("fields", "sort_key", "sort_dir", "limit", "marker",
            "page_reverse", "tags", "tags-any", "not-tags", "not-tags-any");

    private Listing() {}

    /**
     * A test on a document's JSON text that every match passes: a filter on ids ({@code ?network_id=...}) can
     * only match a document whose text contains one of the ids, so the others are never parsed. Ids only: booleans
     * and numbers are spelled differently in queries and documents.
     */
    static Predicate<String> rawFilter(Map<String, List<String>> q) {
        List<List<String>> required = new ArrayList<>();
        q.forEach((key, values) -> {
            if (CONTROL.contains(key)) {
                return;
            }
            List<String> ids = new ArrayList<>();
            for (String v : values) {
                String value = key.equals("fixed_ips") && v.indexOf('=') >= 0 ? v.substring(v.indexOf('=') + 1) : v;
                if (!isCanonicalId(value)) {
                    return; // not every value is a canonical id: no shortcut for this key
                }
                ids.add("\"" + value + "\"");
            }
            required.add(ids);
        });
        return json -> required.stream().allMatch(ids -> ids.stream().anyMatch(json::contains));
    }

    /** An id as this server writes it (lower-case UUID with dashes), so it can be looked up or matched as text. */
    static boolean isCanonicalId(String value) {
        return value.length() == 36 && Body.isUuid(value) && value.equals(value.toLowerCase());
    }

    /** Whether the query asks for a page in plain id order: no filter, no sort key, forward, with a limit. */
    static boolean pageInIdOrder(Map<String, List<String>> q) {
        List<String> limit = q.get("limit");
        return limit != null && limit.size() == 1 && limit.get(0).matches("[1-9]\\d{0,8}")
                && Set.of("limit", "marker", "fields").containsAll(q.keySet())
                && q.getOrDefault("marker", List.of()).size() <= 1;
    }

    static ObjectNode answer(String collection, List<ObjectNode> views, ApiRequest req) {
        Map<String, List<String>> q = req.query();
        List<ObjectNode> matching = new ArrayList<>();
        for (ObjectNode v : views) {
            if (matches(v, q)) {
                matching.add(v);
            }
        }
        Comparator<JsonNode> order = order(q);
        matching.sort(order::compare);
        boolean reverse = "true".equalsIgnoreCase(req.param("page_reverse"));
        int limit = limit(req.param("limit"));
        String marker = req.param("marker");
        ObjectNode out = NeutronDocuments.JSON.createObjectNode();
        ArrayNode links = NeutronDocuments.JSON.createArrayNode();
        List<ObjectNode> page = matching;
        if (limit > 0 || marker != null) {
            List<ObjectNode> ordered = new ArrayList<>(matching);
            if (reverse) {
                java.util.Collections.reverse(ordered);
            }
            int start = 0;
            if (marker != null) {
                int at = -1;
                for (int i = 0; i < ordered.size(); i++) {
                    if (ordered.get(i).path("id").asText().equals(marker)) {
                        at = i;
                        break;
                    }
                }
                if (at < 0) {
                    throw NeutronException.notFound("MarkerNotFound", "Marker " + Body.abbreviate(marker)
                            + " could not be found.");
                }
                start = at + 1;
            }
            int end = limit > 0 ? Math.min(ordered.size(), start + limit) : ordered.size();
            page = new ArrayList<>(ordered.subList(start, end));
            boolean more = end < ordered.size();
            if (reverse) {
                java.util.Collections.reverse(page);
            }
            if (!page.isEmpty()) {
                String first = page.get(0).path("id").asText();
                String last = page.get(page.size() - 1).path("id").asText();
                // Forward: "next" continues after the last item, "previous" goes back from the first one. A reversed
                // page was read backwards, so its continuation is "previous".
                if (more) {
                    links.add(link(req, reverse ? "previous" : "next", reverse ? first : last, reverse));
                }
                if (marker != null) {
                    links.add(link(req, reverse ? "next" : "previous", reverse ? last : first, !reverse));
                }
            }
        }
        ArrayNode items = out.putArray(collection);
        List<String> fields = q.get("fields");
        page.forEach(v -> items.add(fields(v, fields)));
        if (!links.isEmpty()) {
            out.set(collection + "_links", links);
        }
        return out;
    }

    private static ObjectNode link(ApiRequest req, String rel, String marker, boolean reverse) {
        StringBuilder href = new StringBuilder(req.baseUrl()).append(req.path()).append('?');
        req.query().forEach((k, values) -> {
            if (!k.equals("marker") && !k.equals("page_reverse")) {
                values.forEach(v -> href.append(enc(k)).append('=').append(enc(v)).append('&'));
            }
        });
        href.append("marker=").append(enc(marker));
        if (reverse) {
            href.append("&page_reverse=True");
        }
        return NeutronDocuments.JSON.createObjectNode().put("rel", rel).put("href", href.toString());
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static int limit(String text) {
        if (text == null || text.equalsIgnoreCase("none")) {
            return 0;
        }
        if (!text.matches("\\d{1,9}")) {
            throw NeutronException.badRequest("Limit must be an integer 0 or greater and not '" + Body.abbreviate(text)
                    + "'");
        }
        return Integer.parseInt(text);
    }

    static ObjectNode fields(ObjectNode view, List<String> fields) {
        if (fields == null || fields.isEmpty()) {
            return view;
        }
        ObjectNode out = NeutronDocuments.JSON.createObjectNode();
        for (String f : fields) {
            if (view.has(f)) {
                out.set(f, view.get(f));
            }
        }
        return out;
    }

    private static boolean matches(ObjectNode view, Map<String, List<String>> q) {
        for (Map.Entry<String, List<String>> e : q.entrySet()) {
            String key = e.getKey();
            if (CONTROL.contains(key)) {
                if (key.equals("tags") || key.equals("tags-any")) {
                    return false; // no resource carries tags
                }
                continue;
            }
            if (!view.has(key)) {
                continue; // Neutron without filter validation ignores attributes it does not know
            }
            JsonNode actual = view.get(key);
            boolean any = false;
            for (String wanted : e.getValue()) {
                if (key.equals("fixed_ips") ? fixedIpMatches(actual, wanted) : valueMatches(actual, wanted)) {
                    any = true;
                    break;
                }
            }
            if (!any) {
                return false;
            }
        }
        return true;
    }

    private static boolean fixedIpMatches(JsonNode fixedIps, String wanted) {
        int eq = wanted.indexOf('=');
        if (eq < 0) {
            return false;
        }
        String field = wanted.substring(0, eq);
        String value = wanted.substring(eq + 1);
        for (JsonNode ip : fixedIps) {
            if (field.equals("ip_address_substr") ? ip.path("ip_address").asText().contains(value)
                    : ip.path(field).asText().equals(value)) {
                return true;
            }
        }
        return false;
    }

    private static boolean valueMatches(JsonNode actual, String wanted) {
        if (actual.isArray()) {
            for (JsonNode a : actual) {
                if (valueMatches(a, wanted)) {
                    return true;
                }
            }
            return false;
        }
        if (actual.isNull()) {
            return wanted.isEmpty() || wanted.equals("None") || wanted.equals("null");
        }
        if (actual.isBoolean()) {
            return actual.asText().equalsIgnoreCase(wanted) || (wanted.equals("1") && actual.asBoolean())
                    || (wanted.equals("0") && !actual.asBoolean());
        }
        if (actual.isObject()) {
            return actual.toString().equals(wanted);
        }
        return actual.asText().equals(wanted);
    }

    private static Comparator<JsonNode> order(Map<String, List<String>> q) {
        List<String> keys = new ArrayList<>(q.getOrDefault("sort_key", List.of()));
        List<String> dirs = q.getOrDefault("sort_dir", List.of());
        if (!dirs.isEmpty() && dirs.size() != keys.size()) {
            throw NeutronException.badRequest("The number of sort_keys and sort_dirs must be same");
        }
        Comparator<JsonNode> c = (a, b) -> 0;
        for (int i = 0; i < keys.size(); i++) {
            String key = keys.get(i);
            String dir = dirs.isEmpty() ? "asc" : dirs.get(i);
            if (!dir.equals("asc") && !dir.equals("desc")) {
                throw NeutronException.badRequest("Sort direction '" + Body.abbreviate(dir)
                        + "' is not valid: asc or desc");
            }
            Comparator<JsonNode> byKey = Comparator.comparing(v -> v.get(key), Listing::compareValues);
            c = c.thenComparing(dir.equals("asc") ? byKey : byKey.reversed());
        }
        return c.thenComparing(v -> v.path("id").asText());
    }

    private static int compareValues(JsonNode a, JsonNode b) {
        boolean aNull = a == null || a.isNull();
        boolean bNull = b == null || b.isNull();
        if (aNull || bNull) {
            return Boolean.compare(!aNull, !bNull);
        }
        if (a.isNumber() && b.isNumber()) {
            return Double.compare(a.asDouble(), b.asDouble());
        }
        return a.asText().compareTo(b.asText());
    }
}
