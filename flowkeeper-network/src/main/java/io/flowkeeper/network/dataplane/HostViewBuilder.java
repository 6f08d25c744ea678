package io.flowkeeper.network.dataplane;

import io.flowkeeper.api.network.FloatingIp;
import io.flowkeeper.api.network.Host;
import io.flowkeeper.api.network.Network;
import io.flowkeeper.api.network.Port;
import io.flowkeeper.api.network.PortBinding;
import io.flowkeeper.network.dataplane.HostView.LocalPort;
import io.flowkeeper.network.dataplane.HostView.NetworkView;
import io.flowkeeper.network.dataplane.HostView.RouterView;
import io.flowkeeper.network.dataplane.HostView.SecuredPort;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * One host's {@link HostView} kept up to date from successive models: the same view as {@link HostViews#of}, built
 * in time proportional to what changed when only ports and bindings did (a port created, plugged, moved, unplugged
 * or deleted), so that one port change on a host with thousands of ports costs little (issue 18: under 5 ms at
 * 4,000). Anything else that changed (networks, subnets, hosts, the switch's ports, security groups, routers,
 * floating IPs, gateway placements, a router's own ports, many ports at once, or lists not sorted by id) rebuilds
 * the whole view.
 *
 * <p>What changed is found without reading every port: the model's port and binding lists (sorted by id, as the
 * data plane's model has them) are walked side by side comparing references, which that model keeps for unchanged
 * documents; only where they differ are ids compared (a merge by id). A port's other half (its binding, or the port
 * of a changed binding) is found by binary search. Unchanged parts of the view are the previous instances, so
 * {@link FlowCompiler} finds them unchanged by reference.
 *
 * <p>Memory: the builder keeps the ports of the networks the host has a port on, about what its view holds, not
 * the whole model (a node masters many hosts' switches).
 *
 * <p>Not thread-safe: one per switch, used on the switch's thread, as its {@link FlowCompiler}.
 */
public final class HostViewBuilder {
    /** Beyond this many changed ports (or a sixteenth of them), rebuilding costs no more than patching. */
    private static final int MAX_PATCHED = 64;

    /** A network with a port on this host: its ports that {@link HostViews#counts count}, with their bindings. */
    private static final class LocalNetwork {
        final TreeMap<String, Port> ports = new TreeMap<>();
        final Map<String, PortBinding> bindings = new HashMap<>();
    }

    private HostViews.Model model;
    private HostView view;
    private HostViews.Context context;
    private HostViews.Security security;
    /** Whether the last model's port and binding lists were sorted by id: patching needs it. */
    private boolean sorted;
    private Map<String, LocalNetwork> local;
    private Map<String, Network> networks;
    private TreeMap<String, NetworkView> views;
    private TreeMap<String, SecuredPort> secured;
    /** The networks a router has an interface on, and the ports floating IPs map to: their changes move routers. */
    private Set<String> routerNetworks;
    private Set<String> floatingPorts;
    private long rebuilds;

    /** Host {@code self}'s view of {@code model}; equal to {@link HostViews#of} of the same arguments. */
    public HostView of(Host self, HostViews.Model model, Map<String, Long> switchPorts) {
        if (this.model == model && view != null && view.host().equals(self)
                && context.switchPorts.equals(switchPorts)) {
            return view;
        }
        if (view == null || !sorted || !patchable(self, model, switchPorts) || !patch(model)) {
            rebuild(self, model, switchPorts);
        }
        this.model = model;
        return view;
    }

    /** How many times the whole view was built (the first time included): for tests and the bench. */
    public long rebuilds() {
        return rebuilds;
    }

    private boolean patchable(Host self, HostViews.Model m, Map<String, Long> switchPorts) {
        HostViews.Model last = model;
        return view.host().equals(self) && context.switchPorts.equals(switchPorts)
                && last.networks().equals(m.networks()) && last.subnets().equals(m.subnets())
                && last.hosts().equals(m.hosts()) && last.routers().equals(m.routers())
                && last.securityGroups().equals(m.securityGroups()) && last.floatingIps().equals(m.floatingIps())
                && last.gateways().equals(m.gateways());
    }

    private void rebuild(Host self, HostViews.Model m, Map<String, Long> switchPorts) {
        rebuilds++;
        security = new HostViews.Security(m); // the view's secured ports are resolved by the one kept
        view = HostViews.of(self, m, switchPorts, security);
        context = new HostViews.Context(self, m, switchPorts);
        sorted = sortedById(m.ports(), Port::id) && sortedById(m.bindings(), PortBinding::portId);
        local = new HashMap<>();
        Map<String, PortBinding> usable = HostViews.usableBindings(m);
        Set<String> withLocalPorts = new HashSet<>();
        for (Port p : m.ports()) {
            PortBinding b = usable.get(p.id());
            if (HostViews.counts(p, b, context) && b.host().equals(self.name())) {
                withLocalPorts.add(p.networkId());
            }
        }
        readNetworks(m, usable, withLocalPorts);
        networks = new HashMap<>();
        m.networks().forEach(n -> networks.put(n.id(), n));
        views = new TreeMap<>();
        view.networks().forEach(n -> views.put(n.network().id(), n));
        secured = new TreeMap<>();
        view.secured().forEach(s -> secured.put(s.portId(), s));
        routerNetworks = new HashSet<>();
        for (Port p : m.ports()) {
            if (HostViews.ROUTER_INTERFACE.equals(p.deviceOwner())) {
                routerNetworks.add(p.networkId());
            }
        }
        floatingPorts = new HashSet<>();
        for (FloatingIp f : m.floatingIps()) {
            if (f.portId() != null) {
                floatingPorts.add(f.portId());
            }
        }
    }

    /** What the walk over one list found: the ids of elements that changed, with their old and new elements. */
    private static final class Changes<T> {
        final Set<String> ids = new HashSet<>();
        final Map<String, T> before = new HashMap<>();
        final Map<String, T> after = new HashMap<>();
        /** Where in the new list each new element is: its neighbours must keep the list sorted. */
        final List<Integer> positions = new ArrayList<>();
    }

    /** One changed port, before and after: the port (null: none) and its usable binding (null: none). */
    private record Change(String id, Port before, PortBinding usableBefore, Port after, PortBinding usableAfter) {
    }

    /** Applies the changed ports and bindings of {@code m} to the view; false when a rebuild is needed instead. */
    private boolean patch(HostViews.Model m) {
        int limit = Math.max(MAX_PATCHED, m.ports().size() / 16);
        Changes<Port> portChanges = new Changes<>();
        Changes<PortBinding> bindingChanges = new Changes<>();
        if (!diff(model.ports(), m.ports(), Port::id, portChanges, limit)
                || !diff(model.bindings(), m.bindings(), PortBinding::portId, bindingChanges, limit)
                || !stillSorted(m.ports(), Port::id, portChanges)
                || !stillSorted(m.bindings(), PortBinding::portId, bindingChanges)) {
            return false;
        }
        Set<String> ids = new HashSet<>(portChanges.ids);
        ids.addAll(bindingChanges.ids);
        boolean hasRouters = !m.routers().isEmpty();
        boolean routersChanged = false;
        List<Change> changes = new ArrayList<>();
        for (String id : ids) {
            Port before = was(id, portChanges, m.ports(), Port::id);
            Port after = is(id, portChanges, m.ports(), Port::id);
            if (hasRouters && (routerPort(before) || routerPort(after))) {
                return false; // a router's own port: its interfaces and gateway are rebuilt with the whole view
            }
            changes.add(new Change(id, before, usable(before, was(id, bindingChanges, m.bindings(),
                    PortBinding::portId)), after, usable(after, is(id, bindingChanges, m.bindings(),
                    PortBinding::portId))));
            if (before != after) {
                security.portChanged(before, after); // the members of the groups it is in, plugged or not
            }
            routersChanged |= floatingPorts.contains(id);
        }
        Set<String> affected = new HashSet<>();
        Set<String> becomeLocal = new HashSet<>();
        for (Change c : changes) {
            if (c.before() != null && HostViews.counts(c.before(), c.usableBefore(), context)) {
                affected.add(c.before().networkId());
                LocalNetwork n = local.get(c.before().networkId());
                if (n != null) {
                    n.ports.remove(c.id());
                    n.bindings.remove(c.id());
                }
            }
        }
        for (Change c : changes) {
            if (c.after() != null && HostViews.counts(c.after(), c.usableAfter(), context)) {
                String networkId = c.after().networkId();
                affected.add(networkId);
                LocalNetwork n = local.get(networkId);
                if (n != null) {
                    n.ports.put(c.id(), c.after());
                    n.bindings.put(c.id(), c.usableAfter());
                } else if (c.usableAfter().host().equals(context.self.name())) {
                    becomeLocal.add(networkId); // its other hosts' ports are read from the model below
                }
            }
        }
        if (!becomeLocal.isEmpty()) {
            readNetworks(m, HostViews.usableBindings(m), becomeLocal);
        }
        security.model(m);
        Set<List<String>> stale = security.refresh();
        for (String networkId : affected) {
            LocalNetwork n = local.get(networkId);
            if (n != null && n.bindings.values().stream().noneMatch(b -> b.host().equals(context.self.name()))) {
                local.remove(networkId); // its last port on this host went
                n = null;
            }
            Network network = networks.get(networkId);
            NetworkView next = n == null || network == null ? null
                    : HostViews.networkView(network, new ArrayList<>(n.ports.values()), n.bindings, context);
            NetworkView last = next == null ? views.remove(networkId) : views.put(networkId, next);
            routersChanged |= routerNetworks.contains(networkId) || (last == null) != (next == null);
            if (last != null) {
                last.local().forEach(lp -> secured.remove(lp.port().id()));
            }
            if (next != null) {
                security.secured(next).forEach(s -> secured.put(s.portId(), s));
            }
        }
        if (!stale.isEmpty()) {
            // A group's members changed: the ports whose groups name it get their new member lists; the others
            // keep their instances (a port per project group, not every port, on a host of many projects).
            for (NetworkView n : views.values()) {
                for (LocalPort lp : n.local()) {
                    SecuredPort s;
                    if (lp.port().portSecurityEnabled() && stale.contains(lp.port().securityGroups())
                            && (s = secured.get(lp.port().id())) != null) {
                        secured.put(s.portId(), security.secured(lp, n.tag(), s.gateways()));
                    }
                }
            }
        }
        List<NetworkView> viewList = List.copyOf(views.values());
        List<RouterView> routers = view.routers();
        if (hasRouters && routersChanged) { // reads the whole model: routers see ports plugged anywhere
            routers = HostViews.routers(context.self, m, context.switchPorts, viewList, HostViews.usableBindings(m),
                    context.hosts, context.physnets);
        }
        if (!ids.isEmpty()) {
            view = new HostView(context.self, viewList, routers, List.copyOf(secured.values()));
        }
        return true;
    }

    /** Reads from the model every counted port of these networks (with a port on this host). */
    private void readNetworks(HostViews.Model m, Map<String, PortBinding> usable, Set<String> networkIds) {
        for (Port p : m.ports()) {
            PortBinding b = usable.get(p.id());
            if (networkIds.contains(p.networkId()) && HostViews.counts(p, b, context)) {
                LocalNetwork n = local.computeIfAbsent(p.networkId(), k -> new LocalNetwork());
                n.ports.put(p.id(), p);
                n.bindings.put(p.id(), b);
            }
        }
    }

    /** The binding if it programs the port ({@link HostViews#usableBindings}), else null. */
    private static PortBinding usable(Port p, PortBinding b) {
        return p != null && b != null && b.state() == PortBinding.State.PLUGGED && b.ofPort() > 0
                && (b.attachedMac().equals(p.macAddress()) || b.attachedMac().equalsIgnoreCase(p.macAddress()))
                ? b : null;
    }

    /** The element under {@code id} in the last model: the old one if it changed, else the same as now. */
    private static <T> T was(String id, Changes<T> changes, List<T> now, Function<T, String> idOf) {
        return changes.ids.contains(id) ? changes.before.get(id) : search(now, id, idOf);
    }

    /** The element under {@code id} now (null: none). */
    private static <T> T is(String id, Changes<T> changes, List<T> now, Function<T, String> idOf) {
        return changes.ids.contains(id) ? changes.after.get(id) : search(now, id, idOf);
    }

    private static <T> T search(List<T> sortedById, String id, Function<T, String> idOf) {
        int lo = 0;
        int hi = sortedById.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = idOf.apply(sortedById.get(mid)).compareTo(id);
            if (c == 0) {
                return sortedById.get(mid);
            } else if (c < 0) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return null;
    }

    private static <T> boolean sortedById(List<T> list, Function<T, String> idOf) {
        for (int i = 1; i < list.size(); i++) {
            if (idOf.apply(list.get(i - 1)).compareTo(idOf.apply(list.get(i))) >= 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether the new list is sorted, given that the last one was: elements the walk found unchanged keep their
     * order, so only the new elements' neighbours need checking.
     */
    private static <T> boolean stillSorted(List<T> list, Function<T, String> idOf, Changes<T> changes) {
        for (int j : changes.positions) {
            String id = idOf.apply(list.get(j));
            if (j > 0 && idOf.apply(list.get(j - 1)).compareTo(id) >= 0
                    || j + 1 < list.size() && id.compareTo(idOf.apply(list.get(j + 1))) >= 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean routerPort(Port p) {
        return p != null && (HostViews.ROUTER_INTERFACE.equals(p.deviceOwner())
                || HostViews.ROUTER_GATEWAY.equals(p.deviceOwner()));
    }

    /**
     * Walks {@code before} and {@code after} side by side: an element that is the same instance at the aligned
     * position is unchanged; every other element is recorded by id in {@code changes}. False once more than
     * {@code limit} ids changed.
     */
    private static <T> boolean diff(List<T> before, List<T> after, Function<T, String> idOf, Changes<T> changes,
                                    int limit) {
        if (before == after) {
            return true;
        }
        int i = 0;
        int j = 0;
        while (i < before.size() || j < after.size()) {
            T x = i < before.size() ? before.get(i) : null;
            T y = j < after.size() ? after.get(j) : null;
            if (x != null && x == y) {
                i++;
                j++;
                continue;
            }
            int c = x == null ? 1 : y == null ? -1 : idOf.apply(x).compareTo(idOf.apply(y));
            if (c <= 0) {
                changes.ids.add(idOf.apply(x));
                changes.before.put(idOf.apply(x), x);
                i++;
            }
            if (c >= 0) {
                changes.ids.add(idOf.apply(y));
                changes.after.put(idOf.apply(y), y);
                changes.positions.add(j);
                j++;
            }
            if (changes.ids.size() > limit) {
                return false;
            }
        }
        return true;
    }
}
