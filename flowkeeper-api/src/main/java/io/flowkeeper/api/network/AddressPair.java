package io.flowkeeper.api.network;

/** An extra address a port may send from ({@code allowed_address_pairs}); {@code ipAddress} may be a CIDR. */
public record AddressPair(String ipAddress, String macAddress) {}
