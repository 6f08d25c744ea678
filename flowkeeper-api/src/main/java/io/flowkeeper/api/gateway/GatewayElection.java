package io.flowkeeper.api.gateway;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.zip.CRC32;

/**
 * Where a router's gateway goes and which of its hosts is active: pure functions of the placement, the hosts whose
 * gateway lease is live and the current decision, so any node that reads the same replica decides the same, and
 * the decision is committed once (a compare-and-set on the router's gateway document) with a generation.
 *
 * <p>Semantics are keepalived's, as Neutron's HA routers configure it: the live host of highest priority becomes
 * active; with {@code preempt} a live host of higher priority than the active takes the router back, without it
 * (Neutron's {@code nopreempt}, the default) the active stays as long as it is live. Ties cannot happen: placement
 * gives distinct priorities.
 */
public final class GatewayElection {
    /** Neutron's {@code max_l3_agents_per_router} default. */
    public static final int MAX_HOSTS = 2;
    /** Neutron's {@code min_l3_agents_per_router} default: fewer hosts is allowed, and reported as degraded. */
    public static final int MIN_HOSTS = 2;
    /** The first host's priority; each next one {@link #PRIORITY_STEP} less. */
    static final int TOP_PRIORITY = 100;
    static final int PRIORITY_STEP = 10;

    private GatewayElection() {
    }

    /**
     * The active host and its generation.
     *
     * @param active the active host, or null when no placed host is live
     * @param generation one more on every change of {@code active} (to and from none included); never decreases,
     *     so an agent can tell a newer decision from an older one and a stale active is fenced
     */
    public record Decision(String active, long generation) {
        public boolean changedFrom(String previous) {
            return !Objects.equals(active, previous);
        }
    }

    /**
     * The placement for a router on the eligible hosts: the hosts it already has (their priorities kept, so adding a
     * gateway host never moves a router), then new hosts up to {@code max}, chosen by rendezvous hashing of router
     * and host (routers spread over the gateway hosts, and each router's order is stable), each below the lowest
     * priority already given. Placed hosts no longer eligible are dropped.
     */
    public static List<GatewayHost> place(String router, List<GatewayHost> current, Collection<String> eligible,
                                          int max) {
        Set<String> ok = new HashSet<>(eligible);
        List<GatewayHost> out = new ArrayList<>(current.stream().filter(h -> ok.contains(h.host())).toList());
        Set<String> placed = new HashSet<>();
        out.forEach(h -> placed.add(h.host()));
        int next = out.stream().mapToInt(GatewayHost::priority).min().orElse(TOP_PRIORITY + PRIORITY_STEP)
                - PRIORITY_STEP;
        List<String> candidates = eligible.stream().distinct().filter(h -> !placed.contains(h))
                .sorted(Comparator.comparingLong((String h) -> rank(router, h)).reversed()
                        .thenComparing(Comparator.naturalOrder()))
                .toList();
        for (String h : candidates) {
            if (out.size() >= max || next < 1) {
                break;
            }
            out.add(new GatewayHost(h, next));
            next -= PRIORITY_STEP;
        }
        out.sort(Comparator.comparingInt(GatewayHost::priority).reversed());
        return List.copyOf(out);
    }

    private static long rank(String router, String host) {
        CRC32 crc = new CRC32();
        crc.update((router + "/" + host).getBytes(StandardCharsets.UTF_8));
        return crc.getValue();
    }

    /**
     * Who is active now.
     *
     * @param placement the router's hosts with their priorities
     * @param live the hosts whose gateway lease has not expired
     * @param current the decision in force (active null and generation 0 for a new router)
     * @param preempt whether a live host of higher priority takes the router from a live active
     */
    public static Decision elect(List<GatewayHost> placement, Set<String> live, Decision current, boolean preempt) {
        GatewayHost best = placement.stream().filter(h -> live.contains(h.host()))
                .max(Comparator.comparingInt(GatewayHost::priority)).orElse(null);
        GatewayHost holder = placement.stream().filter(h -> h.host().equals(current.active())).findFirst()
                .orElse(null);
        String winner;
        if (holder != null && live.contains(holder.host()) && (!preempt || best.priority() <= holder.priority())) {
            winner = holder.host();
        } else {
            winner = best == null ? null : best.host();
        }
        return Objects.equals(winner, current.active()) ? current
                : new Decision(winner, current.generation() + 1);
    }

    /** The state {@code host} should be in under {@code decision}, for a host placed on the router. */
    public static HaState stateOf(String host, Decision decision) {
        return host.equals(decision.active()) ? HaState.ACTIVE : HaState.STANDBY;
    }
}
