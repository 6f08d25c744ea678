package io.flowkeeper.api.network;

/** A static route: {@code destination} (a CIDR) via {@code nexthop}. */
public record HostRoute(String destination, String nexthop) {}
