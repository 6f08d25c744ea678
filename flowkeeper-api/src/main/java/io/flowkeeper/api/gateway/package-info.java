/**
 * HA gateway routers: where a router's external gateway may run ({@link io.flowkeeper.api.gateway.GatewayHost}
 * placements with keepalived-style priorities), which of those hosts is active ({@link
 * io.flowkeeper.api.gateway.GatewayElection}, a pure function, so every node decides the same from the same
 * replica), and the states a host's agent reports ({@link io.flowkeeper.api.gateway.HaState}). No protocol types.
 */
package io.flowkeeper.api.gateway;
