package io.flowkeeper.cli;

import java.util.ArrayList;
import java.util.List;

/** Left-aligned columns two spaces apart, header first: the one table layout every command prints. */
public final class TextTable {
    private TextTable() {
    }

    public static String render(List<String> header, List<List<String>> rows) {
        int[] w = new int[header.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = header.get(i).length();
            for (List<String> r : rows) {
                w[i] = Math.max(w[i], r.get(i).length());
            }
        }
        List<List<String>> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        StringBuilder sb = new StringBuilder();
        for (List<String> r : all) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < w.length; i++) {
                line.append(String.format("%-" + w[i] + "s", r.get(i))).append(i + 1 < w.length ? "  " : "");
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        return sb.toString();
    }
}
