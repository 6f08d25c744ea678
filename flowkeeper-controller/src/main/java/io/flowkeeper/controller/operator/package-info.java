/**
 * The operator's view of one node: its Prometheus meters ({@link io.flowkeeper.controller.operator.NodeMetrics},
 * served at {@code /metrics}), the timeline of what happened in the cluster as this node saw it
 * ({@link io.flowkeeper.controller.operator.EventTimeline}, fed by
 * {@link io.flowkeeper.controller.operator.ClusterWatcher}, pushed to the dashboard at {@code /v1/events}). The
 * dashboard's static files are not here: they are resources of this jar ({@code io/flowkeeper/controller/dashboard/})
 * served by Jetty's {@code ResourceHandler} (see {@code RestServer#serveFiles}). Everything here only reads: the
 * dashboard changes nothing, and a failing meter or watcher never affects the node's work.
 */
package io.flowkeeper.controller.operator;
