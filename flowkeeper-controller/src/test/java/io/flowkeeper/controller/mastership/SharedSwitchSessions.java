package io.flowkeeper.controller.mastership;

import io.flowkeeper.api.switches.ControllerRole;
import io.flowkeeper.api.switches.Switch;
import io.flowkeeper.api.switches.SwitchException;
import io.flowkeeper.api.switches.testing.InMemorySwitch;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One {@link InMemorySwitch} flow table seen by several controllers, each through its own session with its own
 * role (OpenFlow 1.3 section 6.3.5): a MASTER request turns the other MASTER sessions SLAVE, the switch keeps the
 * highest generation granted to anyone and refuses older ones, and a SLAVE session's writes are refused. The
 * shared {@link InMemorySwitch} judges generations and holds the table; it stays writable itself.
 */
final class SharedSwitchSessions {
    private static final Set<String> READS = Set.of("dpid", "dpidString", "remoteAddress", "version", "features",
            "ports", "dumpFlows", "flowStats", "portStats");

    private final InMemorySwitch table;
    private final List<Session> sessions = new ArrayList<>();
    private final java.util.Map<String, Integer> calls = new java.util.HashMap<>();

    SharedSwitchSessions(InMemorySwitch table) {
        this.table = table;
    }

    /** A new controller connection to the switch. */
    Switch connect(String controller) {
        Session s = new Session(controller);
        synchronized (table) {
            sessions.add(s);
        }
        s.view = (Switch) Proxy.newProxyInstance(Switch.class.getClassLoader(), new Class<?>[] {Switch.class},
                (proxy, method, args) -> s.invoke(proxy, method, args));
        return s.view;
    }

    /** How many times all sessions were called {@code method} so far (e.g. requestRole, reconcile). */
    int calls(String method) {
        synchronized (table) {
            return calls.getOrDefault(method, 0);
        }
    }

    private final class Session {
        final String controller;
        Switch view;
        ControllerRole role = ControllerRole.EQUAL;
        long generation = -1;
        boolean active = true;

        Session(String controller) {
            this.controller = controller;
        }

        Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            synchronized (table) {
                calls.merge(method.getName(), 1, Integer::sum);
                switch (method.getName()) {
                    case "equals":
                        return proxy == args[0];
                    case "hashCode":
                        return System.identityHashCode(proxy);
                    case "toString":
                        return "session of " + controller + " to " + table;
                    case "role":
                    case "lastRoleStatus":
                        return role;
                    case "generationId":
                        return generation;
                    case "isActive":
                        return active && table.isActive();
                    case "close":
                        active = false;
                        return null;
                    case "requestRole":
                        return requestRole((ControllerRole) args[0], (Long) args[1]);
                    default:
                        break;
                }
                if (!active) {
                    throw new SwitchException("session of " + controller + " is closed");
                }
                if (!READS.contains(method.getName()) && role == ControllerRole.SLAVE) {
                    throw new SwitchException.NotMaster("switch " + table.dpidString() + " refused a write from "
                            + controller + ": SLAVE");
                }
                try {
                    return method.invoke(table, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            }
        }

        private ControllerRole requestRole(ControllerRole wanted, long requested) {
            if (wanted != ControllerRole.EQUAL) {
                table.requestRole(ControllerRole.MASTER, requested); // refuses a stale generation
            }
            if (wanted == ControllerRole.MASTER) {
                sessions.stream().filter(o -> o != this && o.role == ControllerRole.MASTER)
                        .forEach(o -> o.role = ControllerRole.SLAVE);
            }
            role = wanted;
            generation = requested;
            return wanted;
        }
    }
}
