package io.flowkeeper.cli;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real HTTP server on 127.0.0.1 that answers canned JSON by path and query, for tests of how commands render
 * what a node answers ({@code @RegisterExtension final CannedServer server = new CannedServer(notFoundJson);}).
 * Bodies are written with single quotes, turned into double quotes here.
 */
public final class CannedServer implements BeforeEachCallback, AfterEachCallback {
    private final String notFound;
    /** path with query, as the client sends it, to [status, body]. */
    private final Map<String, Object[]> answers = new ConcurrentHashMap<>();
    private final List<String> openStackTokens = new CopyOnWriteArrayList<>();
    private HttpServer server;
    private Path tokenFile;

    /** The API token the commands under test send; {@link #tokenFile} holds it. */
    public static final String TOKEN = "t0ken";

    /** @param notFound the body of the 404 answered for any path without a canned answer */
    public CannedServer(String notFound) {
        this.notFound = notFound.replace('\'', '"');
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        tokenFile = Files.createTempFile("fk-cli-token", "",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tokenFile, TOKEN + "\n");
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            openStackTokens.add(String.valueOf(ex.getRequestHeaders().getFirst("X-Auth-Token")));
            Object[] a = answers.getOrDefault(ex.getRequestURI().toString(), new Object[] {404, notFound});
            byte[] body = ((String) a[1]).getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders((Integer) a[0], body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        stop();
        Files.deleteIfExists(tokenFile);
    }

    /** Stops answering (a test of an unreachable node stops it early). */
    public void stop() {
        server.stop(0);
    }

    public void answer(String pathAndQuery, int status, String json) {
        answers.put(pathAndQuery, new Object[] {status, json.replace('\'', '"')});
    }

    /** A 0600 file holding {@link #TOKEN}, as an operator keeps it ({@code --token-file}; removed after the test). */
    public Path tokenFile() {
        return tokenFile;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String url() {
        return "http://127.0.0.1:" + port();
    }

    /** The X-Auth-Token header of each request so far, in order ("null" where none was sent). */
    public List<String> openStackTokens() {
        return List.copyOf(openStackTokens);
    }
}
