package io.flowkeeper.cli.switches;

import io.flowkeeper.controller.RestClient;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * The {@code cluster} commands' connection mixin ({@code --url}, {@code --token} or {@code FLOWKEEPER_TOKEN},
 * {@code --output table|json}) and its error mapping (exit 1: the server refused, with its message; 2: usage;
 * 3: node unreachable), used by this package's commands.
 *
 * <p>That mixin is the package-private {@code ClusterCommand.Connection}, and {@code io.flowkeeper.cli.cluster} was
 * outside this change. Reaching it reflectively keeps a single definition of the options and exit codes instead of
 * a copy that could drift; {@code SwitchCommandsTest} fails at once if the class or its methods are renamed. Once
 * {@code Connection} and its {@code call}/{@code json} are public, this class can go and the commands declare a
 * field of that type.
 */
final class ClusterConnection {
    private static final Constructor<?> NEW;
    private static final Method CALL;
    private static final Method JSON;

    static {
        try {
            Class<?> type = Class.forName("io.flowkeeper.cli.cluster.ClusterCommand$Connection");
            NEW = type.getDeclaredConstructor();
            CALL = type.getDeclaredMethod("call", String.class, String.class, String.class);
            JSON = type.getDeclaredMethod("json");
            NEW.setAccessible(true);
            CALL.setAccessible(true);
            JSON.setAccessible(true);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private ClusterConnection() {
    }

    /** A fresh options object, for a {@code @Mixin} field (picocli reads its annotations from the instance). */
    static Object options() {
        try {
            return NEW.newInstance();
        } catch (InvocationTargetException e) {
            throw rethrow(e);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A 2xx response, or a {@link io.flowkeeper.cli.UserException} carrying the cluster commands' exit code. */
    static RestClient.Response call(Object options, String method, String path, String body) {
        return (RestClient.Response) invoke(CALL, options, method, path, body);
    }

    static boolean json(Object options) {
        return (Boolean) invoke(JSON, options);
    }

    private static Object invoke(Method m, Object target, Object... args) {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw rethrow(e);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The mixin's own exception (a {@code UserException} with its exit code), not the reflection wrapper. */
    private static RuntimeException rethrow(InvocationTargetException e) {
        if (e.getCause() instanceof RuntimeException r) {
            return r;
        }
        if (e.getCause() instanceof Error err) {
            throw err;
        }
        return new IllegalStateException(e.getCause());
    }
}
