/** {@code flowkeeper agent}: runs the host agent (flow journal and restore) beside a host's Open vSwitch. */
package io.flowkeeper.cli.agent;
