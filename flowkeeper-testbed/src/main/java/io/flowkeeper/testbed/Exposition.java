package io.flowkeeper.testbed;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * For tests: one scrape in Prometheus's text exposition format, parsed: every sample by name and labels. Written for the tests
 * from the format's rules (comment lines start with #; a sample is name, optional {label="value",...}, value), so
 * a test reads the numbers Prometheus would, not strings it searched for.
 */
public record Exposition(Map<String, Double> samples) {
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})?\\s+(\\S+)(\\s+\\d+)?$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** Scrapes {@code baseUrl + path} with a bearer token; throws unless it answers 200 in the text format. */
    public static Exposition scrape(String url, String token) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
                .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException(url + ": HTTP " + r.statusCode() + " " + r.body());
        }
        if (!r.headers().firstValue("content-type").orElse("").startsWith("text/plain")) {
            throw new IOException(url + ": not the text format: " + r.headers().firstValue("content-type"));
        }
        return parse(r.body());
    }

    /** Status of a request without a token, or with a wrong one (null: none). */
    public static int statusWith(String url, String token) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    public static Exposition parse(String text) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line.trim());
            if (!m.matches()) {
                throw new IllegalArgumentException("not a sample line: " + line);
            }
            Map<String, String> labels = new TreeMap<>();
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2));
                }
            }
            out.put(key(m.group(1), labels), Double.parseDouble(m.group(4).replace("+Inf", "Infinity")));
        }
        return new Exposition(out);
    }

    private static String key(String name, Map<String, String> labels) {
        StringBuilder b = new StringBuilder(name).append('{');
        labels.forEach((k, v) -> b.append(k).append('=').append(v).append(','));
        return b.append('}').toString();
    }

    /**
     * The value of the one sample named {@code name} whose labels include every {@code k=v} given (pairs); null if
     * there is none; the sum if several match (a counter split by labels not asked about).
     */
    public Double value(String name, String... labels) {
        Double sum = null;
        outer:
        for (Map.Entry<String, Double> e : samples.entrySet()) {
            if (!e.getKey().startsWith(name + "{")) {
                continue;
            }
            for (int i = 0; i < labels.length; i += 2) {
                if (!e.getKey().contains("," + labels[i] + "=" + labels[i + 1] + ",")
                        && !e.getKey().contains("{" + labels[i] + "=" + labels[i + 1] + ",")) {
                    continue outer;
                }
            }
            sum = (sum == null ? 0 : sum) + e.getValue();
        }
        return sum;
    }

    /** Like {@link #value} with 0 for a series not (yet) exposed. */
    public double valueOr0(String name, String... labels) {
        Double v = value(name, labels);
        return v == null ? 0 : v;
    }
}
