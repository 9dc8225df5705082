package example.apps;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.ServerResponse;

/**
 * Helidon 4 SE's web server (its own virtual-thread-per-connection design: a virtual thread per
 * connection and per request, started by its platform listener threads), routed the way
 * Helidon's documentation does it; {@code main} returns after {@code start()} and the server's
 * non-daemon threads keep the JVM serving.
 * Usage: {@code HelidonApp [port]} (default 0: any free port, printed on stdout).
 */
public final class HelidonApp {

    private HelidonApp() {
    }

    public static void main(String[] args) {
        Replies.mainStarted();
        WebServer server = WebServer.builder()
                .host("127.0.0.1")
                .port(args.length > 0 ? Integer.parseInt(args[0]) : 0)
                .routing(r -> r
                        .get("/threads", (req, res) -> reply(res, "text/plain", Replies.threads()))
                        .get("/stop", (req, res) -> {
                            reply(res, "text/plain", "stopping".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                            Replies.exitSoon();
                        })
                        .get("/", (req, res) -> reply(res, "application/json", Replies.hello("helidon", req.query().rawValue()))))
                .build()
                .start();
        Replies.mainReturning(server.port());
    }

    private static void reply(ServerResponse res, String type, byte[] body) {
        res.header(HeaderNames.CONTENT_TYPE, type);
        res.send(body);
    }
}
