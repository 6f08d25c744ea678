/**
 * Benchmarks behind {@code flowkeeper bench}: each runs Flowkeeper and the old way ({@code ovs-ofctl}, ...) in the
 * same run against real OVS and prints both figures and the ratio, as a table or JSON. Results are recorded in
 * {@code docs/benchmarks.md}.
 */
package io.flowkeeper.cli.bench;
