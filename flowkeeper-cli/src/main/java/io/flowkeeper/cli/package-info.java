/**
 * The {@code flowkeeper} command line: the top-level command, version, error reporting and the subcommands that
 * are not owned by a single capability. Capability commands live in sub-packages ({@code demo}, {@code bench},
 * ...) and are registered once in {@link io.flowkeeper.cli.FlowkeeperCommand}.
 */
package io.flowkeeper.cli;
