package io.flowkeeper.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The one way benchmarks print results: rows of named columns, shown as an aligned table or as JSON
 * ({@code {"benchmark": ..., "environment": {...}, "rows": [...], "notes": [...]}}). Numbers are formatted for the
 * table only; JSON keeps them as numbers.
 */
public final class BenchReport {
    private final String benchmark;
    private final List<String> columns;
    private final List<Map<String, Object>> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final Map<String, Object> environment = new LinkedHashMap<>();

    public BenchReport(String benchmark, String... columns) {
        this.benchmark = benchmark;
        this.columns = List.of(columns);
        environment.put("cores", Runtime.getRuntime().availableProcessors());
        environment.put("java", Runtime.version().toString());
    }

    /** Adds a row; values in column order (numbers stay numbers in JSON). */
    public BenchReport row(Object... values) {
        if (values.length != columns.size()) {
            throw new IllegalArgumentException("expected " + columns.size() + " values, got " + values.length);
        }
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) {
            row.put(columns.get(i), values[i]);
        }
        rows.add(row);
        return this;
    }

    /** A line printed under the table (e.g. how a figure was extrapolated), and kept in JSON. */
    public BenchReport note(String note) {
        notes.add(note);
        return this;
    }

    public BenchReport environment(String key, Object value) {
        environment.put(key, value);
        return this;
    }

    /** The host's load averages (1, 5, 15 min), from /proc/loadavg ("?" where unavailable). */
    public static String loadAverage() {
        try {
            String[] f = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException | RuntimeException e) {
            return "?";
        }
    }

    public List<Map<String, Object>> rows() {
        return List.copyOf(rows);
    }

    public void print(PrintStream out, boolean json) {
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("benchmark", benchmark);
            doc.put("environment", environment);
            doc.put("rows", rows);
            doc.put("notes", notes);
            try {
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
            return;
        }
        int[] widths = new int[columns.size()];
        List<List<String>> cells = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            widths[i] = columns.get(i).length();
        }
        for (Map<String, Object> row : rows) {
            List<String> line = new ArrayList<>();
            for (int i = 0; i < columns.size(); i++) {
                String cell = format(row.get(columns.get(i)));
                widths[i] = Math.max(widths[i], cell.length());
                line.add(cell);
            }
            cells.add(line);
        }
        out.println(benchmark);
        out.println(line(columns, widths));
        StringBuilder rule = new StringBuilder();
        for (int w : widths) {
            rule.append("-".repeat(w)).append("  ");
        }
        out.println(rule.toString().stripTrailing());
        cells.forEach(c -> out.println(line(c, widths)));
        notes.forEach(n -> out.println("note: " + n));
    }

    private static String line(List<String> cells, int[] widths) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            sb.append(String.format(Locale.ROOT, "%-" + widths[i] + "s  ", cells.get(i)));
        }
        return sb.toString().stripTrailing();
    }

    static String format(Object value) {
        if (value == null) {
            return "-";
        }
        if (value instanceof Double d) {
            return Math.abs(d) >= 100 ? String.format(Locale.ROOT, "%.0f", d) : String.format(Locale.ROOT, "%.3f", d);
        }
        return value.toString();
    }

    /** The q-quantile (0..1) of the samples, nearest-rank. */
    public static double quantile(List<Double> samples, double q) {
        if (samples.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(samples);
        sorted.sort(Double::compare);
        int rank = (int) Math.ceil(q * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }
}
