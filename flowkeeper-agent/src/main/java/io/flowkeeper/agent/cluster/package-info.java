/**
 * The agent's cluster side, used when {@code flowkeeper agent} is given {@code --api}: it creates the integration
 * and provider bridges (controller targets set at creation, so OVS's first-controller flush never meets a live
 * table), registers its host and heartbeats, reports VM interfaces seen in OVSDB ({@code external_ids:iface-id},
 * {@code attached-mac}, {@code ofport}) in batches, and keeps one VXLAN port per remote host that shares a network
 * with it; on a TLS cluster over HTTPS, and with OpenFlow over TLS, using the host's certificate
 * ({@link io.flowkeeper.agent.cluster.HostTls}). {@link io.flowkeeper.agent.cluster.ClusterAgent} runs it; the
 * decisions (what changed, which tunnels to add or remove) are pure functions in
 * {@link io.flowkeeper.agent.cluster.VifTable} and {@link io.flowkeeper.agent.cluster.TunnelPlan}; OVSDB and HTTP
 * stay at the edges.
 */
package io.flowkeeper.agent.cluster;
