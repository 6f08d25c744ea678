package io.flowkeeper.api.network;

/**
 * One allow rule of a security group.
 *
 * @param direction {@code ingress} or {@code egress}
 * @param ethertype {@code IPv4} or {@code IPv6}
 * @param protocol null for any protocol
 * @param portRangeMin null when the rule does not restrict ports
 */
public record SecurityGroupRule(String id, String securityGroupId, String direction, String ethertype,
                                String protocol, Integer portRangeMin, Integer portRangeMax, String remoteIpPrefix,
                                String remoteGroupId) {}
