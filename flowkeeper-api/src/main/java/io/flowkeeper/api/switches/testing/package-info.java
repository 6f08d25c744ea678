/**
 * In-memory doubles of the switch services, shipped in main scope (as ONOS ships its adapters) so every module's
 * fast tests can use them: {@link io.flowkeeper.api.switches.testing.InMemorySwitch} applies flow changes to a
 * table with OpenFlow's semantics and keeps OpenFlow's role and generation rules;
 * {@link io.flowkeeper.api.switches.testing.InMemorySwitchService} connects such switches, fans out their events
 * and packet-ins, and records packet-outs. No sockets, no threads, no root: tests using them run in milliseconds.
 * Not for production use: nothing here talks to a switch.
 */
package io.flowkeeper.api.switches.testing;
