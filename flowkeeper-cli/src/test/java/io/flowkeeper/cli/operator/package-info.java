/**
 * Tests of the operator's view against real clusters and switches: /metrics scraped and parsed during a failover,
 * the dashboard driven in a real headless Chromium, the agent's own /metrics.
 */
package io.flowkeeper.cli.operator;
