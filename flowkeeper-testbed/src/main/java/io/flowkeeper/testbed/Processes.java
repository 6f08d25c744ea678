package io.flowkeeper.testbed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Kills processes that are not our children (daemons detached by OVS, processes in namespaces) and waits for
 * them to be gone. {@link ProcessHandle#onExit()} polls non-children with a back-off that added 1.5 s to every
 * {@code ovs-vswitchd} restart; reading {@code /proc} every few milliseconds does not.
 */
final class Processes {
    private Processes() {
    }

    /** Sends SIGKILL and waits until the process has exited (a zombie counts as exited). */
    static void killAndWait(long pid, Duration timeout) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (alive(pid)) {
            if (System.nanoTime() > deadline) {
                throw new TestBedException("process " + pid + " still alive " + timeout.toMillis()
                        + " ms after SIGKILL");
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TestBedException("interrupted while waiting for process " + pid, e);
            }
        }
    }

    /**
     * True while any thread of the process still runs. The thread-group leader turns zombie as soon as it exits,
     * while its other threads may still be tearing down (an {@code ovs-vswitchd} with 200,000 flows takes a
     * while), holding the pidfile lock: so a zombie leader counts as gone only once it is the last task.
     */
    static boolean alive(long pid) {
        Path proc = Path.of("/proc", Long.toString(pid));
        try {
            String stat = Files.readString(proc.resolve("stat"));
            // state is the first field after the parenthesised command name, which may itself contain spaces
            int close = stat.lastIndexOf(')');
            boolean zombie = close >= 0 && close + 2 < stat.length() && stat.charAt(close + 2) == 'Z';
            if (!zombie) {
                return true;
            }
            try (java.util.stream.Stream<Path> tasks = Files.list(proc.resolve("task"))) {
                return tasks.count() > 1;
            }
        } catch (IOException e) {
            return false;
        }
    }
}
