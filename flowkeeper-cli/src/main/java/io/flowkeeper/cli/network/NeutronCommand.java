package io.flowkeeper.cli.network;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.cli.RestConnection;
import io.flowkeeper.cli.TextTable;
import io.flowkeeper.cli.UserException;
import io.flowkeeper.controller.RestClient;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * What the {@code list} and {@code show} commands of every Neutron collection share: the request, the answer's
 * shape and the output. Each resource command ({@link NetworksCommand}, ...) is a {@link Group} naming its
 * {@link NeutronResource}, with {@link Show} and a {@link ListBase} subclass (which documents its columns and may add
 * filters) as subcommands; both find the resource through their parent.
 */
final class NeutronCommand {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private NeutronCommand() {
    }

    /** A resource's command ({@code flowkeeper networks}): without a subcommand, its usage. */
    abstract static class Group implements Runnable {
        @Spec
        CommandSpec spec;

        abstract NeutronResource resource();

        /** Prints what {@code show} adds after the object's fields (text output only); nothing by default. */
        void showMore(RestConnection connection, JsonNode object) {
        }

        @Override
        public void run() {
            spec.commandLine().usage(System.out);
        }
    }

    /** {@code list}: every object the token may see, filtered, all pages followed. */
    abstract static class ListBase implements Callable<Integer> {
        @Mixin
        final RestConnection connection = new RestConnection();

        @Option(names = "--project", paramLabel = "ID", description = "Only this project's objects (project_id).")
        String project;

        @Option(names = "--name", paramLabel = "NAME", description = "Only objects with this name.")
        String name;

        @Option(names = "--filter", paramLabel = "ATTRIBUTE=VALUE",
                description = "Any other attribute filter the Neutron API takes (e.g. status=ACTIVE); repeatable.")
        List<String> filters = new ArrayList<>();

        @ParentCommand
        Group parent;

        /** The resource's own options, as Neutron filters (attribute to value); null values are left out. */
        Map<String, String> resourceFilters() {
            return Map.of();
        }

        @Override
        public Integer call() throws Exception {
            NeutronResource r = parent.resource();
            Map<String, String> query = new LinkedHashMap<>();
            query.put("project_id", project);
            query.put("name", name);
            query.putAll(resourceFilters());
            for (String f : filters) {
                int eq = f.indexOf('=');
                if (eq <= 0) {
                    throw new UserException("--filter takes ATTRIBUTE=VALUE, not '" + f + "'", 2);
                }
                query.put(f.substring(0, eq), f.substring(eq + 1));
            }
            ArrayNode objects = listAll(connection, r, query);
            if (connection.json()) {
                ObjectNode body = JSON.createObjectNode();
                body.set(r.collection(), objects);
                System.out.println(JSON.writeValueAsString(body));
                return 0;
            }
            if (objects.isEmpty()) {
                System.out.println("no " + r.noun() + "s" + (query.values().stream().anyMatch(v -> v != null)
                        ? " match the filters" : ""));
                return 0;
            }
            List<String> header = new ArrayList<>();
            r.columns().forEach(c -> header.add(c.header()));
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode o : objects) {
                List<String> row = new ArrayList<>();
                r.columns().forEach(c -> row.add(c.cell().apply(o)));
                rows.add(row);
            }
            System.out.print(TextTable.render(header, rows));
            return 0;
        }

    }

    /** {@code show ID}: one object by ID or, as the openstack client does, by a name only it has. */
    @Command(name = "show", mixinStandardHelpOptions = true,
            description = {"Show one object: every attribute, one per line, sorted (--output json: the",
                "Neutron body). ID may also be a name that only one object has.",
                "Exit codes: 0 done, 1 the server refused (e.g. no such object), 2 bad usage,",
                "3 node unreachable."})
    static final class Show implements Callable<Integer> {
        @Mixin
        final RestConnection connection = new RestConnection();

        @Parameters(index = "0", paramLabel = "ID", description = "The object's ID, or a name no other object has.")
        String id;

        @ParentCommand
        Group parent;

        @Override
        public Integer call() throws Exception {
            NeutronResource r = parent.resource();
            JsonNode object = find(r);
            if (connection.json()) {
                ObjectNode body = JSON.createObjectNode();
                body.set(r.singular(), object);
                System.out.println(JSON.writeValueAsString(body));
                return 0;
            }
            // Sorted by attribute, as `openstack ... show` prints them.
            Map<String, JsonNode> fields = new TreeMap<>();
            object.fields().forEachRemaining(e -> fields.put(e.getKey(), e.getValue()));
            List<List<String>> rows = new ArrayList<>();
            fields.forEach((k, v) -> rows.add(List.of(k, NeutronValues.text(v))));
            System.out.print(TextTable.render(List.of("FIELD", "VALUE"), rows));
            parent.showMore(connection, object);
            return 0;
        }

        private JsonNode find(NeutronResource r) {
            RestClient.Response byId = connection.sendOpenStack("GET",
                    "/v2.0/" + r.collection() + "/" + pathSegment(id), null);
            if (byId.status() == 404) {
                ArrayNode named = listAll(connection, r, Map.of("name", id));
                if (named.size() == 1) {
                    return named.get(0);
                }
                if (named.size() > 1) {
                    throw new UserException(named.size() + " " + r.noun() + "s are named '" + id
                            + "': give the ID", 1);
                }
            }
            JsonNode object = RestConnection.requireOk(byId).body().path(r.singular());
            if (!object.isObject()) {
                throw new UserException("the answer has no '" + r.singular() + "' object", 1);
            }
            return object;
        }
    }

    /** Filters from (attribute, value) pairs in order; a null value (option not given) is kept and left out later. */
    static Map<String, String> filters(String... attributeValuePairs) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < attributeValuePairs.length; i += 2) {
            m.put(attributeValuePairs[i], attributeValuePairs[i + 1]);
        }
        return m;
    }

    /**
     * Every object of the collection matching the filters. A server that pages its answers (Neutron's
     * {@code <collection>_links} with {@code rel=next}) is followed to the last page, so the list is whole.
     */
    static ArrayNode listAll(RestConnection connection, NeutronResource r, Map<String, String> filters) {
        StringBuilder path = new StringBuilder("/v2.0/").append(r.collection());
        char sep = '?';
        for (Map.Entry<String, String> f : filters.entrySet()) {
            if (f.getValue() != null) {
                path.append(sep).append(queryPart(f.getKey())).append('=').append(queryPart(f.getValue()));
                sep = '&';
            }
        }
        ArrayNode all = JSON.createArrayNode();
        Set<String> seen = new HashSet<>();
        for (String next = path.toString(); next != null; ) {
            if (!seen.add(next)) {
                throw new UserException("the server's next-page link repeats itself (" + next + ")", 1);
            }
            JsonNode body = connection.callOpenStack("GET", next, null).body();
            JsonNode page = body.path(r.collection());
            if (!page.isArray()) {
                throw new UserException("the answer has no '" + r.collection() + "' list", 1);
            }
            all.addAll((ArrayNode) page);
            next = page.isEmpty() ? null : nextPage(body.path(r.collection() + "_links"));
        }
        return all;
    }

    /** The path and query of the {@code rel=next} link, or null on the last page. */
    private static String nextPage(JsonNode links) {
        for (JsonNode link : links) {
            if (link.path("rel").asText().equals("next")) {
                URI href = URI.create(link.path("href").asText());
                return href.getRawPath() + (href.getRawQuery() == null ? "" : "?" + href.getRawQuery());
            }
        }
        return null;
    }

    private static String queryPart(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** An ID or name as one path segment: nothing in it can reach another URL. */
    static String pathSegment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
