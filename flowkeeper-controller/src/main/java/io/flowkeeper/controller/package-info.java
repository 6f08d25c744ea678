/**
 * One controller node as a process: {@link io.flowkeeper.controller.ControllerConfig} (YAML file + flags),
 * {@link io.flowkeeper.controller.ControllerNode} wiring the cluster datastore and the token-protected
 * {@link io.flowkeeper.controller.RestServer}, and {@link io.flowkeeper.controller.ControllerMain}, the entry point
 * that {@code flowkeeper controller}, the tests and the bench start.
 */
package io.flowkeeper.controller;
