package io.flowkeeper.cli.bench;

import io.flowkeeper.testbed.Vm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * TCP connection attempts from inside a VM to one address and port, one started every 50 ms (non-blocking, each
 * given 1 s, so a dropped SYN holds up no later attempt and no 50 ms goes unprobed), each one that opens reported
 * with its time. It is a Python process in the VM's namespace, so the probes are the VM's own SYNs through the real
 * switch. Two uses: a port the firewall must keep closed while something happens to the switch (no probe may open;
 * {@code SecurityGroupsTest}), and the moment a rule opens one ({@link #awaitOpened}, {@code bench security-groups}).
 * It runs from before the event on: starting {@code python3} itself took 1.5 to 14 s on a loaded test machine.
 * A file it watches ends it (its stdin does not: the {@code python3} launcher may not pass it on); it ends by itself
 * after 5 minutes.
 */
public final class ConnectProbe {
    private static final String SCRIPT = String.join("\n",
            "import os, select, socket, sys, time",
            "host, port, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3]",
            "pending = {}",
            "probes = opened = 0",
            "print('probing', flush=True)",
            "start = next_at = time.monotonic()",
            "while not os.path.exists(stop) and time.monotonic() - start < 300:",
            "    now = time.monotonic()",
            "    if now >= next_at:",
            "        s = socket.socket()",
            "        s.setblocking(False)",
            "        s.connect_ex((host, port))",
            "        pending[s] = now + 1.0",
            "        probes += 1",
            "        next_at = now + 0.05",
            "    _, w, _ = select.select([], list(pending), [], max(0, next_at - time.monotonic()))",
            "    for s in w:",
            "        if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:",
            "            opened += 1",
            "            print('opened', time.time(), flush=True)",
            "        del pending[s]",
            "        s.close()",
            "    for s, deadline in list(pending.items()):",
            "        if time.monotonic() > deadline:",
            "            del pending[s]",
            "            s.close()",
            "print('probes', probes, 'opened', opened, flush=True)");

    private final Process process;
    private final BufferedReader out;
    private final String target;
    private final Path stop;
    private final List<Instant> openedAt = new ArrayList<>();
    private int probes = -1;
    private int opened = -1;

    private ConnectProbe(Process process, String target, Path stop) {
        this.process = process;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.target = target;
        this.stop = stop;
    }

    /** Starts probing {@code ip:port} from {@code vm}; returns once the first probe is under way. */
    public static ConnectProbe start(Vm vm, String ip, int port) throws IOException {
        Path stop = Files.createTempDirectory("probe").resolve("stop");
        Process p = new ProcessBuilder("ip", "netns", "exec", vm.netns(), "python3", "-u", "-c", SCRIPT, ip,
                String.valueOf(port), stop.toString()).redirectErrorStream(true).start();
        ConnectProbe probe = new ConnectProbe(p, vm.name() + " -> " + ip + ":" + port, stop);
        String first = probe.out.readLine();
        if (!"probing".equals(first)) {
            p.destroyForcibly();
            throw new IllegalStateException("the probe did not start: " + first);
        }
        return probe;
    }

    /** Reads one line of the probe's; false at its summary or its end. */
    private boolean readLine() throws IOException {
        String line = out.readLine();
        if (line == null) {
            return false;
        }
        String[] w = line.split(" ");
        if (w[0].equals("opened") && w.length == 2) {
            openedAt.add(Instant.ofEpochMilli(Math.round(Double.parseDouble(w[1]) * 1000)));
            return true;
        }
        if (w[0].equals("probes") && w.length == 4) {
            probes = Integer.parseInt(w[1]);
            opened = Integer.parseInt(w[3]);
            return false;
        }
        throw new IllegalStateException("the probe said: " + line);
    }

    /** Waits for the first connection that opens (this machine's clock); null if the probe ended first. */
    public Instant awaitOpened() throws IOException {
        while (openedAt.isEmpty() && readLine()) {
            // reading
        }
        return openedAt.isEmpty() ? null : openedAt.get(0);
    }

    /** Ends the probing and reads its count; the process is gone afterwards, also when this throws. */
    public void stop() throws IOException, InterruptedException {
        try {
            Files.writeString(stop, "");
            while (readLine()) {
                // reading
            }
        } finally {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            Files.deleteIfExists(stop);
            Files.deleteIfExists(stop.getParent());
        }
        if (probes < 0) {
            throw new IllegalStateException("the probe ended without its count (exit " + process.exitValue() + ")");
        }
    }

    /** Connection attempts started. */
    public int probes() {
        return probes;
    }

    /** Connection attempts that opened. */
    public int opened() {
        return opened;
    }

    @Override
    public String toString() {
        return target + ": " + probes + " connects every 50 ms, " + opened + " opened"
                + (openedAt.isEmpty() ? "" : " (at " + openedAt + ")");
    }
}
