package io.flowkeeper.controller.operator;

import io.flowkeeper.controller.RestServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/**
 * The dashboard's files, read once from this jar ({@code io/flowkeeper/controller/dashboard/}): the page, its script
 * and its style sheet, nothing fetched from elsewhere. They hold no data and no secret, so they are served without a
 * token; everything the page shows it fetches with the token the operator typed in.
 */
public final class DashboardAssets implements RestServer.StaticAssets {
    public static final String PREFIX = "/dashboard/";
    private static final String RESOURCES = "/io/flowkeeper/controller/dashboard/";
    /** Every file served, by name: a fixed list, so no path a client sends can reach anything else. */
    private static final Map<String, String> FILES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "dashboard.js", "text/javascript; charset=utf-8",
            "dashboard.css", "text/css; charset=utf-8");

    private final Map<String, Asset> assets = new HashMap<>();

    public DashboardAssets() {
        FILES.forEach((name, type) -> {
            try (InputStream in = DashboardAssets.class.getResourceAsStream(RESOURCES + name)) {
                if (in == null) {
                    throw new IllegalStateException("the jar lacks the dashboard file " + name);
                }
                assets.put(name, new Asset(in.readAllBytes(), type));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        assets.put("", assets.get("index.html"));
    }

    @Override
    public String prefix() {
        return PREFIX;
    }

    @Override
    public Asset find(String path) {
        return assets.get(path);
    }
}
