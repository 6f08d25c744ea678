/**
 * {@code flowkeeper snapshot ...}: operator commands on a host agent's flow snapshot directory (one per bridge):
 * inspect, verify, export as {@code ovs-ofctl} text, and restore by hand.
 */
package io.flowkeeper.cli.snapshot;
