package io.flowkeeper.api.network;

/** An inclusive range of IPv4 addresses, as in a subnet's {@code allocation_pools}. */
public record IpRange(String start, String end) {}
