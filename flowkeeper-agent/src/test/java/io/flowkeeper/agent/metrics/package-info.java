/** The agent's /metrics against a real OVS bridge: journal, snapshot and restore series. */
package io.flowkeeper.agent.metrics;
