/**
 * Switch mastership from the command line: {@code flowkeeper switches}, {@code switch show DPID},
 * {@code flows DPID}, {@code ownership} and {@code hosts} (the hosts' agents, their snapshots and restores),
 * read-only commands against any node's REST API ({@code /v1/switches}, {@code /v1/ownership},
 * {@code /v1/network/hosts}) that print tables or, with {@code --output json}, the REST body.
 * They take the {@code cluster} commands' connection options and exit codes (see {@link io.flowkeeper.cli.RestConnection}).
 */
package io.flowkeeper.cli.switches;
