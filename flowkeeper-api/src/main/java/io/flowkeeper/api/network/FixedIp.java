package io.flowkeeper.api.network;

/** One address of a port: the subnet it comes from and the address. */
public record FixedIp(String subnetId, String ipAddress) {}
