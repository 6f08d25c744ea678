package io.flowkeeper.cli.network;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.function.Function;

/**
 * One Neutron collection as the commands show it: its URL segment ({@code floatingips}), the key of one object in a
 * body ({@code floatingip}), the word used in messages, and the columns of its list table.
 *
 * @param collection the path segment after {@code /v2.0/} and the key of a list body
 * @param singular the key of a show body
 * @param noun what one object is called in messages ("floating IP")
 * @param columns the list table, left to right
 */
record NeutronResource(String collection, String singular, String noun, List<Column> columns) {
    /** A list column: its header and how a cell is taken from one object. */
    record Column(String header, Function<JsonNode, String> cell) {
    }

    static Column column(String header, String field) {
        return new Column(header, o -> NeutronValues.text(o.path(field)));
    }

    static Column column(String header, Function<JsonNode, String> cell) {
        return new Column(header, cell);
    }
}
