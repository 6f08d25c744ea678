/**
 * Telling Nova what neutron-server tells it: {@code network-vif-plugged} when a port becomes ACTIVE (its flows are
 * on the switch), {@code network-vif-unplugged} when it stops being ACTIVE and {@code network-vif-deleted} when a
 * bound port is deleted, sent to Nova's {@code os-server-external-events} API, so a booting VM does not wait out
 * Nova's {@code vif_plugging_timeout}. {@link io.flowkeeper.network.nova.NovaEvents} decides (pure);
 * {@link io.flowkeeper.network.nova.NovaNotifier} watches the ports and sends, batched and retried.
 */
package io.flowkeeper.network.nova;
