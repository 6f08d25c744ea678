/**
 * The agent's own {@code /metrics}: its journal, snapshots and restores as Prometheus series, served by the JDK's
 * small HTTP server on {@code --metrics-address} behind the agent's API token (an agent has no other HTTP server,
 * and one scrape every few seconds needs no more).
 */
package io.flowkeeper.agent.metrics;
