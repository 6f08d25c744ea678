/**
 * {@code flowkeeper demo}: a guided run on a real-OVS test bed. The command owns the test bed and the timeline
 * ({@link io.flowkeeper.cli.demo.DemoContext}); each capability contributes one
 * {@link io.flowkeeper.cli.demo.DemoStage}.
 */
package io.flowkeeper.cli.demo;
