/**
 * {@code flowkeeper controller} (one cluster node) and {@code flowkeeper cluster ...} (operator commands against
 * any node's REST API, tables or {@code --output json}).
 */
package io.flowkeeper.cli.cluster;
