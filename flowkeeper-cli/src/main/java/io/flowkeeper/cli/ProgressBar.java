package io.flowkeeper.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar on stderr for long operations, redrawn in place on a terminal and printed every 10% when
 * stderr is not one (logs, CI). Silent when disabled ({@code --quiet} or JSON output).
 */
public final class ProgressBar implements AutoCloseable {
    private static final int WIDTH = 30;
    private final PrintStream err;
    private final String label;
    private final long total;
    private final boolean enabled;
    private final boolean terminal = System.console() != null;
    private long done;
    private int lastDecile = -1;

    public ProgressBar(String label, long total, boolean enabled) {
        this.err = System.err;
        this.label = label;
        this.total = Math.max(1, total);
        this.enabled = enabled;
    }

    public void step(long amount) {
        done += amount;
        if (!enabled) {
            return;
        }
        double fraction = Math.min(1.0, (double) done / total);
        int decile = (int) (fraction * 10);
        if (terminal) {
            int filled = (int) (fraction * WIDTH);
            err.printf(Locale.ROOT, "\r%s [%s%s] %3.0f%%", label, "#".repeat(filled), " ".repeat(WIDTH - filled),
                    fraction * 100);
        } else if (decile != lastDecile) {
            err.printf(Locale.ROOT, "%s %3.0f%%%n", label, fraction * 100);
        }
        lastDecile = decile;
    }

    @Override
    public void close() {
        if (enabled && terminal) {
            err.println();
        }
    }
}
