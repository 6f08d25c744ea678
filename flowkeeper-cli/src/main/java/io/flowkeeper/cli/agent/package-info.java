/**
 * {@code flowkeeper agent}: runs the host agent (flow journal and restore; with --api, its cluster side) beside a
 * host's Open vSwitch.
 */
package io.flowkeeper.cli.agent;
